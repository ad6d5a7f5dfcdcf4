"""Values derived from the database, kept until it changes.

The version is SQLite's own: ``PRAGMA data_version`` (bumped by commits of other connections) and the
connection's ``total_changes`` (its own writes). Both are constant-time to read, unlike counting rows.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def data_version(conn: sqlite3.Connection) -> tuple[int, int]:
    """Changes when the database changed: commits by other connections or writes by this one."""
    return conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes


class VersionedCache:
    """``get(name, compute)`` computes once per version of the database (under ``lock``).

    What ``compute`` itself writes (vectors it stores for next time, say) does not make its own value
    stale: the value is kept under the version it leaves behind, as long as no other connection committed.
    """

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock):
        self.conn = conn
        self.lock = lock
        self._values: dict[str, tuple[tuple[int, int], Any]] = {}

    def get(self, name: str, compute: Callable[[], T]) -> T:
        with self.lock:
            before = data_version(self.conn)
            hit = self._values.get(name)
            if hit is not None and hit[0] == before:
                return hit[1]
            value = compute()
            self._values[name] = ((before[0], self.conn.total_changes), value)
            return value

    def clear(self) -> None:
        with self.lock:
            self._values.clear()
