"""Keyword search over chunks with SQLite FTS5 (porter stemming, BM25); user input is always quoted."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from kb.search.terms import query_terms


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: each term double-quoted (so NOT, OR, *, : are plain words), OR-ed."""
    return " OR ".join(_quote(t) for t in query_terms(text))


MATCH_BUDGET = 50_000  # most rows BM25 is computed for; common words beyond it are left out
_DF_CACHE: dict[tuple[int, int, str], int] = {}


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def document_frequency(conn: sqlite3.Connection, term: str) -> int:
    """Passages matching ``term`` (cached per connection and index size)."""
    top = conn.execute("SELECT max(rowid) FROM chunks_fts").fetchone()[0] or 0
    key = (id(conn), top, term)
    if key not in _DF_CACHE:
        if len(_DF_CACHE) > 10_000:
            _DF_CACHE.clear()
        _DF_CACHE[key] = conn.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?",
                                      (_quote(term),)).fetchone()[0]
    return _DF_CACHE[key]


def prune_terms(terms: list[str], frequency: dict[str, int], budget: int = MATCH_BUDGET) -> list[str]:
    """Keep the rarest terms while their matches total at most ``budget`` (always the rarest one).

    The dropped words are the most common ones, whose BM25 weight is smallest anyway; on a corpus
    where the whole query stays under the budget nothing changes.
    """
    if sum(frequency.get(t, 0) for t in terms) <= budget:
        return terms
    kept: list[str] = []
    total = 0
    for t in sorted(terms, key=lambda t: (frequency.get(t, 0), t)):
        if kept and total + frequency.get(t, 0) > budget:
            break
        kept.append(t)
        total += frequency.get(t, 0)
    return [t for t in terms if t in kept]


def search(conn: sqlite3.Connection, text: str, limit: int = 100,
           allowed: Collection[int] | None = None, budget: int = MATCH_BUDGET) -> list[tuple[int, float]]:
    """Best chunks for ``text`` as ``(chunk_id, score)``, higher is better (negated BM25).

    Filters (``allowed``) are applied while reading the ranked matches, which keeps SQLite on its
    fast full-text path instead of probing the match once per allowed id.
    """
    terms = query_terms(text)
    if not terms or limit <= 0 or (allowed is not None and not allowed):
        return []
    if len(terms) > 1:
        terms = prune_terms(terms, {t: document_frequency(conn, t) for t in terms}, budget)
    expr = " OR ".join(_quote(t) for t in terms)
    # column weights: title, heading, text
    cur = conn.execute(
        "SELECT rowid, -bm25(chunks_fts, 2.0, 1.5, 1.0) FROM chunks_fts WHERE chunks_fts MATCH ?"
        " ORDER BY bm25(chunks_fts, 2.0, 1.5, 1.0)" + ("" if allowed is not None else " LIMIT ?"),
        (expr,) if allowed is not None else (expr, limit),
    )
    out: list[tuple[int, float]] = []
    for rowid, score in cur:
        if allowed is None or rowid in allowed:
            out.append((rowid, score))
            if len(out) == limit:
                break
    cur.close()
    return out
