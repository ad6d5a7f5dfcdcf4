"""The query encoder: the PyTorch model's vectors for a query, without importing torch when it can.

Importing torch and sentence-transformers takes seconds (4-19 s on a busy 2-core machine); encoding a
query takes milliseconds. So ingestion, which loads the model anyway, exports it once more as an fp32
ONNX graph (:func:`ensure_query_export`, ~6 s) and checks that the export gives the model's own vectors
(to :data:`MAX_DIFFERENCE`) on :data:`PROBES`. From then on :func:`make_query_encoder` hands out an
encoder that runs the export through onnxruntime (0.5 s to start) under the model's ``model_id``: the
index, the stored competition vectors and every query agree. Without the export (never ingested with
this model, onnxruntime missing, a model the export cannot compute, the model folder changed since) the
PyTorch model encodes the query, as before.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from kb.embed.base import Embedder, resolve_model
from kb.errors import ConfigError

log = logging.getLogger(__name__)
T = TypeVar("T")

PRECISION = "fp32"
MAX_DIFFERENCE = 1e-4  # largest difference of a vector component from the PyTorch model's (measured: ~1e-7)
PROBES = (  # what an export is checked on: a query, a page section, text past the token limit, other scripts
    "pseudo labeling",
    "Predict fraud from anonymised card transactions; the metric is ROC AUC on a hidden test set.",
    "We averaged five folds of a gradient boosted tree model, then added a small neural network. " * 12,
    "Segmentación de imágenes satelitales · 衛星画像のセグメンテーション · Ä ö ü ß",
    "",
)


def _model_folder(model: str) -> Path | None:
    """The local sentence-transformers folder of a configured model name (None: not a local PyTorch model)."""
    from kb.embed.onnx import is_onnx_model

    if model == "fake" or model.startswith("fake:") or is_onnx_model(model):
        return None
    try:
        load_path, _ = resolve_model(model)
    except ConfigError:
        return None
    folder = Path(load_path)
    return folder if folder.is_dir() else None


def export_path(model: str, cache_dir: Path) -> Path | None:
    """Where the query export of ``model`` is kept under ``cache_dir`` (None: the model cannot have one)."""
    from kb.embed.onnx import export_dir

    if _model_folder(model) is None:
        return None
    return export_dir(cache_dir, resolve_model(model)[1], PRECISION)


def usable_export(model: str, cache_dir: Path) -> Path | None:
    """The export folder of ``model`` when it is complete, was checked against the model and was made from
    the model folder as it is now; else None."""
    from kb.embed.onnx import EXPORT_FILE, EXPORT_VERSION, MODEL_FILE, TOKENIZER_FILE, source_fingerprint

    folder, path = _model_folder(model), export_path(model, cache_dir)
    if folder is None or path is None or not (path / MODEL_FILE).is_file() or not (path / TOKENIZER_FILE).is_file():
        return None
    try:
        record = json.loads((path / EXPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (record.get("version"), record.get("precision")) != (EXPORT_VERSION, PRECISION) \
            or record.get("max_difference") is None or record["max_difference"] > MAX_DIFFERENCE:
        return None
    if record.get("fingerprint") != source_fingerprint(folder):
        log.info("%s was exported from another version of %s: queries use the PyTorch model until the next"
                 " ingest re-exports it", path, folder)
        return None
    return path


def onnxruntime_installed() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None and importlib.util.find_spec("tokenizers") is not None


class QueryEncoder:
    """Encodes with the fp32 export; if it cannot be loaded after all, with ``fallback`` (the PyTorch model)."""

    def __init__(self, model: str, path: Path, fallback: Embedder):
        from kb.embed.onnx import OnnxEmbedder

        # one thread: a query is as fast, and does not stall when other processes keep the CPU busy
        self.onnx: Embedder | None = OnnxEmbedder(model, cache_dir=path.parent, threads=1, precision=PRECISION,
                                                  path=path)
        self.fallback = fallback
        self.path = path

    @property
    def model_id(self) -> str:
        return self.fallback.model_id

    @property
    def backend(self) -> str:
        """"onnx-fp32" while the export answers, "torch" once it fell back."""
        return "onnx-fp32" if self.onnx is not None else "torch"

    @property
    def dim(self) -> int:
        return self._active(lambda e: e.dim)

    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               progress: Callable[[int], object] | None = None) -> np.ndarray:
        return self._active(lambda e: e.encode(texts, batch_size=batch_size, progress=progress))

    def _active(self, use: Callable[[Embedder], T]) -> T:
        if self.onnx is not None:
            try:
                return use(self.onnx)
            except ConfigError as e:
                log.warning("the query export cannot be used (%s); encoding with the PyTorch model", e)
                self.onnx = None
        return use(self.fallback)


def make_query_encoder(model: str, cache_dir: Path, fallback: Embedder) -> Embedder:
    """The encoder for queries under ``model``: its checked fp32 export when there is one and onnxruntime is
    installed, else ``fallback`` (the model itself)."""
    path = usable_export(model, cache_dir)
    if path is None or not onnxruntime_installed():
        return fallback
    return QueryEncoder(model, path, fallback)


def ensure_query_export(model: str, cache_dir: Path, reference: Embedder) -> Path | None:
    """Export ``model`` for queries once (fp32 ONNX under ``cache_dir``), checked against ``reference`` (the
    loaded PyTorch model). Returns the folder, or None when the model cannot have one, the export's
    dependencies are missing or the check failed (logged: queries then use the PyTorch model)."""
    from kb.embed.onnx import OnnxEmbedder, export_model

    folder, path = _model_folder(model), export_path(model, cache_dir)
    if folder is None or path is None:
        return None
    if usable_export(model, cache_dir) is not None:
        return path
    if not onnxruntime_installed() or importlib.util.find_spec("onnx") is None:
        log.info("onnxruntime or onnx is not installed: queries are encoded with the PyTorch model")
        return None

    def check(work: Path) -> dict:
        exported = OnnxEmbedder(model, cache_dir=cache_dir, precision=PRECISION, path=work).encode(list(PROBES))
        difference = float(np.abs(exported - reference.encode(list(PROBES))).max())
        if not difference <= MAX_DIFFERENCE:
            raise ConfigError(f"the ONNX export's vectors differ from the model's by up to {difference:.2e}")
        return {"max_difference": difference, "probes": len(PROBES)}

    import shutil

    if path.exists():
        shutil.rmtree(path, ignore_errors=True)  # from another model version, or an unchecked one
    log.info("exporting %s to ONNX (fp32) in %s for fast queries, once", folder, path)
    try:
        export_model(folder, path, precision=PRECISION, verify=check)
    except Exception as e:  # an optional speed-up: whatever goes wrong (torch's exporter, onnx), ingestion goes on
        log.warning("could not export %s for fast queries (%s); queries use the PyTorch model", folder, e)
        return None
    return path if usable_export(model, cache_dir) is not None else None
