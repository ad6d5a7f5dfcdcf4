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
    """Tag techniques, embed new passages and bring the vector index up to date (``KnowledgeBase.sync``)."""
    report = kb.sync(progress, changed=summary.count("changed") > 0)
    summary.embedded_chunks += report.embedded_chunks
    return summary
