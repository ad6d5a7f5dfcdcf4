"""Writes to the SQLite store: competitions, documents with their chunks, links, other URLs, the keyword index.

Callers wrap them in :func:`kb.store.db.transaction` (one per document)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from kb.records import Competition, CompetitionLink
from kb.text.chunking import Chunk


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_COMP_FIELDS = ("title", "description", "kind", "metric", "year", "team_count", "prize", "url",
                "catalog_number")


def upsert_competition(conn: sqlite3.Connection, comp: Competition) -> int:
    """Insert or update by slug (fields that are None keep their stored value); return the id."""
    values = {f: getattr(comp, f) for f in _COMP_FIELDS}
    comp = replace(comp, slug=comp.slug.strip().lower())
    conn.execute(
        f"INSERT INTO competitions (slug, {', '.join(_COMP_FIELDS)}) VALUES (?, {', '.join('?' * len(_COMP_FIELDS))})"
        f" ON CONFLICT(slug) DO UPDATE SET "
        + ", ".join(f"{f} = coalesce(excluded.{f}, {f})" for f in _COMP_FIELDS)
        + ", updated_at = datetime('now')",
        (comp.slug, *values.values()),
    )
    return conn.execute("SELECT id FROM competitions WHERE slug = ?", (comp.slug,)).fetchone()[0]


def competition_id(conn: sqlite3.Connection, slug: str, title: str | None = None) -> int:
    """The id of competition ``slug`` (slugs are case-insensitive), creating a bare row if unknown."""
    slug = slug.strip().lower()
    row = conn.execute("SELECT id FROM competitions WHERE slug = ?", (slug,)).fetchone()
    if row:
        return row[0]
    return upsert_competition(conn, Competition(slug=slug, title=title, url=f"https://www.kaggle.com/c/{slug}"))


def link_document(conn: sqlite3.Connection, document_id: int, links: Iterable[CompetitionLink]) -> int:
    """Add document→competition links (idempotent); return how many were new."""
    added = 0
    for link in links:
        cid = competition_id(conn, link.slug, link.title)
        cur = conn.execute(
            "INSERT OR IGNORE INTO document_competitions (document_id, competition_id, rank, link_kind)"
            " VALUES (?, ?, ?, ?)",
            (document_id, cid, link.rank, link.kind),
        )
        added += cur.rowcount
    return added


@dataclass(frozen=True)
class DocumentRow:
    url: str
    source: str
    title: str | None
    author: str | None
    date: str | None
    content_type: str
    raw_sha256: str
    text: str
    language: str | None
    license: str | None
    site: str | None
    fetched_url: str | None
    clean_version: str | None = None  # kb.text.clean.CLEAN_VERSION of the cleaning that made ``text``


def find_document(conn: sqlite3.Connection, url: str) -> sqlite3.Row | None:
    return conn.execute("SELECT id, raw_sha256, text_sha256, clean_version FROM documents WHERE url = ?",
                        (url,)).fetchone()


def set_clean_version(conn: sqlite3.Connection, document_id: int, version: str) -> None:
    """Record that cleaning ``version`` makes the stored text of the document (it re-cleaned to the same text)."""
    conn.execute("UPDATE documents SET clean_version = ? WHERE id = ?", (version, document_id))


def find_same_document(conn: sqlite3.Connection, urls: Iterable[str]) -> sqlite3.Row | None:
    """The stored document known under any of ``urls``: as its own URL or as one of its other URLs."""
    for url in dict.fromkeys(urls):
        row = conn.execute(
            "SELECT id, url FROM documents WHERE url = ?"
            " UNION ALL SELECT d.id, d.url FROM document_urls u JOIN documents d ON d.id = u.document_id"
            " WHERE u.url = ? LIMIT 1", (url, url)).fetchone()
        if row is not None:
            return row
    return None


def find_same_text(conn: sqlite3.Connection, text_sha256: str, source: str) -> sqlite3.Row | None:
    """A stored document of ``source`` whose clean text is exactly this one (the same post under another URL)."""
    return conn.execute("SELECT id, url FROM documents WHERE text_sha256 = ? AND source = ? ORDER BY id LIMIT 1",
                        (text_sha256, source)).fetchone()


def remember_urls(conn: sqlite3.Connection, document_id: int, urls: Iterable[str]) -> int:
    """Record ``urls`` as other URLs of the document (a URL that is another document's own is left alone)."""
    added = 0
    for url in dict.fromkeys(urls):
        owner = conn.execute("SELECT id FROM documents WHERE url = ?", (url,)).fetchone()
        if owner is None:
            added += conn.execute("INSERT OR IGNORE INTO document_urls (url, document_id) VALUES (?, ?)",
                                  (url, document_id)).rowcount
    return added


def document_urls(conn: sqlite3.Connection, document_id: int) -> list[str]:
    """Every URL the document is known under: its own first, then the others in the order they were seen."""
    own = conn.execute("SELECT url FROM documents WHERE id = ?", (document_id,)).fetchone()
    others = [r[0] for r in conn.execute("SELECT url FROM document_urls WHERE document_id = ? ORDER BY rowid",
                                         (document_id,))]
    return ([own[0]] if own else []) + others


def linked_slugs(conn: sqlite3.Connection, document_id: int) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT co.slug FROM document_competitions dc JOIN competitions co ON co.id = dc.competition_id"
        " WHERE dc.document_id = ?", (document_id,))}


def fill_missing(conn: sqlite3.Connection, document_id: int, *, author: str | None, date: str | None) -> None:
    """Author and date the stored copy lacks, from another copy of the same document."""
    conn.execute("UPDATE documents SET author = coalesce(author, ?), date = coalesce(date, ?) WHERE id = ?",
                 (author, date, document_id))


def touch_document(conn: sqlite3.Connection, document_id: int) -> None:
    conn.execute("UPDATE documents SET fetched_at = ? WHERE id = ?", (now(), document_id))


def save_document(conn: sqlite3.Connection, doc: DocumentRow, chunks: list[Chunk]) -> tuple[int, bool]:
    """Insert or replace a document and its chunks (and their FTS rows). Returns (id, was_new)."""
    ts = now()
    existing = conn.execute("SELECT id FROM documents WHERE url = ?", (doc.url,)).fetchone()
    values = (doc.source, doc.title, doc.author, doc.date, doc.content_type, doc.raw_sha256, doc.text,
              sha256(doc.text), doc.language, doc.license, doc.site, doc.fetched_url, doc.clean_version, ts, ts)
    if existing:
        doc_id = existing[0]
        conn.execute(
            "UPDATE documents SET source=?, title=?, author=?, date=?, content_type=?, raw_sha256=?, text=?,"
            " text_sha256=?, language=?, license=?, site=?, fetched_url=?, clean_version=?, fetched_at=?,"
            " updated_at=? WHERE id=?",
            (*values, doc_id),
        )
        delete_chunks(conn, doc_id)
    else:
        doc_id = conn.execute(
            "INSERT INTO documents (source, title, author, date, content_type, raw_sha256, text, text_sha256,"
            " language, license, site, fetched_url, clean_version, fetched_at, updated_at, url)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, doc.url),
        ).lastrowid
    for chunk in chunks:
        cid = conn.execute(
            "INSERT INTO chunks (document_id, position, heading_path, text, sha256) VALUES (?, ?, ?, ?, ?)",
            (doc_id, chunk.position, chunk.heading_path, chunk.text,
             sha256(f"{doc.title or ''}\n{chunk.heading_path}\n{chunk.text}")),
        ).lastrowid
        conn.execute("INSERT INTO chunks_fts (rowid, title, heading, text) VALUES (?, ?, ?, ?)",
                     (cid, doc.title or "", chunk.heading_path, chunk.text))
    return doc_id, existing is None


def delete_chunks(conn: sqlite3.Connection, document_id: int) -> None:
    conn.execute("DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)",
                 (document_id,))
    conn.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))


def rebuild_fts(conn: sqlite3.Connection) -> int:
    """Recreate the keyword index from the chunks table; return the number of rows indexed."""
    conn.execute("DELETE FROM chunks_fts")
    # FTS5's own rebuild, now over no rows: cheap, and it also clears a damaged full-text index
    conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')")
    conn.execute(
        "INSERT INTO chunks_fts (rowid, title, heading, text) SELECT c.id, coalesce(d.title, ''),"
        " c.heading_path, c.text FROM chunks c JOIN documents d ON d.id = c.document_id"
    )
    return conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
