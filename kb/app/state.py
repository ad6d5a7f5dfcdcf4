"""The web app's shareable state: what lives in the URL query string, parsed and written back.

Pure functions over plain mappings so they can be tested without Streamlit. Anything a user
can type into the URL is validated here; a bad value is dropped, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from kb import Filters

VIEWS = ("recommend", "search", "document", "corpus")
VIEW_LABELS = {"recommend": "Recommend", "search": "Search", "document": "Document", "corpus": "Corpus"}
VIEW_CAPTIONS = ["techniques for a new competition", "passages across write-ups", "read one write-up",
                 "what is inside, charts"]
DEFAULT_K = 12
MAX_K = 50
MAX_QUERY_CHARS = 4000
RANK_CHOICES = (1, 3, 5, 10, 20, 50, 100)


@dataclass(frozen=True)
class FilterState:
    """The search filters the app offers; ``None`` means "any"."""

    modality: str | None = None
    source: str | None = None
    kind: str | None = None
    competition: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    max_rank: int | None = None

    def to_filters(self) -> Filters:
        """The same filters as the API takes them."""
        return Filters(modality=self.modality, source=self.source, kind=self.kind, competition=self.competition,
                       year_min=self.year_min, year_max=self.year_max, max_rank=self.max_rank)

    def kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``KnowledgeBase.search``/``recommend`` (only the set filters)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @property
    def active(self) -> bool:
        return bool(self.kwargs())


@dataclass(frozen=True)
class AppState:
    view: str = "recommend"
    q: str = ""
    filters: FilterState = field(default_factory=FilterState)
    exclude: str | None = None
    doc: int | None = None
    k: int = DEFAULT_K
    chunk: int | None = None  # the passage of ``doc`` to show (opened from a search hit or a quote)


_TEXT_FILTERS = ("modality", "source", "kind", "competition")
_INT_FILTERS = ("year_min", "year_max", "max_rank")


def _first(params: Mapping[str, object], key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: str | None, low: int, high: int) -> int | None:
    if value is None:
        return None
    try:
        n = int(value)
    except ValueError:
        return None
    return n if low <= n <= high else None


def parse_params(params: Mapping[str, object]) -> AppState:
    """The state a URL asks for. ``?q=...`` without a view opens the recommend view."""
    view = (_first(params, "view") or "recommend").lower()
    if view not in VIEWS:
        view = "recommend"
    q = " ".join((_first(params, "q") or "").split())[:MAX_QUERY_CHARS]
    text = {name: _first(params, name) for name in _TEXT_FILTERS}
    ints = {name: _int(_first(params, name), 1, 9999) for name in _INT_FILTERS}
    if ints["year_min"] and ints["year_max"] and ints["year_min"] > ints["year_max"]:
        ints["year_min"], ints["year_max"] = ints["year_max"], ints["year_min"]
    filters = FilterState(modality=text["modality"], source=text["source"], kind=text["kind"],
                          competition=text["competition"], year_min=ints["year_min"], year_max=ints["year_max"],
                          max_rank=ints["max_rank"])
    return AppState(
        view=view, q=q, filters=filters, exclude=_first(params, "exclude"),
        doc=_int(_first(params, "doc"), 1, 2**62), k=_int(_first(params, "k"), 1, MAX_K) or DEFAULT_K,
        chunk=_int(_first(params, "chunk"), 1, 2**62),
    )


def to_params(state: AppState) -> dict[str, str]:
    """The query string for ``state``: only what differs from the defaults, in a stable order."""
    out: dict[str, str] = {"view": state.view}
    if state.view in ("recommend", "search") and state.q:
        out["q"] = state.q
    if state.view in ("recommend", "search"):
        out.update({name: str(value) for name, value in state.filters.kwargs().items()})
    if state.view == "recommend":
        if state.exclude:
            out["exclude"] = state.exclude
        if state.k != DEFAULT_K:
            out["k"] = str(state.k)
    if state.view == "document" and state.doc is not None:
        out["doc"] = str(state.doc)
        if state.chunk is not None:
            out["chunk"] = str(state.chunk)
    return out


def year_filter(selected: tuple[int, int] | None, bounds: tuple[int, int] | None) -> tuple[int | None, int | None]:
    """A year-range slider's value as filters: the full range means no year filter."""
    if selected is None or bounds is None:
        return None, None
    low, high = selected
    return (low if low > bounds[0] else None), (high if high < bounds[1] else None)


def clamp_years(state: FilterState, bounds: tuple[int, int] | None) -> tuple[int, int] | None:
    """The slider value for the state's year filters, kept inside ``bounds``."""
    if bounds is None:
        return None
    lo, hi = bounds
    low = min(max(state.year_min or lo, lo), hi)
    high = max(min(state.year_max or hi, hi), lo)
    return (low, high) if low <= high else (lo, hi)
