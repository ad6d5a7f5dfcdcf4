"""``kb ingest meta-kaggle DIR``: solution write-ups from a Meta Kaggle dump, streamed."""

from __future__ import annotations

import logging
from itertools import islice
from pathlib import Path

from ingest.report import Summary
from ingest.runner import finalize, store_all
from ingest.sources.meta_kaggle import SEGMENTS, MetaKaggleDump
from kb.api import KnowledgeBase
from kb.progress import ProgressFactory, no_progress

log = logging.getLogger(__name__)


def ingest_meta_kaggle(kb: KnowledgeBase, root: Path, *, progress: ProgressFactory = no_progress,
                       limit: int | None = None, max_rank: int | None = None, heuristic: bool = True,
                       embed: bool = True, segments: tuple[str, ...] | None = SEGMENTS) -> Summary:
    """Plan from competitions/teams/topics, store competitions, then stream the wanted messages.

    ``segments``: the ``HostSegmentTitle`` values of the competitions to keep (None: all, InClass too).
    Re-running is cheap: unchanged write-ups are recognised by hash and nothing is re-embedded.
    """
    dump = MetaKaggleDump(root, max_rank=max_rank, heuristic=heuristic, segments=segments)
    summary = Summary()
    plan = dump.plan()
    if dump.left_out:
        log.info("left out competitions of other segments: %s",
                 ", ".join(f"{n} {name}" for name, n in sorted(dump.left_out.items(), key=lambda kv: -kv[1])))
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
