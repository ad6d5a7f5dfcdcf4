"""Chunk vectors in SQLite: float32 BLOBs keyed by (model, chunk hash), so unchanged text is never re-embedded."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence

import numpy as np

from kb.embed import Embedder
from kb.search.dense import content_key
from kb.store.db import transaction
from kb.text.chunking import Chunk, embedding_text


def pending_chunks(conn: sqlite3.Connection, model: str) -> list[tuple[str, str]]:
    """(sha256, text to embed) for chunks whose vector under ``model`` is missing, one per hash."""
    rows = conn.execute(
        "SELECT c.sha256, min(c.id), c.heading_path, c.text, d.title FROM chunks c"
        " JOIN documents d ON d.id = c.document_id"
        " WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model = ? AND e.sha256 = c.sha256)"
        " GROUP BY c.sha256",
        (model,),
    ).fetchall()
    return [(r[0], embedding_text(Chunk(0, r[2], r[3]), r[4])) for r in rows]


def embed_pending(conn: sqlite3.Connection, embedder: Embedder, *, batch_size: int = 64,
                  commit_every: int = 512, progress: Callable[[int], object] | None = None) -> int:
    """Embed every chunk without a vector; commit in slices so an interrupted run keeps its work."""
    todo = pending_chunks(conn, embedder.model_id)
    done = 0
    for start in range(0, len(todo), commit_every):
        part = todo[start:start + commit_every]
        vecs = embedder.encode([t for _, t in part], batch_size=batch_size, progress=progress)
        with transaction(conn):
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model, sha256, vector) VALUES (?, ?, ?)",
                ((embedder.model_id, sha, vec.astype(np.float32).tobytes()) for (sha, _), vec in
                 zip(part, vecs, strict=True)),
            )
        done += len(part)
    return done


def unused_vectors(conn: sqlite3.Connection, model: str, used: Collection[bytes]) -> list[str]:
    """Keys of the vectors under ``model`` that belong to no current passage and are none of ``used`` (the
    vectors recommend reads: competition descriptions and write-up centroids, compared by value)."""
    rows = conn.execute(
        "SELECT e.sha256, e.vector FROM embeddings e WHERE e.model = ?"
        " AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.sha256 = e.sha256)", (model,))
    return [sha for sha, vector in rows if bytes(vector) not in used]


def delete_vectors(conn: sqlite3.Connection, model: str, keys: Sequence[str]) -> int:
    """Delete the vectors of ``keys`` under ``model`` (in one transaction); returns how many."""
    with transaction(conn):
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            conn.execute(f"DELETE FROM embeddings WHERE model = ? AND sha256 IN ({','.join('?' * len(part))})",
                         (model, *part))
    return len(keys)


def load_vectors(conn: sqlite3.Connection, model: str) -> tuple[np.ndarray, np.ndarray]:
    """(chunk ids, vectors) for every chunk that has a vector under ``model``."""
    rows = conn.execute(
        "SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.sha256 = c.sha256 AND e.model = ?"
        " ORDER BY c.id",
        (model,),
    ).fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    return ids, vecs


def index_rows(conn: sqlite3.Connection, model: str,
               only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(chunk ids, vectors, content keys) of chunks with a vector under ``model`` (only ids in ``only``), by id."""
    sql = "SELECT c.id, e.vector, c.sha256 FROM chunks c JOIN embeddings e ON e.sha256 = c.sha256 AND e.model = ?"
    if only is None:
        rows = conn.execute(sql + " ORDER BY c.id", (model,)).fetchall()
    else:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS _wanted (id INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM _wanted")
        conn.executemany("INSERT INTO _wanted (id) VALUES (?)", ((int(i),) for i in only))
        rows = conn.execute(sql + " AND c.id IN (SELECT id FROM _wanted) ORDER BY c.id", (model,)).fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    keys = np.fromiter((content_key(r[2]) for r in rows), dtype=np.int64, count=len(rows))
    vecs = (np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1) if rows
            else np.zeros((0, 0), dtype=np.float32))
    return ids, vecs, keys


def vector_keys(conn: sqlite3.Connection, model: str) -> tuple[np.ndarray, np.ndarray]:
    """(chunk ids, content keys) of chunks with a vector under ``model``, by id: what the index should hold."""
    rows = conn.execute(
        "SELECT c.id, c.sha256 FROM chunks c JOIN embeddings e ON e.sha256 = c.sha256 AND e.model = ? ORDER BY c.id",
        (model,),
    ).fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    keys = np.fromiter((content_key(r[1]) for r in rows), dtype=np.int64, count=len(rows))
    return ids, keys

