"""Recommendations: techniques that won similar past competitions, ranked by the strength of evidence.

Pure aggregation over retrieved passages (see :func:`aggregate`), so it can be tested on
hand-written inputs and evaluated against baselines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Evidence:
    url: str
    title: str
    competition: str | None
    competition_title: str | None
    rank: int | None
    year: int | None
    snippet: str
    helped: bool
    document_id: int
    chunk_id: int
    weight: float = 0.0

    def to_json(self) -> dict:
        return {"url": self.url, "title": self.title, "competition": self.competition, "rank": self.rank,
                "snippet": self.snippet, "helped": self.helped}


@dataclass(frozen=True)
class TechniqueScore:
    name: str
    category: str
    aliases: tuple[str, ...]
    description: str
    score: float
    documents: int
    helped: int
    not_helped: int
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict:
        return {"name": self.name, "category": self.category, "aliases": list(self.aliases),
                "score": round(self.score, 6), "evidence": [e.to_json() for e in self.evidence]}


@dataclass(frozen=True)
class SimilarCompetition:
    slug: str
    title: str | None
    year: int | None
    score: float
    metric: str | None = None
    modality: str | None = None
    url: str | None = None
    documents: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"slug": self.slug, "title": self.title, "year": self.year, "score": round(self.score, 6)}


@dataclass(frozen=True)
class Recommendation:
    query: str
    techniques: list[TechniqueScore] = field(default_factory=list)
    competitions: list[SimilarCompetition] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"query": self.query, "techniques": [t.to_json() for t in self.techniques],
                "competitions": [c.to_json() for c in self.competitions]}


def passage_weight(passage_rank: int, k: float = 20.0) -> float:
    """Weight of a passage by its retrieval rank (RRF-like decay)."""
    return k / (k + passage_rank)


def rank_weight(solution_rank: int | None) -> float:
    """Write-ups of top solutions count more; unknown rank counts as a middling one."""
    if solution_rank is None or solution_rank < 1:
        return 0.6
    return 1.0 / (1.0 + 0.25 * math.log2(solution_rank))


NOT_HELPED_PENALTY = 0.5


MIN_QUOTE_WORDS = 6  # shorter snippets (a bare heading) are used only when nothing better exists


# a sentence about what others did, what could be done, or a pointer elsewhere: true, but weak evidence
_SECONDHAND = re.compile(
    r"\b(?:other\s+(?:teams?|people|participants|competitors|kagglers|solutions|articles|papers|approaches)"
    r"|others|(?:many|most|some)\s+(?:teams|people|participants|kagglers)|top\s+(?:teams|solutions)"
    r"|previous\s+competitions?|in\s+the\s+literature|guide|tutorial|could\s+(?:be|have)|would\s+(?:be|have)"
    r"|might|if\s+(?:i|we)\s+had)\b|https?://"
    r"|```|\b(?:pip|conda)\s+(?:install|create|activate)\b|\b(?:python\s+|run\s+)?[\w-]+\.(?:py|sh|R|ipynb)\b",
    re.IGNORECASE)


def weak_quote(snippet: str) -> bool:
    """A quote that is a bare heading, speaks of others or of what could be, points elsewhere, or is a
    setup or run instruction: shown only when a write-up has nothing better."""
    return len(snippet.split()) < MIN_QUOTE_WORDS or bool(_SECONDHAND.search(snippet))


def pick_evidence(candidates: Sequence[Evidence], limit: int = 3) -> tuple[Evidence, ...]:
    """Best helped quotes first (first-hand sentences before bare headings and second-hand remarks),
    at most one per document."""
    seen: set[int] = set()
    out: list[Evidence] = []
    for e in sorted(candidates, key=lambda e: (not e.helped, weak_quote(e.snippet), -e.weight)):
        if e.document_id in seen:
            continue
        seen.add(e.document_id)
        out.append(e)
        if len(out) == limit:
            break
    return tuple(out)


# -- components of the technique score (each a dict technique -> score, combined after normalising) --

PROFILE_FLOOR = 0.03  # weight of a write-up whose competition has another modality
YEAR_SCALE = 3.0  # years: a write-up this many years apart counts e^-1 as much


def profile_similarity(query: tuple[str | None, str | None, str | None], year: int | None,
                       other: tuple[str | None, str | None, str | None, int | None],
                       floor: float = PROFILE_FLOOR, year_scale: float = YEAR_SCALE) -> float:
    """How alike two competitions are by profile: same modality dominates, task type, metric family
    and closeness in time refine it."""
    modality, task, family = query
    o_modality, o_task, o_family, o_year = other
    s = 1.0 if modality and o_modality == modality else floor
    s *= 1.0 if task and o_task == task else 0.7
    s *= 1.0 if family and o_family == family else 0.7
    if year and o_year and year_scale:
        s *= math.exp(-abs(year - o_year) / year_scale)
    return s


def prominence(mentions: int) -> float:
    """How strongly a write-up reports a technique: the square root of the number of its sentences that
    report it as helping. A write-up's main techniques outweigh its passing mentions, and one long
    write-up does not drown the others (chosen on ``kb eval``: +0.013 recall@10 over counting once)."""
    return math.sqrt(max(mentions, 1))


@dataclass(frozen=True)
class TechniqueMatrix:
    """A sparse document × technique matrix: entry i says document row ``rows[i]`` reports technique
    ``names[techniques[i]]`` with strength ``values[i]``. Voting over every document is one
    ``bincount``, so the profile prior over 200k write-ups costs milliseconds."""

    rows: np.ndarray
    techniques: np.ndarray
    values: np.ndarray
    names: tuple[str, ...]

    @classmethod
    def build(cls, per_row: Sequence[Mapping[str, float] | Iterable[str]], names: Sequence[str]) -> TechniqueMatrix:
        """From one entry per document row: techniques with strengths, or plain techniques (strength 1)."""
        index = {n: i for i, n in enumerate(names)}
        rows: list[int] = []
        techs: list[int] = []
        values: list[float] = []
        for r, entry in enumerate(per_row):
            items = entry.items() if isinstance(entry, Mapping) else ((t, 1.0) for t in entry)
            for t, v in items:
                rows.append(r)
                techs.append(index[t])
                values.append(v)
        return cls(np.asarray(rows, dtype=np.int64), np.asarray(techs, dtype=np.int64),
                   np.asarray(values, dtype=np.float64), tuple(names))

    def tally(self, doc_weights: np.ndarray) -> np.ndarray:
        """Per technique: the sum over documents of weight × strength."""
        return np.bincount(self.techniques, weights=doc_weights[self.rows] * self.values, minlength=len(self.names))

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Per technique: how many documents in ``mask`` report it."""
        return np.bincount(self.techniques, weights=mask[self.rows].astype(np.float64), minlength=len(self.names))


def vote(doc_weights: np.ndarray, helped: TechniqueMatrix, not_helped: TechniqueMatrix | None = None,
         penalty: float = NOT_HELPED_PENALTY) -> dict[str, float]:
    """Each document votes its weight for every technique it reports as helping (times the technique's
    strength in that document), and against those it reports as not helping. ``helped`` and
    ``not_helped`` share their technique names."""
    total = helped.tally(doc_weights)
    if not_helped is not None:
        total = total - penalty * not_helped.tally(doc_weights)
    return {helped.names[i]: float(total[i]) for i in np.flatnonzero(total)}


def normalise(scores: dict[str, float]) -> dict[str, float]:
    """Divide by the largest score so components on different scales can be added."""
    top = max(scores.values(), default=0.0)
    return {t: s / top for t, s in scores.items()} if top > 0 else {}


def combine(components: Sequence[tuple[float, dict[str, float]]]) -> list[tuple[str, float]]:
    """Weighted sum of normalised components, best first; only positive totals."""
    total: dict[str, float] = {}
    for weight, scores in components:
        for t, s in normalise(scores).items():
            total[t] = total.get(t, 0.0) + weight * s
    return sorted(((t, s) for t, s in total.items() if s > 0), key=lambda ts: (-ts[1], ts[0]))
