"""SQLite connection and the migration runner (migrations are applied on open, each in a transaction).

The runner knows no schema: it is handed the numbered migrations (``kb.store.schema.MIGRATIONS``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)


class Migration(NamedTuple):
    number: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


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


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[int]:
    """Apply every migration not yet recorded, in number order; return the numbers applied now."""
    numbers = [m.number for m in migrations]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"duplicate migration numbers in {sorted(numbers)}")
    done = set(applied_migrations(conn))
    ran = []
    for number, name, fn in sorted(migrations):
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


class transaction:
    """``with transaction(conn):`` — BEGIN IMMEDIATE … COMMIT, ROLLBACK on any exception."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
