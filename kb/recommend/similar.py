"""Similar competitions: one score per catalog competition, and the reason it is similar, in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kb.recommend.scoring import profile_factor, text_similarity, year_factor


@dataclass(frozen=True)
class Similarity:
    """Per catalog competition (aligned with ``CorpusData.comp_slugs``): the final score and its parts."""

    score: np.ndarray
    text: np.ndarray  # text similarity alone (catalog description and write-up centroid)
    profile: np.ndarray  # profile factor (modality, task type, metric family)
    year: np.ndarray  # closeness in time


def similarity(query_vector: np.ndarray, catalog: np.ndarray, centroids: np.ndarray,
               profiles: Sequence[tuple[str | None, str | None, str | None, int | None]],
               query_profile: tuple[str | None, str | None, str | None], year: int | None,
               year_scale: float | None = None) -> Similarity:
    """Score every competition against the query: text similarity × profile factor × year factor."""
    cat = catalog @ query_vector
    has = np.linalg.norm(centroids, axis=1) > 0 if len(centroids) else np.zeros(len(cat), dtype=bool)
    cen = centroids @ query_vector if len(centroids) else np.zeros(len(cat))
    text = text_similarity(cat, cen, has)
    prof = np.array([profile_factor(query_profile, p[:3]) for p in profiles], dtype=np.float64)
    years = np.array([year_factor(year, p[3], year_scale) for p in profiles], dtype=np.float64)
    return Similarity(score=text * prof * years, text=text, profile=prof, year=years)


def reason(query_profile: tuple[str | None, str | None, str | None], other: tuple[str | None, str | None,
           str | None, int | None], text: float, year: int | None, techniques: Sequence[str] = (),
           has_writeups: bool = True) -> str:
    """Why a competition is listed: what it shares with the query, in a short line."""
    modality, task, family = query_profile
    o_modality, o_task, o_family, o_year = other
    shared = [label for label, mine, theirs in (("modality", modality, o_modality), ("task", task, o_task),
                                                ("metric", family, o_family)) if mine and theirs == mine]
    parts = []
    if shared:
        values = {"modality": o_modality, "task": o_task, "metric": o_family}
        parts.append("same " + ", ".join(f"{label} ({values[label]})" for label in shared))
    elif o_modality:
        parts.append(f"other modality ({o_modality})" if modality and o_modality != modality else o_modality)
    parts.append(f"{_closeness(text)} description ({text:.2f})")
    if year and o_year:
        gap = abs(year - o_year)
        parts.append(f"{o_year}, same year" if gap == 0 else f"{o_year}, {gap} year{'s' if gap > 1 else ''} apart")
    if techniques:
        parts.append("winners credit " + ", ".join(techniques[:3]))
    elif not has_writeups:
        parts.append("no write-up in kb yet")
    return "; ".join(parts)


def _closeness(text: float) -> str:
    if text >= 0.6:
        return "very similar"
    if text >= 0.45:
        return "similar"
    if text >= 0.3:
        return "somewhat similar"
    return "loosely related"
