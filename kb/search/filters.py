"""Search filters → the set of chunk ids they allow (None when nothing is filtered)."""

from __future__ import annotations

import difflib
import sqlite3
from dataclasses import dataclass, fields, replace

from kb.errors import BadInputError


class FilterError(BadInputError):
    """A filter kb does not know."""


@dataclass(frozen=True)
class Filters:
    source: str | None = None
    competition: str | None = None
    exclude_competition: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    max_rank: int | None = None
    kind: str | None = None
    modality: str | None = None

    @classmethod
    def from_kwargs(cls, **kwargs: object) -> Filters:
        names = {f.name for f in fields(cls)}
        unknown = set(kwargs) - names
        if unknown:
            raise FilterError(f"unknown filter(s): {', '.join(sorted(unknown))} (known: {', '.join(sorted(names))})")
        return cls(**{k: v for k, v in kwargs.items() if v not in (None, "")})  # type: ignore[arg-type]

    @classmethod
    def of(cls, filters: Filters | None = None, **kwargs: object) -> Filters:
        """``filters`` with the filters given as keywords on top (both forms are accepted by the API)."""
        extra = cls.from_kwargs(**kwargs)
        if filters is None:
            return extra
        return replace(filters, **{f.name: getattr(extra, f.name) for f in fields(extra)
                                   if getattr(extra, f.name) is not None})

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


def check_filters(conn: sqlite3.Connection, f: Filters, *, stored: bool = False) -> None:
    """Raise :class:`FilterError` (exit code 2) for a filter that can never match, naming the values it can
    take: a modality kb does not know, an empty year range, a rank below 1. With ``stored``, also a
    source or a competition kind that no stored document or competition has, and a competition the
    catalog does not list (the command line asks for this: there a typo is an error, not an empty answer).
    Leaving out a competition (``exclude_competition``) is never an error."""
    from kb.profile import MODALITIES

    if f.modality is not None and f.modality not in MODALITIES:
        raise FilterError(f"unknown modality {f.modality!r}: choose from {', '.join(MODALITIES)}")
    if f.year_min is not None and f.year_max is not None and f.year_min > f.year_max:
        raise FilterError(f"the year range is empty: year_min {f.year_min} is after year_max {f.year_max}")
    if f.max_rank is not None and f.max_rank < 1:
        raise FilterError(f"max_rank must be at least 1, got {f.max_rank}")
    if not stored:
        return
    if f.source is not None and conn.execute("SELECT 1 FROM documents WHERE source = ? LIMIT 1",
                                             (f.source,)).fetchone() is None:
        sources = [r[0] for r in conn.execute("SELECT DISTINCT source FROM documents ORDER BY source")]
        raise FilterError(f"no document comes from source {f.source!r}: choose from {_listing(sources)}")
    if f.kind is not None and conn.execute("SELECT 1 FROM competitions WHERE lower(kind) = lower(?) LIMIT 1",
                                           (f.kind,)).fetchone() is None:
        kinds = [r[0] for r in conn.execute(
            "SELECT DISTINCT kind FROM competitions WHERE kind IS NOT NULL AND kind != '' ORDER BY kind")]
        raise FilterError(f"no competition is of kind {f.kind!r}: choose from {_listing(kinds)}")
    if f.competition is not None and conn.execute("SELECT 1 FROM competitions WHERE slug = ?",
                                                  (f.competition,)).fetchone() is None:
        slugs = [r[0] for r in conn.execute("SELECT slug FROM competitions")]
        close = difflib.get_close_matches(f.competition, slugs, n=5, cutoff=0.6)
        hint = f": did you mean {', '.join(close)}?" if close else " (a competition's slug, as in kaggle.com/c/<slug>)"
        raise FilterError(f"no competition in the catalog is called {f.competition!r}{hint}")


def _listing(values: list[str]) -> str:
    return ", ".join(values) if values else "(none: the knowledge base is empty)"


def _link_conditions(f: Filters) -> tuple[list[str], list[object]]:
    conds: list[str] = []
    params: list[object] = []
    if f.competition:
        conds.append("co.slug = ?")
        params.append(f.competition)
    if f.max_rank is not None:
        conds.append("dc.rank IS NOT NULL AND dc.rank <= ?")
        params.append(int(f.max_rank))
    if f.kind:
        conds.append("lower(co.kind) = lower(?)")
        params.append(f.kind)
    if f.modality:
        conds.append("co.modality = ?")
        params.append(f.modality)
    return conds, params


def document_ids(conn: sqlite3.Connection, f: Filters) -> set[int] | None:
    """Documents passing the filters, or None when there are no filters."""
    if f.empty:
        return None
    sql, params = _document_query(f)
    return {r[0] for r in conn.execute(sql, params)}


def _document_query(f: Filters) -> tuple[str, list[object]]:
    sql = "SELECT d.id FROM documents d WHERE 1=1"
    params: list[object] = []
    if f.source:
        sql += " AND d.source = ?"
        params.append(f.source)
    link_conds, link_params = _link_conditions(f)
    if link_conds:
        sql += (" AND EXISTS (SELECT 1 FROM document_competitions dc JOIN competitions co ON co.id = dc.competition_id"
                " WHERE dc.document_id = d.id AND " + " AND ".join(link_conds) + ")")
        params += link_params
    if f.year_min is not None or f.year_max is not None:
        year = ("coalesce((SELECT min(co.year) FROM document_competitions dc JOIN competitions co"
                " ON co.id = dc.competition_id WHERE dc.document_id = d.id), CAST(substr(d.date, 1, 4) AS INTEGER))")
        if f.year_min is not None:
            sql += f" AND {year} >= ?"
            params.append(int(f.year_min))
        if f.year_max is not None:
            sql += f" AND {year} <= ?"
            params.append(int(f.year_max))
    if f.exclude_competition:
        sql += (" AND NOT EXISTS (SELECT 1 FROM document_competitions dc JOIN competitions co"
                " ON co.id = dc.competition_id WHERE dc.document_id = d.id AND co.slug = ?)")
        params.append(f.exclude_competition)
    return sql, params


def chunk_ids(conn: sqlite3.Connection, f: Filters) -> set[int] | None:
    """Chunks of the documents passing the filters, or None when there are no filters. One statement:
    at 1M passages, a third of them allowed, it takes 0.2 s where a temp table of ids took 1.4 s."""
    if f.empty:
        return None
    sql, params = _document_query(f)
    return {r[0] for r in conn.execute(f"SELECT id FROM chunks WHERE document_id IN ({sql})", params)}
