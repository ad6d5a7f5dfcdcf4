"""ONNX Runtime embedders: the same sentence-transformers model exported to one graph, no torch at run time.

Two precisions, both exported from the local model folder (transformer, mean pooling and L2
normalisation in one graph) and cached as plain files under ``<KB_HOME>/models/``; nothing is downloaded:

- ``int8``: a backend of its own, selected with a model name ending in ``+onnx-int8`` (e.g.
  ``KB_MODEL=all-MiniLM-L6-v2+onnx-int8``); the first use exports it. Its matrix multiplications are
  quantised per channel, so its vectors are close to, but not the same as, the PyTorch model's
  (cosine ≈ 0.99), hence a distinct ``model_id``: an index built with one backend is never searched
  with the other.
- ``fp32``: the query encoder of the PyTorch model (:mod:`kb.embed.query`). Its vectors are the
  PyTorch model's (checked when it is exported), so it answers under the same ``model_id``. Ingestion
  exports it; queries only use an export that exists.

Running needs onnxruntime and tokenizers; the one-off export also needs torch, transformers and onnx.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kb.embed.base import resolve_model
from kb.errors import ConfigError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

ONNX_SUFFIX = "+onnx-int8"
PRECISIONS = ("int8", "fp32")
EXPORT_VERSION = 1
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
EXPORT_FILE = "export.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
WHOLE_FILE = 2 << 20  # a model folder's files up to this size are fingerprinted whole (tokenizer.json: 0.5 MB)
FILE_EDGE = 64 << 10  # of larger ones (the weights), the first and last 64 KiB


def is_onnx_model(name: str) -> bool:
    return name.endswith(ONNX_SUFFIX)


def _base_name(name: str) -> str:
    return name[: -len(ONNX_SUFFIX)] if is_onnx_model(name) else name


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from e


# the sentence-transformers modules the exported graph computes (anything else, a Dense layer say, it cannot)
SUPPORTED_MODULES = {"sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                     "sentence_transformers.models.Normalize"}


def model_settings(source: Path) -> dict:
    """Dimension and maximum tokens of a local sentence-transformers folder; only a transformer with mean
    pooling (and normalisation) is supported."""
    modules = _read_json(source / "modules.json") if (source / "modules.json").exists() else []
    other = sorted({m.get("type", "?") for m in modules if isinstance(m, dict)} - SUPPORTED_MODULES)
    if other:
        raise ConfigError(f"{source}: the ONNX backend cannot compute the module(s) {', '.join(other)}")
    pooling = _read_json(source / "1_Pooling" / "config.json") if (source / "1_Pooling").exists() else {}
    if pooling and not pooling.get("pooling_mode_mean_tokens"):
        raise ConfigError(f"{source}: the ONNX backend supports mean pooling only")
    config = _read_json(source / "config.json")
    st_config = source / "sentence_bert_config.json"
    max_tokens = _read_json(st_config).get("max_seq_length") if st_config.exists() else None
    return {"dim": int(config["hidden_size"]),
            "max_tokens": int(max_tokens or config.get("max_position_embeddings", 512))}


def source_fingerprint(source: Path) -> str:
    """A digest of a model folder's content, cheap enough to compute on every query: names and sizes
    of its files, the bytes of the small ones (configs, tokenizer) and the first and last 64 KiB of the
    large ones (the weights). A model replaced in place changes it; a reinstall of the same one does not."""
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(source).as_posix()}\0{size}\0".encode())
        with path.open("rb") as f:
            if size <= WHOLE_FILE:
                digest.update(f.read())
            else:
                digest.update(f.read(FILE_EDGE))
                f.seek(-FILE_EDGE, 2)
                digest.update(f.read())
    return digest.hexdigest()


def export_model(source: Path, target: Path, *, precision: str = "int8",
                 verify: Callable[[Path], dict] | None = None) -> Path:
    """Export ``source`` to ``target/model.onnx`` (``precision`` int8 or fp32) with its tokenizer; returns
    ``target``.

    ``verify`` is called with the finished folder before it is put in place; what it returns is recorded
    in ``export.json``, and an exception it raises discards the export. Written into a temporary folder
    and renamed, so a concurrent or interrupted export never leaves a half-written model behind.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown ONNX precision {precision!r} (choose from {', '.join(PRECISIONS)})")
    try:
        import torch
        from transformers import AutoModel

        if precision == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as e:
        raise ConfigError(f"exporting the ONNX model needs torch, transformers and onnxruntime ({e})") from e
    settings = model_settings(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    work.chmod(0o755)  # mkdtemp makes it private; the cache is shared like the rest of KB_HOME
    try:
        model = AutoModel.from_pretrained(str(source))
        model.eval()
        fp32 = work / ("model.fp32.onnx" if precision == "int8" else MODEL_FILE)
        example = torch.ones((2, 8), dtype=torch.long)
        axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
        # the tracer warns about shape checks it freezes; the export is checked on texts of every length instead
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(_pooled(model), (example, example, torch.zeros_like(example)), str(fp32),
                              input_names=list(INPUTS), output_names=["embedding"],
                              dynamic_axes={**axes, "embedding": {0: "batch"}}, opset_version=17, dynamo=False)
        if precision == "int8":
            quantize_dynamic(str(fp32), str(work / MODEL_FILE), per_channel=True, weight_type=QuantType.QInt8,
                             op_types_to_quantize=["MatMul"])
            fp32.unlink()
        shutil.copyfile(source / TOKENIZER_FILE, work / TOKENIZER_FILE)
        record = {"version": EXPORT_VERSION, "precision": precision, "source": str(source),
                  "fingerprint": source_fingerprint(source), **settings}
        (work / EXPORT_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        if verify is not None:
            record.update(verify(work))
            (work / EXPORT_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        try:
            work.rename(target)
        except OSError:
            if not (target / EXPORT_FILE).exists():  # another process won the race only if it finished
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _pooled(model):  # noqa: ANN001, ANN202 (torch types are imported lazily)
    import torch

    class Pooled(torch.nn.Module):
        """Transformer → mean over real tokens → unit length, as sentence-transformers computes it."""

        def __init__(self, model: torch.nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return Pooled(model)


def export_dir(cache_dir: Path, model_id: str, precision: str) -> Path:
    """The folder an export of the model ``model_id`` (its base id, without a backend suffix) is kept in."""
    slug = model_id.rstrip("/").rsplit("/", 1)[-1]
    return Path(cache_dir) / f"{slug}-onnx-{precision}"


class OnnxEmbedder:
    """``Embedder`` over ONNX Runtime; batches texts of similar token length together.

    ``precision`` "int8" is the ``+onnx-int8`` backend (exported on first use); "fp32" is the PyTorch
    model's query encoder, under its ``model_id``, and only loads an export that exists (see
    :mod:`kb.embed.query`); ``path`` overrides the export folder.
    """

    def __init__(self, name: str, device: str = "cpu", *, cache_dir: Path, threads: int | None = None,
                 precision: str = "int8", path: Path | None = None):
        if precision not in PRECISIONS:
            raise ConfigError(f"unknown ONNX precision {precision!r} (choose from {', '.join(PRECISIONS)})")
        self.name = name
        load_path, base_id = resolve_model(_base_name(name))
        self.source = Path(load_path)
        if not self.source.is_dir():
            raise ConfigError(f"the ONNX backend needs a local model folder; {_base_name(name)!r} is not one")
        self.precision = precision
        self.model_id = base_id + ONNX_SUFFIX if precision == "int8" else base_id
        self.device = device
        self.threads = threads
        self.path = path or export_dir(cache_dir, base_id, precision)
        self._session: Any = None  # onnxruntime.InferenceSession (onnxruntime has no type information)
        self._tokenizer: Tokenizer | None = None
        self._settings: dict | None = None

    def _ready(self) -> dict:
        """Export when missing (or from an older export format), then read the export's settings."""
        export = self.path / EXPORT_FILE
        if self.precision == "fp32":
            if not (self.path / MODEL_FILE).exists():
                raise ConfigError(f"no ONNX export in {self.path}")
            return _read_json(export)
        if self.path.exists() and (not export.exists() or _read_json(export).get("version") != EXPORT_VERSION):
            shutil.rmtree(self.path)  # left by an older format or by hand; exports are renamed in complete
        if not export.exists():
            log.info("exporting %s to ONNX (int8) in %s, once", self.source, self.path)
            export_model(self.source, self.path)
        return _read_json(export)

    def _load(self) -> Any:
        if self._session is None:
            try:
                import onnxruntime as ort
                from tokenizers import Tokenizer
            except ImportError as e:
                raise ConfigError("the ONNX backend needs onnxruntime (pip install 'kb[onnx]')") from e
            settings = self._ready()
            options = ort.SessionOptions()
            # no busy-waiting between ops: as fast when idle, far steadier when other processes share the CPU
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.add_session_config_entry("session.inter_op.allow_spinning", "0")
            if self.threads:
                options.intra_op_num_threads = self.threads
            providers = ["CPUExecutionProvider"]
            if self.device.startswith("cuda") or self.device == "auto":
                if "CUDAExecutionProvider" in ort.get_available_providers():
                    providers.insert(0, "CUDAExecutionProvider")
                elif self.device != "auto":
                    raise ConfigError(f"device {self.device!r} was asked for but onnxruntime has no CUDA provider")
            try:
                self._session = ort.InferenceSession(str(self.path / MODEL_FILE), options, providers=providers)
            except Exception as e:  # onnxruntime raises its own exception types for bad files
                raise ConfigError(f"cannot load {self.path / MODEL_FILE}: {e}; delete the folder to re-export") from e
            tokenizer = Tokenizer.from_file(str(self.path / TOKENIZER_FILE))
            tokenizer.no_padding()
            tokenizer.enable_truncation(settings["max_tokens"])
            self._tokenizer = tokenizer
            self._settings = settings
        return self._session

    @property
    def dim(self) -> int:
        self._load()
        assert self._settings is not None
        return int(self._settings["dim"])

    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               progress: Callable[[int], object] | None = None) -> np.ndarray:
        session = self._load()
        tokenizer = self._tokenizer
        assert tokenizer is not None  # loaded with the session
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        step = max(batch_size, 1)
        for start in range(0, len(order), step):
            idx = order[start:start + step]
            out[idx] = session.run(None, _feed([encodings[i] for i in idx]))[0]
            if progress:
                progress(len(idx))
        return out


def _feed(encodings: list) -> dict[str, np.ndarray]:
    """Right-padded int64 arrays for one batch (padding only up to the batch's longest text)."""
    width = max(len(e.ids) for e in encodings)
    feed = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in INPUTS}
    for row, e in enumerate(encodings):
        n = len(e.ids)
        feed["input_ids"][row, :n] = e.ids
        feed["attention_mask"][row, :n] = e.attention_mask
        feed["token_type_ids"][row, :n] = e.type_ids
    return feed

