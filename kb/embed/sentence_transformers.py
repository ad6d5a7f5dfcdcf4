"""Embedders: the real sentence-transformers model, and :func:`make_embedder` that picks the backend.

The ONNX Runtime backend is in :mod:`kb.embed.onnx`, the protocol and the test embedder in
:mod:`kb.embed.base`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kb.embed.base import resolve_model
from kb.errors import ConfigError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


class SentenceTransformerEmbedder:
    """Wraps ``SentenceTransformer``; loads lazily, sorts by length for efficient batches."""

    def __init__(self, name: str, device: str = "cpu"):
        self.name = name
        self.load_path, self.model_id = resolve_model(name)
        self.device = device
        self._model: SentenceTransformer | None = None
        self._dim: int | None = None

    def _load(self) -> SentenceTransformer:
        if self._model is None:
            if Path(self.load_path).exists():
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            device = self.device
            if device == "auto":
                import torch

                device = "cuda" if torch.cuda.is_available() else "cpu"
            elif device.startswith("cuda"):
                import torch

                if not torch.cuda.is_available():
                    raise ConfigError(f"device {device!r} was asked for but CUDA is not available")
            try:
                model = SentenceTransformer(self.load_path, device=device)
            except OSError as e:
                raise ConfigError(f"cannot load embedding model {self.name!r}: {e}") from e
            getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            dim = getter()
            self._dim = int(dim) if dim else int(model.encode(["x"]).shape[1])
            self._model = model
        return self._model

    @property
    def dim(self) -> int:
        self._load()
        assert self._dim is not None
        return self._dim

    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               progress: Callable[[int], object] | None = None) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) <= SHORT_BATCH and not str(self.device).startswith("cuda"):
            with _one_thread():
                return self._encode(model, texts, batch_size, progress)
        return self._encode(model, texts, batch_size, progress)

    def _encode(self, model, texts: Sequence[str], batch_size: int,  # noqa: ANN001
                progress: Callable[[int], object] | None) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        step = max(batch_size, 1) * 4
        for start in range(0, len(order), step):
            idx = order[start:start + step]
            vecs = model.encode([texts[i] for i in idx], batch_size=batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
            out[idx] = vecs
            if progress:
                progress(len(idx))
        return out


SHORT_BATCH = 8
_THREADS_LOCK = threading.Lock()


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread: a query is as fast that way, and does not stall (10-40x) when other
    processes keep the CPU busy, which a multi-threaded tiny batch does (see BENCHMARKS.md)."""
    import torch

    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)
