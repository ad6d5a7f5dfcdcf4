"""``kb check``: does the knowledge base hold together after crashes, concurrent writers or edits by hand?

Each check returns a :class:`Problem` (``ok`` or not) with a message for people and, when
something is wrong, the command that fixes it. SQLite is the source of truth: the keyword and
vector indexes are compared against it (row ids, counts, model, and a sample of vectors), so an
index left behind by an interrupted build is reported instead of silently searched.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import faiss
import numpy as np

from kb.errors import KBError
from kb.search import dense

if TYPE_CHECKING:
    from kb.api import KnowledgeBase

REBUILD = "kb index rebuild"
REPAIR = "kb check --repair"
REINGEST = "kb ingest mirror DIR"
SAMPLE_NEWEST = 32  # the newest chunk ids are the ones SQLite hands out again after a delete
SAMPLE_RANDOM = 32
MIN_SELF_SCORE = 0.98  # a chunk's own vector scores ~1.0 against its index entry (SQ8 loses < 0.01)


@dataclass(frozen=True)
class Problem:
    """One check's verdict; ``fix`` is the command that repairs it (empty when ``ok``)."""

    name: str
    ok: bool
    message: str
    fix: str = ""

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def _passed(name: str, message: str) -> Problem:
    return Problem(name, True, message)


def check_database(conn: sqlite3.Connection, db_path: object = "kb.sqlite") -> Problem:
    """``PRAGMA integrity_check``: pages, indexes and constraints of the SQLite file."""
    fix = f"move {db_path} aside, then rebuild with `{REINGEST}`"
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
    except sqlite3.DatabaseError as e:
        return Problem("database", False, f"the database cannot be read: {e}", fix)
    if rows == ["ok"]:
        return _passed("database", "integrity check passed")
    return Problem("database", False, f"integrity check failed: {'; '.join(rows[:5])}", fix)


def check_orphans(conn: sqlite3.Connection) -> Problem:
    """Rows pointing at rows that are gone (chunks without documents, links to missing competitions, ...)."""
    found = Counter((r[0], r[2]) for r in conn.execute("PRAGMA foreign_key_check").fetchall())
    if not found:
        return _passed("orphan rows", "every row points at an existing row")
    parts = ", ".join(f"{n} in {table} (missing {parent})" for (table, parent), n in sorted(found.items()))
    return Problem("orphan rows", False, f"{sum(found.values())} rows point at rows that are gone: {parts}", REPAIR)


def check_keyword_index(conn: sqlite3.Connection) -> Problem:
    """The FTS table has exactly one row per chunk (and, on a writable connection, a sound index)."""
    missing = conn.execute(
        "SELECT count(*) FROM chunks WHERE id NOT IN (SELECT rowid FROM chunks_fts)").fetchone()[0]
    extra = conn.execute(
        "SELECT count(*) FROM chunks_fts WHERE rowid NOT IN (SELECT id FROM chunks)").fetchone()[0]
    if missing or extra:
        return Problem("keyword index", False,
                       f"{missing} passages are missing from the keyword index and {extra} indexed rows"
                       " have no passage", REBUILD)
    try:
        conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('integrity-check')")
    except sqlite3.OperationalError as e:
        if "readonly" not in str(e):
            return Problem("keyword index", False, f"the keyword index is damaged: {e}", REBUILD)
    except sqlite3.DatabaseError as e:
        return Problem("keyword index", False, f"the keyword index is damaged: {e}", REBUILD)
    n = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    return _passed("keyword index", f"{n} passages indexed")


def check_vectors(conn: sqlite3.Connection, model: str) -> Problem:
    """Every chunk has a vector under the configured model."""
    missing = conn.execute(
        "SELECT count(*) FROM chunks c WHERE NOT EXISTS"
        " (SELECT 1 FROM embeddings e WHERE e.model = ? AND e.sha256 = c.sha256)", (model,)).fetchone()[0]
    if missing:
        return Problem("vectors", False, f"{missing} passages have no vector under model {model!r}", REBUILD)
    return _passed("vectors", f"every passage has a vector under model {model!r}")


def embedded_ids(conn: sqlite3.Connection, model: str) -> np.ndarray:
    """Sorted ids of the chunks that have a vector under ``model``: what the vector index should hold."""
    rows = conn.execute(
        "SELECT c.id FROM chunks c JOIN embeddings e ON e.sha256 = c.sha256 AND e.model = ? ORDER BY c.id",
        (model,)).fetchall()
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))


def index_ids(index: faiss.Index) -> np.ndarray:
    """Sorted ids stored in a FAISS index (ID map or inverted lists; positions for a bare flat index)."""
    if hasattr(index, "id_map"):
        return np.sort(faiss.vector_to_array(index.id_map).astype(np.int64))
    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:
        return np.arange(index.ntotal, dtype=np.int64)
    lists = ivf.invlists
    if lists is None:
        return np.zeros(0, dtype=np.int64)
    parts = [np.zeros(0, dtype=np.int64)]
    for i in range(lists.nlist):
        size = lists.list_size(i)
        if size:
            ptr = lists.get_ids(i)
            parts.append(faiss.rev_swig_ptr(ptr, size).astype(np.int64))
            lists.release_ids(i, ptr)  # type: ignore[attr-defined]  # missing from faiss's stubs
    return np.sort(np.concatenate(parts))


def _sample(ids: np.ndarray) -> np.ndarray:
    rest = ids[:-SAMPLE_NEWEST]
    picked = np.random.default_rng(0).choice(rest, min(len(rest), SAMPLE_RANDOM), replace=False)
    return np.union1d(ids[-SAMPLE_NEWEST:], picked)


def stale_vectors(conn: sqlite3.Connection, index: dense.DenseIndex, model: str, ids: np.ndarray) -> int:
    """How many of a sample of ``ids`` are indexed with a vector other than their stored one."""
    sample = [int(i) for i in _sample(ids)]
    marks = ",".join("?" * len(sample))
    rows = conn.execute(
        f"SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.sha256 = c.sha256 AND e.model = ?"
        f" WHERE c.id IN ({marks})", (model, *sample)).fetchall()
    stale = 0
    for cid, blob in rows:
        vec = np.frombuffer(blob, dtype=np.float32)
        if len(vec) != index.meta.dim:
            stale += 1
            continue
        if np.linalg.norm(vec) < 0.5:  # an all-zero vector (no words) matches nothing, not even itself
            continue
        hits = index.search(vec, 1, {cid})
        if not hits or hits[0][1] < MIN_SELF_SCORE * float(vec @ vec):
            stale += 1
    return stale


def check_vector_index(kb: KnowledgeBase) -> Problem:
    """The vector index exists, loads, was built with the configured model and holds exactly the embedded chunks."""
    name, model, index_dir = "vector index", kb.model_id, kb.settings.index_dir
    ids = embedded_ids(kb.conn, model)
    try:
        meta = dense.read_meta(index_dir)
        if meta is None:
            if not len(ids):
                return _passed(name, "nothing to index yet")
            return Problem(name, False, f"the vector index has not been built ({len(ids)} passages to index)",
                           REBUILD)
        if meta.model != model:
            return Problem(name, False, f"the vector index was built with model {meta.model!r} but {model!r}"
                           " is configured", REBUILD)
        index = dense.DenseIndex.load(index_dir, model)
    except (KBError, OSError, RuntimeError, ValueError) as e:
        return Problem(name, False, f"the vector index cannot be used: {e}", REBUILD)
    held = index_ids(index.index)
    if meta.count != len(ids) or not np.array_equal(held, ids):
        gone = len(np.setdiff1d(held, ids))
        absent = len(np.setdiff1d(ids, held))
        return Problem(name, False, f"the vector index holds {len(held)} passages but the database has"
                       f" {len(ids)} embedded ({absent} not indexed, {gone} indexed but gone)", REBUILD)
    stale = stale_vectors(kb.conn, index, model, ids) if len(ids) else 0
    if stale:
        return Problem(name, False, f"{stale} sampled passages are indexed with an outdated vector", REBUILD)
    return _passed(name, f"{len(ids)} passages indexed with model {model!r}")


def check_stored_vectors(kb: KnowledgeBase, index_ok: bool = True) -> Problem:
    """Every passage has a vector under the configured model (:func:`check_vectors`), and every vector
    stored under it belongs to a current passage or is one recommend reads (a competition description's,
    a competition's write-up centroid): none is left from passages or descriptions that changed or went
    away, which would make ``kb stats``' counts disagree.

    Which vectors recommend reads depends on the rest of the derived data (a write-up's document facts
    decide which competition it counts for), so they are compared only when that is up to date: while
    the vector index is out of date (``index_ok`` False) or document facts are missing, an ingest did not
    finish and neither did its last step, the pruning; their fixes (which prune too) come first."""
    from kb.enrich import stale_facts

    missing = check_vectors(kb.conn, kb.model_id)
    if not missing.ok or not index_ok or kb.read(stale_facts):
        return missing
    unused = kb.prune_vectors(dry_run=True)
    if unused:
        return Problem("vectors", False, f"{unused} stored vectors belong to no current passage or competition"
                       " (left by passages or descriptions that changed or went away)", REPAIR)
    return missing


def _guard(name: str, check: Callable[[], Problem]) -> Problem:
    try:
        return check()
    except sqlite3.DatabaseError as e:
        return Problem(name, False, f"could not be checked: {e}", f"see the database check; then `{REBUILD}`")


def run_checks(kb: KnowledgeBase) -> list[Problem]:
    """Every check, in order; a problem's ``fix`` says which command repairs it."""
    conn = kb.conn
    database = check_database(conn, kb.settings.db_path)
    orphans = _guard("orphan rows", lambda: check_orphans(conn))
    keyword = _guard("keyword index", lambda: check_keyword_index(conn))
    index = _guard("vector index", lambda: check_vector_index(kb))
    stored = _guard("vectors", lambda: check_stored_vectors(kb, index.ok))
    return [database, orphans, keyword, stored, index]


@dataclass(frozen=True)
class DocumentWarning:
    """A document a person may want to look at (``kind``: "linked competition", "not a write-up" or
    "document facts"); a warning, never a failure."""

    kind: str
    message: str
    url: str = ""
    linked: str | None = None
    named: str | None = None
    reason: str | None = None
    fix: str = ""

    def to_json(self) -> dict[str, object]:
        return {"name": self.kind, "ok": True, "warning": True, "message": self.message, "fix": self.fix,
                "url": self.url, "linked": self.linked, "named": self.named, "reason": self.reason}


def document_warnings(conn: sqlite3.Connection) -> list[DocumentWarning]:
    """Links whose document names another competition, documents that are not write-ups, and
    documents whose facts were not read yet (``kb.docfacts``, stored by ``kb.enrich``)."""
    from kb.store.read import has_facts

    try:
        return _document_warnings(conn) if has_facts(conn) else []
    except sqlite3.DatabaseError:  # a damaged database is the database check's to report
        return []


def _document_warnings(conn: sqlite3.Connection) -> list[DocumentWarning]:
    from kb.enrich import stale_facts

    out = []
    for url, linked, named in conn.execute(
            "SELECT d.url, co.slug, f.named_competition FROM document_facts f"
            " JOIN documents d ON d.id = f.document_id AND d.text_sha256 = f.text_sha256"
            " JOIN document_competitions dc ON dc.document_id = d.id JOIN competitions co ON co.id = dc.competition_id"
            " WHERE f.named_competition IS NOT NULL ORDER BY d.url, co.slug"):
        out.append(DocumentWarning("linked competition", f"{url} is linked to {linked} but its text names {named}",
                                   url, linked, named))
    for url, linked, reason in conn.execute(
            "SELECT d.url, (SELECT group_concat(co.slug, ', ') FROM document_competitions dc"
            "   JOIN competitions co ON co.id = dc.competition_id WHERE dc.document_id = d.id), f.not_writeup_reason"
            " FROM document_facts f JOIN documents d ON d.id = f.document_id AND d.text_sha256 = f.text_sha256"
            " WHERE NOT f.is_writeup ORDER BY d.url"):
        where = f" (linked to {linked})" if linked else ""
        out.append(DocumentWarning("not a write-up", f"{url}{where} is not a solution write-up: {reason}",
                                   url, linked, None, reason))
    stale = len(stale_facts(conn))
    if stale:
        out.append(DocumentWarning("document facts", f"{stale} documents have not been read for rank, kind and"
                                   " named competition yet", fix=REPAIR))
    return out


def delete_orphans(conn: sqlite3.Connection) -> int:
    """Delete rows whose parent row is gone; returns how many."""
    from kb.store.db import transaction

    rows = [(r[0], r[1]) for r in conn.execute("PRAGMA foreign_key_check").fetchall() if r[1] is not None]
    with transaction(conn):
        for table, rowid in rows:
            conn.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))
    return len(rows)


def repair(kb: KnowledgeBase) -> list[str]:
    """Fix what can be fixed from SQLite (orphan rows, keyword index, missing vectors, vector index, unused
    vectors, document facts); say what."""
    conn, model = kb.conn, kb.model_id
    done: list[str] = []
    if not check_database(conn, kb.settings.db_path).ok:
        return done
    if not check_orphans(conn).ok:
        done.append(f"deleted {delete_orphans(conn)} orphan rows")
    if not check_keyword_index(conn).ok:
        from kb.store.db import transaction
        from kb.store.write import rebuild_fts

        with transaction(conn):
            done.append(f"rebuilt the keyword index ({rebuild_fts(conn)} passages)")
    if not check_vectors(conn, model).ok:
        done.append(f"embedded {kb.embed_pending()} passages")
    if not check_vector_index(kb).ok and len(embedded_ids(conn, model)):
        done.append(f"rebuilt the vector index ({kb.rebuild_index().count} passages)")
    if not check_stored_vectors(kb, check_vector_index(kb).ok).ok:
        done.append(f"deleted {kb.prune_vectors()} unused vectors")
    from kb.enrich import document_facts, stale_facts

    if stale_facts(conn):
        done.append(f"read the facts of {document_facts(conn)} documents")
    return done
