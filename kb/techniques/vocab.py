"""The technique vocabulary: canonical names, categories and the phrases that mention them.

The packaged ``vocabulary.yml`` is the default. More YAML files extend it without code changes:
those of ``Settings.techniques`` (``KB_TECHNIQUES``), then ``<KB_HOME>/techniques.yml``.
Later files win: an entry whose name already exists replaces the fields it sets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kb.errors import KBError
from kb.techniques.matcher import Matcher, alias_key

if TYPE_CHECKING:
    from kb.config import Settings
from kb.text import safe_yaml

CATEGORIES: tuple[str, ...] = (
    "validation", "features", "models", "training", "augmentation",
    "ensembling", "post-processing", "data", "tricks",
)
PACKAGED = Path(__file__).with_name("vocabulary.yml")
USER_FILE = "techniques.yml"
_FIELDS = ("name", "category", "aliases", "case_sensitive_aliases", "patterns", "description")
_LIST_FIELDS = ("aliases", "case_sensitive_aliases", "patterns")


class VocabularyError(KBError):
    """A vocabulary file is malformed; the message names the file and the entry."""

    exit_code = 2


@dataclass(frozen=True)
class Technique:
    """One technique: ``aliases`` match case-insensitively, ``case_sensitive_aliases`` exactly."""

    name: str
    category: str
    aliases: tuple[str, ...]
    description: str
    patterns: tuple[str, ...] = ()
    case_sensitive_aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """An immutable set of techniques, in file order."""

    techniques: tuple[Technique, ...]
    _index: Mapping[str, Technique] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {t.name.casefold(): t for t in self.techniques})

    def by_name(self, name: str) -> Technique:
        """The technique called ``name`` (case-insensitive); ``KeyError`` if there is none."""
        try:
            return self._index[name.casefold()]
        except KeyError:
            raise KeyError(f"unknown technique: {name!r}") from None

    @property
    def categories(self) -> tuple[str, ...]:
        """Categories used by at least one technique, in canonical order."""
        used = {t.category for t in self.techniques}
        return tuple(c for c in CATEGORIES if c in used)

    def __len__(self) -> int:
        return len(self.techniques)

    def __iter__(self) -> Iterator[Technique]:
        return iter(self.techniques)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self._index

    @cached_property
    def _matcher(self) -> Matcher:
        return Matcher(self)

    def matcher(self) -> Matcher:
        """The compiled matching structure for this vocabulary, built once and cached."""
        return self._matcher


def _as_list(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise VocabularyError(f"{where}: {key!r} must be a list of strings")
    out = [str(v).strip() for v in value]
    if any(not v for v in out):
        raise VocabularyError(f"{where}: {key!r} contains an empty string")
    return out


def _check_pattern(pattern: str, where: str) -> None:
    exact = pattern.startswith("(?-i)")
    body = pattern[5:] if exact else pattern
    if not exact and re.search(r"[A-Z]", re.sub(r"\\.", "", body)):
        raise VocabularyError(f"{where}: regex {pattern!r} is matched against lower-cased text; write its letters "
                              "in lower case, or start it with (?-i) to match case-sensitively")
    try:
        compiled = re.compile(body, re.IGNORECASE)
    except re.error as e:
        raise VocabularyError(f"{where}: bad regex {pattern!r}: {e}") from e
    if compiled.groups:
        raise VocabularyError(f"{where}: regex {pattern!r} must not use capturing groups; write (?:...) instead")
    if compiled.search("") is not None:
        raise VocabularyError(f"{where}: regex {pattern!r} matches the empty string")


def _read_entries(path: Path) -> list[dict[str, Any]]:
    """Parse one YAML file into validated raw entries (fields may be partial for overrides)."""
    try:
        data = safe_yaml.parse(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise VocabularyError(f"{path}: cannot read vocabulary file: {e}") from e
    except yaml.YAMLError as e:
        raise VocabularyError(f"{path}: malformed YAML: {e}") from e
    if data is None:
        return []
    if isinstance(data, dict) and "techniques" in data:
        data = data["techniques"]
    if not isinstance(data, list):
        raise VocabularyError(f"{path}: expected a list of technique entries")
    entries: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(data, start=1):
        where = f"{path}: entry {i}"
        if not isinstance(raw, dict):
            raise VocabularyError(f"{where}: expected a mapping with name, category, aliases, description")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise VocabularyError(f"{where}: missing 'name'")
        name = name.strip()
        where = f"{path}: entry {i} ({name!r})"
        unknown = sorted(set(raw) - set(_FIELDS))
        if unknown:
            raise VocabularyError(f"{where}: unknown field(s) {', '.join(unknown)}")
        key = name.casefold()
        if key in seen:
            raise VocabularyError(f"{where}: duplicate name (already entry {seen[key]} in this file)")
        seen[key] = i
        entry: dict[str, Any] = {"name": name}
        if "category" in raw:
            category = raw["category"]
            if not isinstance(category, str) or category.strip() not in CATEGORIES:
                raise VocabularyError(
                    f"{where}: unknown category {category!r} (expected one of: {', '.join(CATEGORIES)})")
            entry["category"] = category.strip()
        if "description" in raw:
            if not isinstance(raw["description"], str):
                raise VocabularyError(f"{where}: 'description' must be a string")
            entry["description"] = " ".join(raw["description"].split())
        for key_ in _LIST_FIELDS:
            if key_ in raw:
                entry[key_] = _as_list(raw[key_], where, key_)
        for pattern in entry.get("patterns", []):
            _check_pattern(pattern, where)
        entry["_where"] = where
        entries.append(entry)
    return entries


def _merge(merged: dict[str, dict[str, Any]], entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        key = entry["name"].casefold()
        if key in merged:
            base = merged[key]
            base.update({k: v for k, v in entry.items() if k not in ("name", "_where")})
            base["_where"] = entry["_where"]
        else:
            merged[key] = dict(entry)


def _build(entry: dict[str, Any]) -> Technique:
    where = entry["_where"]
    if "category" not in entry:
        raise VocabularyError(f"{where}: missing 'category'")
    aliases = entry.get("aliases", [])
    exact = entry.get("case_sensitive_aliases", [])
    patterns = entry.get("patterns", [])
    if not (aliases or exact or patterns):
        raise VocabularyError(f"{where}: needs at least one alias or pattern")
    return Technique(
        name=entry["name"], category=entry["category"], aliases=tuple(dict.fromkeys(a.lower() for a in aliases)),
        description=entry.get("description", ""), patterns=tuple(patterns),
        case_sensitive_aliases=tuple(dict.fromkeys(exact)))


def _check_alias_clashes(techniques: Sequence[Technique], wheres: Mapping[str, str]) -> None:
    owner: dict[tuple[bool, str], str] = {}
    for t in techniques:
        keys = [(False, alias_key(a)) for a in t.aliases] + [(True, re.sub(r"[\s_-]+", "", a))
                                                              for a in t.case_sensitive_aliases]
        for key in keys:
            if not key[1]:
                raise VocabularyError(f"{wheres[t.name]}: an alias is only separators")
            other = owner.setdefault(key, t.name)
            if other != t.name:
                raise VocabularyError(
                    f"{wheres[t.name]}: alias {key[1]!r} is also an alias of {other!r}")


def default_paths(extra: Sequence[Path] = (), home: Path | None = None) -> list[Path]:
    """The packaged file, then the ``extra`` files (``Settings.techniques``), then ``<home>/techniques.yml``
    if present."""
    paths = [PACKAGED, *extra]
    if home is not None and (home / USER_FILE).is_file():
        paths.append(home / USER_FILE)
    return paths


def settings_paths(settings: Settings) -> list[Path]:
    """The vocabulary files a knowledge base with these settings reads."""
    return default_paths(settings.techniques, settings.home)


def load_vocabulary(paths: Sequence[Path | str] | None = None) -> Vocabulary:
    """Load and merge vocabulary files (default: those of the current settings, :func:`settings_paths`);
    raises ``VocabularyError``."""
    if paths is None:
        from kb.config import load_settings

        paths = settings_paths(load_settings())
    files = [Path(p) for p in paths]
    merged: dict[str, dict[str, Any]] = {}
    for path in files:
        if not path.is_file():
            raise VocabularyError(f"{path}: vocabulary file not found")
        _merge(merged, _read_entries(path))
    techniques = tuple(_build(e) for e in merged.values())
    _check_alias_clashes(techniques, {t.name: e["_where"] for t, e in zip(techniques, merged.values(), strict=True)})
    return Vocabulary(techniques)


__all__ = ["CATEGORIES", "Technique", "Vocabulary", "VocabularyError", "alias_key", "default_paths",
           "load_vocabulary", "settings_paths"]
