"""``kb ingest meta-kaggle DIR``: solution write-ups from a Meta Kaggle dump, streamed."""

from __future__ import annotations

import logging
from itertools import islice
from pathlib import Path

from ingest.progress import ProgressFactory, no_progress
from ingest.report import Summary
from ingest.runner import finalize, store_all
from ingest.sources.meta_kaggle import MetaKaggleDump
from kb.api import KnowledgeBase

log = logging.getLogger(__name__)


def ingest_meta_kaggle(kb: KnowledgeBase, root: Path, *, progress: ProgressFactory = no_progress,
                       limit: int | None = None, max_rank: int | None = None, heuristic: bool = True,
                       embed: bool = True) -> Summary:
    """Plan from competitions/teams/topics, store competitions, then stream the wanted messages.

    Re-running is cheap: unchanged write-ups are recognised by hash and nothing is re-embedded.
    """
    dump = MetaKaggleDump(root, max_rank=max_rank, heuristic=heuristic)
    summary = Summary()
    plan = dump.plan()
    summary.competitions = kb.upsert_competitions(plan.used_competitions())
    total = len(plan.wanted) if limit is None else min(limit, len(plan.wanted))
    docs = dump.documents(plan)
    store_all(kb, islice(docs, limit) if limit is not None else docs, summary, progress, total=total,
              description="storing write-ups")
    for outcome in dump.problem_outcomes():
        summary.add(outcome)
    if embed and not summary.interrupted:
        finalize(kb, summary, progress)
    return summary
