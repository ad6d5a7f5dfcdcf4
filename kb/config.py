"""One validated settings object: defaults, then ``<KB_HOME>/config.toml``, then environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from kb.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "all-MiniLM-L6-v2"


def _default_home() -> Path:
    return REPO_ROOT / "data"


def _default_mirror() -> Path | None:
    candidate = REPO_ROOT.parent / "shared" / "corpus"
    return candidate if (candidate / "manifest.jsonl").exists() else None


def _default_descriptions() -> Path | None:
    candidate = REPO_ROOT.parent / "shared" / "descriptions"
    return candidate if candidate.is_dir() else None


@dataclass(frozen=True)
class Settings:
    """Everything configurable. ``model`` is any sentence-transformers name or local path."""

    home: Path = field(default_factory=_default_home)
    mirror: Path | None = field(default_factory=_default_mirror)
    descriptions: Path | None = field(default_factory=_default_descriptions)  # real competition pages for `kb eval`
    model: str = DEFAULT_MODEL
    device: str = "cpu"
    batch_size: int = 64
    fusion: str = "weighted"  # "weighted" (min-max normalised scores) or "rrf"
    hybrid_weight_dense: float = 0.3
    hybrid_weight_keyword: float = 0.7
    # recommend abstains ("no close match") when no competition's text similarity to the query reaches
    # this; calibrated for the default model on `kb eval` (unrelated texts 0.15-0.34, real one-liners >= 0.298)
    abstain_below: float = 0.29

    @property
    def db_path(self) -> Path:
        return self.home / "kb.sqlite"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


_ENV = {
    "KB_MIRROR": "mirror",
    "KB_DESCRIPTIONS": "descriptions",
    "KB_MODEL": "model",
    "KB_DEVICE": "device",
    "KB_BATCH_SIZE": "batch_size",
    "KB_ABSTAIN_BELOW": "abstain_below",
}


def _coerce(key: str, value: object) -> object:
    if key in ("home", "mirror", "descriptions"):
        return Path(str(value)).expanduser() if value not in (None, "") else None
    if key == "batch_size":
        try:
            if not isinstance(value, int | float | str):
                raise TypeError(value)
            n = int(value)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"batch_size must be an integer, got {value!r}") from e
        if n < 1:
            raise ConfigError(f"batch_size must be positive, got {n}")
        return n
    if key.startswith("hybrid_weight") or key == "abstain_below":
        try:
            if not isinstance(value, int | float | str):
                raise TypeError(value)
            return float(value)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{key} must be a number, got {value!r}") from e
    if key == "fusion" and str(value) not in ("weighted", "rrf"):
        raise ConfigError(f"fusion must be 'weighted' or 'rrf', got {value!r}")
    if key == "device" and str(value) not in ("cpu", "cuda", "mps", "auto") and not str(value).startswith("cuda:"):
        raise ConfigError(f"device must be cpu, cuda, cuda:N, mps or auto, got {value!r}")
    return str(value)


def load_settings(home: str | Path | None = None, **overrides: object) -> Settings:
    """Build settings: defaults < config.toml in KB_HOME < env vars < explicit overrides."""
    env = os.environ
    home_path = Path(home or env.get("KB_HOME") or _default_home()).expanduser()
    values: dict[str, object] = {"home": home_path}
    cfg = home_path / "config.toml"
    if cfg.exists():
        try:
            data = tomllib.loads(cfg.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{cfg}: invalid TOML: {e}") from e
        known = set(Settings.__dataclass_fields__) - {"home"}
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"{cfg}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
            values[key] = _coerce(key, value)
    for var, key in _ENV.items():
        if env.get(var) not in (None, ""):
            values[key] = _coerce(key, env[var])
    for key, value in overrides.items():
        if value is not None:
            values[key] = _coerce(key, value)
    return Settings(**values)  # type: ignore[arg-type]
