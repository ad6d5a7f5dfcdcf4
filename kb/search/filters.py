"""Search filters → the set of chunk ids they allow (None when nothing is filtered)."""

from __future__ import annotations

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
