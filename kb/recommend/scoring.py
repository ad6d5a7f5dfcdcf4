"""The pure parts of recommending: competition similarity, technique rates and lift, table stakes,
and which quotes are evidence. Small functions over arrays and lists, tested on hand-written inputs.

The model, in one paragraph: a query is compared with every catalog competition (text similarity,
times a factor for a shared modality / task type / metric family and for closeness in time). The
``NEIGHBOURS`` most similar competitions whose write-ups kb holds vote: a technique's share of them
that credit it, smoothed towards its rate among all winning write-ups of the query's modality, is
how likely a winner of this competition is to use it. *Table stakes* — what a third or more of the
modality's winning competitions credit (ensembles and k-fold for everything, GBDTs for tabular,
pretrained CNNs for images) — go on a line of their own; the ranked list holds the rest, each
technique credited by at least one similar competition and ordered by its smoothed share times its
lift over the base rate among all winners (``LIFT_POWER``), so a technique the similar competitions
credit far more often than winners in general ranks above one they credit as often as everyone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kb.recommend.types import Evidence

# -- parameters (chosen on `kb eval`, see EVALUATION.md) ----------------------------------------
NEIGHBOURS = 10  # similar competitions with write-ups that vote
PRIOR_WEIGHT = 3.0  # pseudo-competitions of the modality's rates mixed into the neighbours' votes
LIFT_POWER = 0.1  # how much the lift over the base rate counts against the plain share
LIFT_FLOOR = 0.01  # base rate below which a technique counts as this rare
TABLE_STAKES_RATE = 0.30  # credited by this share of a modality's winning competitions: table stakes
TABLE_STAKES_PRIOR = 5.0  # pseudo-competitions of the global rate (small modalities lean on it)
TABLE_STAKES_MIN = 5  # ... and credited by at least this many competitions in all (a tiny corpus has none)
MODALITY_FLOOR = 0.5  # similarity factor for a competition of another modality
TASK_FACTOR = 0.85  # ... of another task type
PIXEL_TASK_FACTOR = 0.6  # ... when one of the two is segmentation or detection (their toolkits are their own)
PIXEL_TASKS = ("segmentation", "detection")
FAMILY_FACTOR = 0.9  # ... of another metric family
YEAR_SCALE = 5.0  # years apart at which the similarity drops to 1/e
ASSUMED_YEAR_STRETCH = 3.0  # ... times this when the query's year is assumed (no date given): similarity first
CENTROID_WEIGHT = 1.0  # what its write-ups say about the problem, next to its catalog description
NOT_HELPED_PENALTY = 0.5  # a similar competition whose write-ups say a technique did not help
NO_CUES_MARGIN = 0.10  # a text with no word about a task, data or metric must be this much closer to abstain less
# (the abstention threshold itself is the setting `abstain_below`, calibrated per model)


def text_similarity(catalog: np.ndarray, centroid: np.ndarray, has_centroid: np.ndarray,
                    centroid_weight: float | None = None) -> np.ndarray:
    """Per competition: the query's similarity to its catalog description and, where kb holds its
    write-ups, to their centroid (the catalog similarity stands in for competitions without)."""
    centroid_weight = CENTROID_WEIGHT if centroid_weight is None else centroid_weight
    other = np.where(has_centroid, centroid, catalog)
    return (catalog + centroid_weight * other) / (1.0 + centroid_weight)


def profile_factor(query: tuple[str | None, str | None, str | None],
                   other: tuple[str | None, str | None, str | None]) -> float:
    """1.0 for the same modality, task type and metric family; less for each that differs or is unknown."""
    modality_floor, task, family = MODALITY_FLOOR, TASK_FACTOR, FAMILY_FACTOR
    q_modality, q_task, q_family = query
    o_modality, o_task, o_family = other
    s = 1.0 if q_modality and o_modality == q_modality else modality_floor
    if not (q_task and o_task == q_task):
        s *= PIXEL_TASK_FACTOR if q_task in PIXEL_TASKS or o_task in PIXEL_TASKS else task
    s *= 1.0 if q_family and o_family == q_family else family
    return s


def year_factor(year: int | None, other: int | None, scale: float | None = None) -> float:
    """Techniques move with the years: a competition ``scale`` years apart counts e^-1 as much."""
    scale = YEAR_SCALE if scale is None else scale
    if not year or not other or not scale:
        return 1.0
    return math.exp(-abs(year - other) / scale)


def modality_rates(credited: np.ndarray, modalities: Sequence[str | None], active: np.ndarray,
                   modality: str | None, prior: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per technique: the share of the modality's winning competitions that credit it (smoothed towards
    the share among all winning competitions with ``prior`` pseudo-competitions), and that global share.
    ``credited`` is competition × technique; ``active`` marks the competitions that count (those with
    write-ups crediting anything, minus the excluded ones)."""
    prior = TABLE_STAKES_PRIOR if prior is None else prior
    n = int(active.sum())
    if n == 0:
        zero = np.zeros(credited.shape[1])
        return zero, zero
    global_rate = credited[active].sum(axis=0) / n
    if not modality:
        return global_rate, global_rate
    in_modality = active & np.array([m == modality for m in modalities], dtype=bool)
    count = credited[in_modality].sum(axis=0)
    return (count + prior * global_rate) / (in_modality.sum() + prior), global_rate


def table_stakes(rates: np.ndarray, names: Sequence[str], counts: np.ndarray | None = None,
                 threshold: float | None = None, min_count: int | None = None) -> list[str]:
    """Techniques credited by at least ``threshold`` of the modality's winning competitions (and, when
    ``counts`` gives each technique's number of crediting competitions, by ``min_count`` of them in
    all), most common first."""
    threshold = TABLE_STAKES_RATE if threshold is None else threshold
    min_count = TABLE_STAKES_MIN if min_count is None else min_count
    order = np.argsort(-rates, kind="stable")
    return [names[i] for i in order if rates[i] >= threshold and (counts is None or counts[i] >= min_count)]


@dataclass(frozen=True)
class TechniqueVote:
    name: str
    share: float  # smoothed share of the similar competitions crediting it
    lift: float  # share / base rate among all winners
    score: float
    support: int  # similar competitions crediting it
    competitions: tuple[int, ...]  # their indexes, most similar first
    slugs: tuple[str, ...] = ()  # and their slugs, when known


def rank_techniques(credited: np.ndarray, neighbours: Sequence[tuple[int, float]], names: Sequence[str],
                    prior: np.ndarray, base: np.ndarray, *, slugs: Sequence[str] = (), exclude: Iterable[str] = (),
                    not_helped: np.ndarray | None = None, prior_weight: float | None = None,
                    lift_power: float | None = None) -> list[TechniqueVote]:
    """Techniques credited by at least one neighbour, best first.

    ``neighbours`` are (competition index, similarity) pairs, most similar first; each votes with its
    similarity relative to the closest one. ``prior`` (the modality's rates) smooths the shares;
    ``base`` (the rates among all winners) is what the lift is measured against. ``not_helped``
    (competition × technique) marks neighbours whose write-ups say a technique did not help: they
    count against it."""
    if not neighbours:
        return []
    prior_weight = PRIOR_WEIGHT if prior_weight is None else prior_weight
    lift_power = LIFT_POWER if lift_power is None else lift_power
    top = max(s for _, s in neighbours)
    rows = np.array([c for c, _ in neighbours], dtype=np.int64)
    weights = np.array([max(s, 0.0) / top if top > 0 else 1.0 for _, s in neighbours])
    votes = weights @ credited[rows].astype(np.float64)
    if not_helped is not None:
        against = weights @ (not_helped[rows] & ~credited[rows]).astype(np.float64)
        votes = votes - NOT_HELPED_PENALTY * against
    total = float(weights.sum())
    share = (votes + prior_weight * prior) / (total + prior_weight)
    lift = share / np.maximum(base, LIFT_FLOOR)
    score = share * np.power(np.maximum(lift, 1e-9), lift_power)
    skip = set(exclude)
    out = []
    for i in map(int, np.flatnonzero(credited[rows].any(axis=0))):
        if names[i] in skip or votes[i] <= 0:
            continue
        crediting = tuple(int(rows[j]) for j in np.flatnonzero(credited[rows, i]))
        out.append(TechniqueVote(names[i], float(share[i]), float(lift[i]), float(score[i]), len(crediting),
                                 crediting, tuple(slugs[c] for c in crediting) if slugs else ()))
    return sorted(out, key=lambda v: (-v.score, v.name))


def shares(credited: np.ndarray, neighbours: Sequence[tuple[int, float]], prior: np.ndarray,
           prior_weight: float | None = None) -> np.ndarray:
    """Per technique (table stakes included): the similarity-weighted share of the neighbours that
    credit it, smoothed towards ``prior`` — how likely a winner of a competition like this one is to
    credit it."""
    prior_weight = PRIOR_WEIGHT if prior_weight is None else prior_weight
    if not neighbours:
        return prior.copy()
    top = max(s for _, s in neighbours)
    rows = np.array([c for c, _ in neighbours], dtype=np.int64)
    weights = np.array([max(s, 0.0) / top if top > 0 else 1.0 for _, s in neighbours])
    return (weights @ credited[rows].astype(np.float64) + prior_weight * prior) / (weights.sum() + prior_weight)


def prominence(mentions: int) -> float:
    """How strongly a write-up reports a technique: the square root of the number of its sentences that
    report it as helping, so its main techniques outweigh its passing mentions."""
    return math.sqrt(max(mentions, 1))


@dataclass(frozen=True)
class TechniqueMatrix:
    """A sparse document × technique matrix: entry i says document row ``rows[i]`` reports technique
    ``names[techniques[i]]`` with strength ``values[i]``."""

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


# -- quotes ----------------------------------------------------------------------------------
MIN_QUOTE_WORDS = 6

# never evidence: a run or setup instruction, a promise of later text, a bare link, a question
_NOT_EVIDENCE = re.compile(
    r"```|^\s*[$>]|\b(?:pip|conda|apt(?:-get)?|git|docker|wget|curl)\s+(?:install|create|activate|clone|run|pull)\b"
    r"|\b(?:python3?|bash|sh|sudo)\s+\S+\.(?:py|sh)\b|\brun\s+[\w./-]+\.(?:py|sh|ipynb)\b|\bcd\s+[\w./-]+"
    r"|\b(?:will|i'll|we'll|going to)\s+(?:be\s+)?(?:post|publish|write|update|upload|add|share|release|"
    r"clean|explain|describe|detail)\w*|\bcoming soon\b|\bstay tuned\b|\bfuture (?:blog )?post\b|\bpromise\b"
    r"|\b(?:todo|tbd|wip)\b|\bsee (?:below|above|the (?:notebook|code|repo|link))\b|\?\s*$"
    r"|[│├└┬┼─┤]|(?:\|[^|\n]*){3,}|\bcan be (?:found|downloaded) here\b|\b(?:recommend|need) to download\b"
    r"|\b[\w-]+\.(?:py|sh|ipynb|ya?ml|cfg)\b|^\s*#\s*\w+\s*[:=(]",
    re.IGNORECASE)
# first-hand and specific: weak when it speaks of others, of what could be, or points elsewhere
_SECONDHAND = re.compile(
    r"\b(?:other\s+(?:teams?|people|participants|competitors|kagglers|solutions|articles|papers|approaches)"
    r"|others|(?:many|most|some)\s+(?:teams|people|participants|kagglers)|top\s+(?:teams|solutions)"
    r"|previous\s+competitions?|in\s+the\s+literature|guide|tutorial|could\s+(?:be|have)|would\s+(?:be|have)"
    r"|might|if\s+(?:i|we)\s+had)\b|https?://|\[[^\]]*\]\([^)]*\)"
    # a citation or a paper's title, not what the team did
    r"|\bet\s+al\b|\barxiv\b|\bworking\s+note\b|^\W*reference\s+code\b"
    r"|\b(?:cvpr|iccv|eccv|neurips|nips|icml|iclr|aaai|miccai|interspeech|icassp)\s*'?\d{2,4}\b",
    re.IGNORECASE)
_FIRST_HAND = re.compile(r"\b(?:we|our|i|my|us)\b", re.IGNORECASE)
_EFFECT = re.compile(
    r"\b(?:improv\w*|boost\w*|gain\w*|increas\w*|helped|helps|better|best|key|crucial|significant\w*|"
    r"outperform\w*|raised|jump\w*|lift\w*|reduc\w*|stabili[sz]\w*|worked)\b|[+-]\s?0?\.\d+|\d+(?:\.\d+)?\s?%",
    re.IGNORECASE)


def not_evidence(snippet: str) -> bool:
    """A setup or run line, a forward reference, a question or a bare link: never shown as evidence."""
    text = snippet.strip()
    words = re.sub(r"https?://\S+|\[[^\]]*\]\([^)]*\)", " ", text).split()
    return len(words) < 3 or bool(_NOT_EVIDENCE.search(text))


def weak_quote(snippet: str) -> bool:
    """A quote that is a bare heading, speaks of others or of what could be, or points elsewhere:
    shown only when a write-up has nothing better."""
    return len(snippet.split()) < MIN_QUOTE_WORDS or bool(_SECONDHAND.search(snippet)) or not_evidence(snippet)


def quote_quality(snippet: str) -> float:
    """Higher for first-hand sentences that say what the technique did (0 for unusable ones)."""
    if not_evidence(snippet):
        return 0.0
    q = 1.0
    if weak_quote(snippet):
        q *= 0.3
    if _FIRST_HAND.search(snippet):
        q *= 1.5
    if _EFFECT.search(snippet):
        q *= 1.6
    n = len(snippet.split())
    if n > 60:
        q *= 0.8
    return q


def _dedupe_key(snippet: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", snippet.lower()).split())[:120]


def pick_evidence(candidates: Sequence[Evidence], limit: int = 3) -> tuple[Evidence, ...]:
    """The best quotes: never unusable ones; first-hand and specific ones only, unless a technique has
    none (then its one best weak quote); at most one per document, no two alike, and different
    competitions before a second quote from the same one."""
    usable = [e for e in candidates if e.helped and not not_evidence(e.snippet)]
    strong = [e for e in usable if not weak_quote(e.snippet)]
    if strong:
        usable = strong
    else:
        limit = min(limit, 1)
    ordered = sorted(usable, key=lambda e: (weak_quote(e.snippet), -e.weight, e.document_id, e.chunk_id))
    out: list[Evidence] = []
    docs: set[int] = set()
    texts: set[str] = set()
    for same_competition_ok in (False, True):
        comps = {e.competition for e in out}
        for e in ordered:
            key = _dedupe_key(e.snippet)
            if e.document_id in docs or key in texts:
                continue
            if not same_competition_ok and e.competition in comps:
                continue
            out.append(e)
            docs.add(e.document_id)
            texts.add(key)
            comps.add(e.competition)
            if len(out) == limit:
                return tuple(out)
    return tuple(out)


def rank_weight(solution_rank: int | None) -> float:
    """Write-ups of top solutions count more; unknown rank counts as a middling one."""
    if solution_rank is None or solution_rank < 1:
        return 0.6
    return 1.0 / (1.0 + 0.25 * math.log2(solution_rank))
