"""Derived data computed after ingestion: competition profiles, technique tags on chunks, document facts.

Each is recomputed only where needed: chunks are tagged once per vocabulary version (a hash of
the vocabulary), competitions are profiled when new or when the profile rules change, and a
document's facts (``kb.docfacts``) are read again when its text, its links or the rules change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable

from kb.docfacts import RULES_VERSION, CompetitionRef, named_competition, parse_rank, writeup_kind
from kb.profile import infer_profile
from kb.progress import ProgressFactory, no_progress
from kb.store.db import transaction
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


def facts_version(linked_slugs: Iterable[str]) -> str:
    """The ``document_facts.version`` of a document linked to these competitions: rules + links."""
    links = hashlib.sha256(",".join(sorted(set(linked_slugs))).encode("utf-8")).hexdigest()[:12]
    return f"{RULES_VERSION}:{links}"


def _linked_slugs(conn: sqlite3.Connection) -> dict[int, set[str]]:
    linked: dict[int, set[str]] = {}
    for doc_id, slug in conn.execute(
            "SELECT dc.document_id, co.slug FROM document_competitions dc"
            " JOIN competitions co ON co.id = dc.competition_id"):
        linked.setdefault(doc_id, set()).add(slug)
    return linked


def stale_facts(conn: sqlite3.Connection, linked: dict[int, set[str]] | None = None) -> list[int]:
    """Ids of the documents whose facts are missing or were read from another text, links or rules."""
    if linked is None:
        linked = _linked_slugs(conn)
    stored = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT document_id, version, text_sha256 FROM document_facts")}
    return [doc_id for doc_id, sha in conn.execute("SELECT id, text_sha256 FROM documents ORDER BY id")
            if stored.get(doc_id) != (facts_version(linked.get(doc_id, ())), sha)]


def document_facts(conn: sqlite3.Connection, progress: ProgressFactory = no_progress) -> int:
    """Read rank, kind and named competition from every document whose text, links or the rules changed.

    Returns how many documents were read. A change to the catalog alone does not re-read old
    documents (the next change of their text or links, or of ``RULES_VERSION``, does).
    """
    linked = _linked_slugs(conn)
    todo = stale_facts(conn, linked)
    if not todo:
        return 0
    catalog = tuple(CompetitionRef(slug, title or "") for slug, title in conn.execute(
        "SELECT slug, title FROM competitions ORDER BY slug"))
    by_slug = {ref.slug: ref for ref in catalog}
    bar = progress("reading document facts", len(todo))
    try:
        for start in range(0, len(todo), BATCH):
            ids = todo[start:start + BATCH]
            marks = ",".join("?" * len(ids))
            rows = []
            for doc_id, title, text, sha in conn.execute(
                    f"SELECT id, title, text, text_sha256 FROM documents WHERE id IN ({marks})", ids).fetchall():
                slugs = linked.get(doc_id, set())
                rank, rank_source = parse_rank(title, text)
                is_writeup, reason = writeup_kind(title, text)
                named = named_competition(text, title, [by_slug[s] for s in sorted(slugs)], catalog)
                rows.append((doc_id, facts_version(slugs), sha, rank, rank_source, int(is_writeup), reason, named))
            with transaction(conn):
                conn.executemany(
                    "INSERT OR REPLACE INTO document_facts (document_id, version, text_sha256, rank, rank_source,"
                    " is_writeup, not_writeup_reason, named_competition) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            bar.update(len(ids))
    finally:
        bar.close()
    return len(todo)


def enrich(kb, progress: ProgressFactory = no_progress) -> dict[str, int]:  # noqa: ANN001 (KnowledgeBase)
    """Profile competitions, tag chunks and read document facts; cheap when nothing changed."""
    tagged = tag_chunks(kb.conn, kb.vocabulary, progress)
    profiled = profile_competitions(kb.conn, force=tagged > 0)
    facts = document_facts(kb.conn, progress)
    return {"tagged_chunks": tagged, "profiled_competitions": profiled, "document_facts": facts}


__all__ = ["document_facts", "enrich", "facts_version", "load_vocabulary", "profile_competitions", "stale_facts",
           "tag_chunks", "vocabulary_version"]
