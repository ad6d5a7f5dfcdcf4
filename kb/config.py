"""One validated settings object: defaults, then ``<KB_HOME>/config.toml``, then environment variables.

This module is the only reader of kb's configuration: everything else is handed a :class:`Settings`
(the knowledge base's ``settings``) or values taken from one.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from kb.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent  # the checkout, when kb runs from one
DEFAULT_MODEL = "all-MiniLM-L6-v2"
APP_NAME = "kb"


def in_checkout() -> bool:
    """True when kb runs from its source tree (an editable install or a clone), not from site-packages."""
    return (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "kb" / "__init__.py").is_file()


def user_data_dir() -> Path:
    """The per-user data folder: ``$XDG_DATA_HOME/kb`` (``~/.local/share/kb``), ``~/Library/Application
    Support/kb`` on macOS, ``%LOCALAPPDATA%\\kb`` on Windows."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Application Support")
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / APP_NAME


def default_home() -> Path:
    """``./data`` in a checkout, else the per-user data folder (a ``pip install .`` keeps no data in site-packages)."""
    return REPO_ROOT / "data" if in_checkout() else user_data_dir()


def _default_mirror() -> Path | None:
    candidate = REPO_ROOT.parent / "shared" / "corpus"
    return candidate if in_checkout() and (candidate / "manifest.jsonl").exists() else None


def _default_descriptions() -> Path | None:
    candidate = REPO_ROOT.parent / "shared" / "descriptions"
    return candidate if in_checkout() and candidate.is_dir() else None


@dataclass(frozen=True)
class Settings:
    """Everything configurable. ``model`` is any sentence-transformers name or local path."""

    home: Path = field(default_factory=default_home)
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
    techniques: tuple[Path, ...] = ()  # vocabulary files that extend the packaged one (KB_HOME/techniques.yml too)
    github_token: str | None = field(default=None, repr=False)  # raises GitHub's API limit for live ingestion
    kaggle_token: str | None = field(default=None, repr=False)  # Kaggle's documented topic API

    @property
    def db_path(self) -> Path:
        return self.home / "kb.sqlite"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def models_dir(self) -> Path:
        """Where model exports (the ONNX backend's) are kept."""
        return self.home / "models"

    @property
    def http_cache_dir(self) -> Path:
        """The live crawls' HTTP cache."""
        return self.home / "http-cache"


_ENV = {
    "KB_MIRROR": "mirror",
    "KB_DESCRIPTIONS": "descriptions",
    "KB_MODEL": "model",
    "KB_DEVICE": "device",
    "KB_BATCH_SIZE": "batch_size",
    "KB_ABSTAIN_BELOW": "abstain_below",
    "KB_TECHNIQUES": "techniques",
    "GITHUB_TOKEN": "github_token",
    "KAGGLE_API_TOKEN": "kaggle_token",
}


def _number(key: str, value: object, kind: type[int] | type[float]) -> int | float:
    message = f"{key} must be {'an integer' if kind is int else 'a number'}, got {value!r}"
    if not isinstance(value, int | float | str):
        raise ConfigError(message)
    try:
        return kind(value)
    except ValueError as e:
        raise ConfigError(message) from e


def _paths(value: object) -> tuple[Path, ...]:
    """Files from an ``os.pathsep``-separated string (the environment) or a list (config.toml)."""
    items = value.split(os.pathsep) if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(p, str | Path) for p in items):
        raise ConfigError(f"techniques must be a list of files, got {value!r}")
    return tuple(Path(p).expanduser() for p in items if str(p).strip())


def _coerce(key: str, value: object) -> object:
    if key in ("home", "mirror", "descriptions"):
        return Path(str(value)).expanduser() if value not in (None, "") else None
    if key == "techniques":
        return _paths(value)
    if key in ("github_token", "kaggle_token"):
        return str(value) if value not in (None, "") else None
    if key == "batch_size":
        n = _number(key, value, int)
        if n < 1:
            raise ConfigError(f"batch_size must be positive, got {n}")
        return n
    if key.startswith("hybrid_weight") or key == "abstain_below":
        return _number(key, value, float)
    if key == "fusion" and str(value) not in ("weighted", "rrf"):
        raise ConfigError(f"fusion must be 'weighted' or 'rrf', got {value!r}")
    if key == "device" and str(value) not in ("cpu", "cuda", "mps", "auto") and not str(value).startswith("cuda:"):
        raise ConfigError(f"device must be cpu, cuda, cuda:N, mps or auto, got {value!r}")
    return str(value)


def load_settings(home: str | Path | None = None, **overrides: object) -> Settings:
    """Build settings: defaults < config.toml in the home < environment variables < explicit overrides.

    The home is ``home`` if given, else ``KB_HOME``, else :func:`default_home`.
    """
    env = os.environ
    home_path = Path(home or env.get("KB_HOME") or default_home()).expanduser()
    values: dict[str, object] = {"home": home_path}
    cfg = home_path / "config.toml"
    if cfg.exists():
        try:
            data = tomllib.loads(cfg.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{cfg}: invalid TOML: {e}") from e
        known = {f.name for f in fields(Settings)} - {"home"}
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
