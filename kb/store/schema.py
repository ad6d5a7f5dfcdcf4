"""The schema, as numbered migrations. Never edit a released migration: add a new one."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from kb.store.db import Migration

MIGRATIONS: list[Migration] = []  # in number order

Apply = Callable[[sqlite3.Connection], None]


def migration(number: int, name: str) -> Callable[[Apply], Apply]:
    """Add ``fn`` to :data:`MIGRATIONS` as migration ``number``; numbers must be unique."""

    def register(fn: Apply) -> Apply:
        if any(m.number == number for m in MIGRATIONS):
            raise RuntimeError(f"duplicate migration number {number}")
        MIGRATIONS.append(Migration(number, name, fn))
        MIGRATIONS.sort()
        return fn

    return register


def _script(conn: sqlite3.Connection, sql: str) -> None:
    for statement in sql.split(";\n"):
        if statement.strip():
            conn.execute(statement)


@migration(1, "core")
def m0001_core(conn: sqlite3.Connection) -> None:
    _script(conn, """
CREATE TABLE competitions (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT,
    description TEXT,
    kind TEXT,
    metric TEXT,
    year INTEGER,
    team_count INTEGER,
    prize TEXT,
    url TEXT,
    catalog_number INTEGER,
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    title TEXT,
    author TEXT,
    date TEXT,
    content_type TEXT,
    raw_sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    language TEXT,
    license TEXT,
    site TEXT,
    fetched_url TEXT,
    fetched_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE document_competitions (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    competition_id INTEGER NOT NULL REFERENCES competitions(id) ON DELETE CASCADE,
    rank INTEGER,
    link_kind TEXT
);
CREATE UNIQUE INDEX document_competitions_unique
    ON document_competitions (document_id, competition_id, coalesce(rank, -1));
CREATE INDEX document_competitions_comp ON document_competitions (competition_id);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    heading_path TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    UNIQUE (document_id, position)
);
CREATE INDEX chunks_sha ON chunks (sha256);
CREATE TABLE embeddings (
    model TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, sha256)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    title, heading, text, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE catalog_links (
    competition_id INTEGER NOT NULL REFERENCES competitions(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    rank INTEGER,
    kind TEXT,
    UNIQUE (competition_id, url)
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
""")


@migration(2, "profiles_and_techniques")
def m0002_profiles_and_techniques(conn: sqlite3.Connection) -> None:
    _script(conn, """
ALTER TABLE competitions ADD COLUMN modality TEXT;
ALTER TABLE competitions ADD COLUMN task_type TEXT;
ALTER TABLE competitions ADD COLUMN metric_family TEXT;
CREATE INDEX competitions_modality ON competitions (modality);
CREATE TABLE chunk_techniques (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    technique TEXT NOT NULL,
    category TEXT NOT NULL,
    helped INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    snippet TEXT NOT NULL
);
CREATE INDEX chunk_techniques_chunk ON chunk_techniques (chunk_id);
CREATE INDEX chunk_techniques_technique ON chunk_techniques (technique);
CREATE TABLE tagged_chunks (
    chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    vocabulary TEXT NOT NULL
)
""")


@migration(3, "frontier")
def m0003_frontier(conn: sqlite3.Connection) -> None:
    _script(conn, """
CREATE TABLE frontier (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    outcome TEXT,
    reason TEXT,
    detail TEXT,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT,
    next_after TEXT,
    discovered_from TEXT,
    competition_slug TEXT,
    rank INTEGER,
    kind TEXT,
    added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX frontier_state ON frontier (state, next_after);
CREATE INDEX frontier_source ON frontier (source, state)
""")


@migration(4, "document_facts")
def m0004_document_facts(conn: sqlite3.Connection) -> None:
    _script(conn, """
CREATE TABLE document_facts (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    rank INTEGER,
    rank_source TEXT,
    is_writeup INTEGER NOT NULL,
    not_writeup_reason TEXT,
    named_competition TEXT
)
""")


@migration(5, "document_urls")
def m0005_document_urls(conn: sqlite3.Connection) -> None:
    """Other URLs of a stored document (a write-up seen as ``/writeups/<name>`` and as its forum topic)."""
    _script(conn, """
CREATE TABLE document_urls (
    url TEXT PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX document_urls_document ON document_urls (document_id);
CREATE INDEX documents_text_sha ON documents (text_sha256)
""")


@migration(6, "documents_clean_version")
def m0006_documents_clean_version(conn: sqlite3.Connection) -> None:
    """Which version of the text cleaning made a document's text (NULL: before versions were recorded), so
    that an improved cleaning reaches documents whose bytes did not change."""
    conn.execute("ALTER TABLE documents ADD COLUMN clean_version TEXT")
