"""Keyword search over chunks with SQLite FTS5 (porter stemming, BM25); user input is always quoted."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection

_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset(
    "a an and are as at be by for from has have how i in is it its of on or that the this to was were "
    "what when where which who will with we our you your my me do does did not no can".split()
)
MAX_TERMS = 64


def query_terms(text: str) -> list[str]:
    """Words of a user query, lower-cased, stop-words dropped (kept if nothing else is left)."""
    words = [w.lower() for w in _WORD.findall(text)]
    kept = [w for w in words if w not in STOPWORDS]
    seen: dict[str, None] = {}
    for w in kept or words:
        seen.setdefault(w, None)
    return list(seen)[:MAX_TERMS]


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: each term double-quoted (so NOT, OR, *, : are plain words), OR-ed."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in query_terms(text))


def search(conn: sqlite3.Connection, text: str, limit: int = 100,
           allowed: Collection[int] | None = None) -> list[tuple[int, float]]:
    """Best chunks for ``text`` as ``(chunk_id, score)``, higher is better (negated BM25).

    Filters (``allowed``) are applied while reading the ranked matches, which keeps SQLite on its
    fast full-text path instead of probing the match once per allowed id.
    """
    expr = fts_query(text)
    if not expr or limit <= 0 or (allowed is not None and not allowed):
        return []
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
