"""Embedders: one protocol, one module per backend, and :func:`make_embedder` that picks one by name.

- :mod:`kb.embed.base`: the :class:`Embedder` protocol, model names, and :class:`FakeEmbedder` for tests;
- :mod:`kb.embed.sentence_transformers`: the model through PyTorch (the default);
- :mod:`kb.embed.onnx`: the same model exported to ONNX Runtime, int8 (``<name>+onnx-int8``).

Backends are imported when chosen: ``import kb`` loads neither torch nor onnxruntime.
"""

from __future__ import annotations

from pathlib import Path

from kb.embed.base import Embedder, FakeEmbedder, normalise, resolve_model
from kb.errors import ConfigError


def make_embedder(model: str, device: str = "cpu", cache_dir: Path | None = None) -> Embedder:
    """The embedder for a configured model name (``fake`` or ``fake:<dim>`` gives the test embedder).

    A name ending in ``+onnx-int8`` selects the ONNX Runtime backend (exported once into ``cache_dir``).
    """
    if model == "fake" or model.startswith("fake:"):
        dim = int(model.split(":", 1)[1]) if ":" in model else 256
        return FakeEmbedder(dim)
    from kb.embed.onnx import OnnxEmbedder, is_onnx_model  # imports onnxruntime only when chosen
    from kb.embed.sentence_transformers import SentenceTransformerEmbedder

    if is_onnx_model(model):
        if cache_dir is None:
            raise ConfigError(f"{model!r} needs a folder for its ONNX export (cache_dir)")
        return OnnxEmbedder(model, device, cache_dir=cache_dir)
    return SentenceTransformerEmbedder(model, device)


__all__ = ["Embedder", "FakeEmbedder", "make_embedder", "normalise", "resolve_model"]
