"""Derived data computed after ingestion: competition profiles and technique tags on chunks.

Both are recomputed only where needed: chunks are tagged once per vocabulary version (a hash of
the vocabulary), competitions are profiled when new or when the profile rules change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3

from ingest.progress import ProgressFactory, no_progress
from kb.profile import infer_profile
from kb.store import transaction
from kb.techniques.extract import extract
from kb.techniques.vocab import Vocabulary, load_vocabulary

log = logging.getLogger(__name__)

PROFILE_VERSION = "2"
SAMPLE_CHARS = 3000
BATCH = 500


def vocabulary_version(vocab: Vocabulary) -> str:
    data = [(t.name, t.category, list(t.aliases), list(t.patterns), list(t.case_sensitive_aliases)) for t in vocab]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def tag_chunks(conn: sqlite3.Connection, vocab: Vocabulary, progress: ProgressFactory = no_progress) -> int:
    """Tag every chunk not yet tagged with this vocabulary version; returns how many were tagged."""
    version = vocabulary_version(vocab)
    todo = [r[0] for r in conn.execute(
        "SELECT c.id FROM chunks c LEFT JOIN tagged_chunks t ON t.chunk_id = c.id"
        " WHERE t.chunk_id IS NULL OR t.vocabulary != ?", (version,))]
    if not todo:
        return 0
    bar = progress("tagging techniques", len(todo))
    try:
        for start in range(0, len(todo), BATCH):
            ids = todo[start:start + BATCH]
            marks = ",".join("?" * len(ids))
            rows = conn.execute(f"SELECT id, heading_path, text FROM chunks WHERE id IN ({marks})", ids).fetchall()
            found = []
            for cid, heading, text in rows:
                for m in extract(text, vocab, heading):
                    found.append((cid, m.technique, m.category, int(m.helped), m.start, m.end, m.snippet))
            with transaction(conn):
                conn.execute(f"DELETE FROM chunk_techniques WHERE chunk_id IN ({marks})", ids)
                conn.executemany(
                    "INSERT INTO chunk_techniques (chunk_id, technique, category, helped, start, end, snippet)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)", found)
                conn.executemany("INSERT OR REPLACE INTO tagged_chunks (chunk_id, vocabulary) VALUES (?, ?)",
                                 [(cid, version) for cid in ids])
            bar.update(len(ids))
    finally:
        bar.close()
    return len(todo)


def profile_competitions(conn: sqlite3.Connection, *, force: bool = False) -> int:
    """Infer modality, task type and metric family for competitions that lack them."""
    stored = conn.execute("SELECT value FROM meta WHERE key = 'profile_version'").fetchone()
    if stored is None or stored[0] != PROFILE_VERSION:
        force = True
    where = "" if force else " WHERE co.modality IS NULL"
    rows = conn.execute(
        "SELECT co.id, co.title, co.description, co.metric,"
        " (SELECT group_concat(substr(d.text, 1, ?), ' ') FROM document_competitions dc"
        "  JOIN documents d ON d.id = dc.document_id WHERE dc.competition_id = co.id) AS sample"
        f" FROM competitions co{where}", (SAMPLE_CHARS,)).fetchall()
    updates = []
    for cid, title, desc, metric, sample in rows:
        p = infer_profile(title or "", desc or "", metric or "", (sample or "")[: SAMPLE_CHARS * 2])
        updates.append((p.modality, p.task_type, p.metric_family, cid))
    with transaction(conn):
        conn.executemany("UPDATE competitions SET modality = ?, task_type = ?, metric_family = ? WHERE id = ?",
                         updates)
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('profile_version', ?)", (PROFILE_VERSION,))
    return len(updates)


def enrich(kb, progress: ProgressFactory = no_progress) -> dict[str, int]:  # noqa: ANN001 (KnowledgeBase)
    """Profile competitions and tag chunks; cheap when nothing changed."""
    tagged = tag_chunks(kb.conn, kb.vocabulary, progress)
    profiled = profile_competitions(kb.conn, force=tagged > 0)
    return {"tagged_chunks": tagged, "profiled_competitions": profiled}


__all__ = ["enrich", "load_vocabulary", "profile_competitions", "tag_chunks", "vocabulary_version"]
