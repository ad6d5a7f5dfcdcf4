"""SQLite connection and numbered migrations (applied on open, each in a transaction)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []


def migration(number: int, name: str) -> Callable[[Migration], Migration]:
    """Register ``fn`` as migration ``number``; numbers must be unique and increasing."""

    def register(fn: Migration) -> Migration:
        if any(n == number for n, _, _ in MIGRATIONS):
            raise RuntimeError(f"duplicate migration number {number}")
        MIGRATIONS.append((number, name, fn))
        MIGRATIONS.sort(key=lambda m: m[0])
        return fn

    return register


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the database with the settings kb relies on (WAL, foreign keys, busy timeout)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, isolation_level=None,
                               check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def applied_migrations(conn: sqlite3.Connection) -> list[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
    )
    return [r[0] for r in conn.execute("SELECT number FROM _migrations ORDER BY number")]


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply every migration not yet recorded; return the numbers applied now."""
    from kb import migrations  # noqa: F401  (registers the migrations)

    done = set(applied_migrations(conn))
    ran = []
    for number, name, fn in MIGRATIONS:
        if number in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # re-check inside the write lock: another process may have migrated meanwhile
            if conn.execute("SELECT 1 FROM _migrations WHERE number = ?", (number,)).fetchone():
                conn.execute("COMMIT")
                continue
            fn(conn)
            conn.execute("INSERT INTO _migrations (number, name) VALUES (?, ?)", (number, name))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("applied migration %04d %s", number, name)
        ran.append(number)
    return ran
