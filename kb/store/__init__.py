"""The SQLite store, the source of truth: every index is rebuilt from it.

- :mod:`kb.store.db`: connections, transactions and the migration runner (it knows no schema);
- :mod:`kb.store.schema`: the numbered migrations (the schema);
- :mod:`kb.store.write`: competitions, documents with their passages, links, the keyword index;
- :mod:`kb.store.read`: every query the API answers, with the typed records it answers with;
- :mod:`kb.store.vectors`: passage vectors as float32 BLOBs keyed by model and content hash;
- :mod:`kb.store.cache`: values derived from the database, kept until it changes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kb.errors import KBError
from kb.store import db, schema


def open_database(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Connect and migrate; a damaged or foreign file is a KBError saying how to rebuild, not a traceback."""
    conn = None
    try:
        conn = db.connect(path, readonly=readonly)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if not readonly:
            db.migrate(conn, schema.MIGRATIONS)
        return conn
    except sqlite3.DatabaseError as e:
        if conn is not None:
            conn.close()
        if isinstance(e, sqlite3.OperationalError):  # locked, or an unreadable folder: not damage
            raise
        raise KBError(f"{path} is damaged or not a kb database ({e}); move it aside and "
                      "rebuild with `kb ingest mirror DIR`") from e
