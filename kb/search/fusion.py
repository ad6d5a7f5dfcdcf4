"""Ranking as small pure functions over lists of ``(id, score)`` pairs, best first."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
G = TypeVar("G", bound=Hashable)


def rrf(rankings: Sequence[Sequence[tuple[K, float]]], k: int = 60,
        weights: Sequence[float] | None = None) -> list[tuple[K, float]]:
    """Reciprocal rank fusion: score(d) = Σ w_i / (k + rank_i(d)), ranks starting at 1."""
    weights = weights or [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[K, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, (key, _) in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], str(kv[0])))


def min_max(ranking: Sequence[tuple[K, float]]) -> list[tuple[K, float]]:
    """Scale scores to [0, 1] (all equal → 1.0)."""
    if not ranking:
        return []
    lo = min(s for _, s in ranking)
    hi = max(s for _, s in ranking)
    if hi == lo:
        return [(key, 1.0) for key, _ in ranking]
    return [(key, (s - lo) / (hi - lo)) for key, s in ranking]


def weighted_fusion(rankings: Sequence[Sequence[tuple[K, float]]],
                    weights: Sequence[float]) -> list[tuple[K, float]]:
    """Convex combination of min-max normalised scores; a missing item scores 0 in that list."""
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[K, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for key, s in min_max(ranking):
            scores[key] = scores.get(key, 0.0) + w * s
    return sorted(scores.items(), key=lambda kv: (-kv[1], str(kv[0])))


def group_by(ranking: Sequence[tuple[K, float]], group_of: Mapping[K, G],
             limit: int | None = None) -> list[tuple[G, float, list[K]]]:
    """Group item scores by ``group_of[item]``: each group scores as its best item.

    Returns ``(group, best score, items best first)`` best group first; items without a group are
    dropped.
    """
    groups: dict[G, tuple[float, list[K]]] = {}
    for key, score in ranking:
        g = group_of.get(key)
        if g is None:
            continue
        if g in groups:
            groups[g][1].append(key)
        else:
            groups[g] = (score, [key])
    ordered = sorted(groups.items(), key=lambda kv: -kv[1][0])
    out = [(g, best, items) for g, (best, items) in ordered]
    return out[:limit] if limit is not None else out
