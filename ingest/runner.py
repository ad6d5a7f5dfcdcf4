"""Drives any source: store each fetched document, then tag, embed and re-index once at the end.

Each document is committed on its own, so an interrupted run keeps everything stored so far and a
re-run only does what is left (unchanged documents are recognised by hash and cost nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ingest.report import Summary
from kb.api import KnowledgeBase
from kb.progress import ProgressFactory, no_progress
from kb.records import FetchedDocument, Outcome

log = logging.getLogger(__name__)


def store_all(kb: KnowledgeBase, items: Iterable[FetchedDocument | Outcome], summary: Summary,
              progress: ProgressFactory = no_progress, total: int | None = None,
              description: str = "storing") -> Summary:
    """Store fetched documents; Outcomes (fetch failures, skips) are recorded as they are."""
    bar = progress(description, total)
    try:
        for item in items:
            if isinstance(item, Outcome):
                summary.add(item)
            else:
                summary.add(kb.add_document(item))
            bar.update(1)
    except KeyboardInterrupt:
        summary.interrupted = True
        log.warning("interrupted: documents stored so far are kept; run the same command again to continue")
    finally:
        bar.close()
    return summary


def finalize(kb: KnowledgeBase, summary: Summary, progress: ProgressFactory = no_progress) -> Summary:
    """Tag techniques, embed new passages and rebuild the vector index if anything changed."""
    from kb.enrich import enrich

    enrich(kb, progress)
    pending = kb.pending_count()
    if pending:
        bar = progress("embedding passages", pending)
        try:
            summary.embedded_chunks += kb.embed_pending(progress=bar.update)
        finally:
            bar.close()
    meta_missing = not (kb.settings.index_dir / "dense.json").exists()
    if summary.embedded_chunks or meta_missing or summary.count("changed") or _index_stale(kb):
        if kb.counts()["chunks"]:
            kb.update_index()
    return summary


def _index_stale(kb: KnowledgeBase) -> bool:
    """True unless the index loads and holds exactly the embedded passages with their current vectors.

    Comparing counts is not enough: a run killed after embedding a changed document but before
    re-indexing leaves as many vectors as before, under other (or reused) chunk ids.
    """
    from kb.check import check_vector_index

    return not check_vector_index(kb).ok
