"""Optional ONNX Runtime embedder: the same sentence-transformers model, int8-quantised, no torch at run time.

Selected with a model name ending in ``+onnx-int8`` (e.g. ``KB_MODEL=all-MiniLM-L6-v2+onnx-int8``).
The first use exports the local model folder once — transformer, mean pooling and L2 normalisation
in one graph — quantises its matrix multiplications to int8 (per channel) and caches the result as
plain files under ``<KB_HOME>/models/``; nothing is downloaded. Its vectors are close to, but not the
same as, the PyTorch model's (cosine ≈ 0.99), hence a distinct ``model_id``: an index built with
one backend is never searched with the other. Needs the ``onnx`` extra (onnxruntime, onnx); the
one-off export also needs torch and transformers, which sentence-transformers brings.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
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
EXPORT_VERSION = 1
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
EXPORT_FILE = "export.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def is_onnx_model(name: str) -> bool:
    return name.endswith(ONNX_SUFFIX)


def _base_name(name: str) -> str:
    return name[: -len(ONNX_SUFFIX)] if is_onnx_model(name) else name


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from e


def model_settings(source: Path) -> dict:
    """Dimension and maximum tokens of a local sentence-transformers folder; only mean pooling is supported."""
    pooling = _read_json(source / "1_Pooling" / "config.json") if (source / "1_Pooling").exists() else {}
    if pooling and not pooling.get("pooling_mode_mean_tokens"):
        raise ConfigError(f"{source}: the ONNX backend supports mean pooling only")
    config = _read_json(source / "config.json")
    st_config = source / "sentence_bert_config.json"
    max_tokens = _read_json(st_config).get("max_seq_length") if st_config.exists() else None
    return {"dim": int(config["hidden_size"]),
            "max_tokens": int(max_tokens or config.get("max_position_embeddings", 512))}


def export_model(source: Path, target: Path) -> Path:
    """Export ``source`` to ``target/model.onnx`` (int8) with its tokenizer; returns ``target``.

    Written into a temporary folder and renamed, so a concurrent or interrupted export never leaves a
    half-written model behind.
    """
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel
    except ImportError as e:
        raise ConfigError(f"exporting the ONNX model needs torch, transformers and onnxruntime ({e})") from e
    settings = model_settings(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    work.chmod(0o755)  # mkdtemp makes it private; the cache is shared like the rest of KB_HOME
    try:
        model = AutoModel.from_pretrained(str(source))
        model.eval()
        fp32 = work / "model.fp32.onnx"
        example = torch.ones((2, 8), dtype=torch.long)
        axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
        with torch.no_grad():
            torch.onnx.export(_pooled(model), (example, example, torch.zeros_like(example)), str(fp32),
                              input_names=list(INPUTS), output_names=["embedding"],
                              dynamic_axes={**axes, "embedding": {0: "batch"}}, opset_version=17, dynamo=False)
        quantize_dynamic(str(fp32), str(work / MODEL_FILE), per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"])
        fp32.unlink()
        shutil.copyfile(source / TOKENIZER_FILE, work / TOKENIZER_FILE)
        (work / EXPORT_FILE).write_text(json.dumps({"version": EXPORT_VERSION, "source": str(source), **settings},
                                                   indent=2), encoding="utf-8")
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


class OnnxEmbedder:
    """``Embedder`` over ONNX Runtime; batches texts of similar token length together."""

    def __init__(self, name: str, device: str = "cpu", *, cache_dir: Path, threads: int | None = None):
        self.name = name
        load_path, base_id = resolve_model(_base_name(name))
        self.source = Path(load_path)
        if not self.source.is_dir():
            raise ConfigError(f"the ONNX backend needs a local model folder; {_base_name(name)!r} is not one")
        self.model_id = base_id + ONNX_SUFFIX
        self.device = device
        self.threads = threads
        slug = base_id.rstrip("/").rsplit("/", 1)[-1]
        self.path = Path(cache_dir) / f"{slug}{ONNX_SUFFIX.replace('+', '-')}"
        self._session: Any = None  # onnxruntime.InferenceSession (onnxruntime has no type information)
        self._tokenizer: Tokenizer | None = None
        self._settings: dict | None = None

    def _ready(self) -> dict:
        """Export when missing (or from an older export format), then read the export's settings."""
        export = self.path / EXPORT_FILE
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

