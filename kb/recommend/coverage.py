"""How well the knowledge base covers a query: its modality and its years, counted in write-ups.

A recommendation drawn from five audio write-ups deserves a warning that one drawn from five hundred
tabular ones does not; :func:`coverage_of` says which, in a note shown beside the answer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

THIN_WRITEUPS = 20  # fewer write-ups than this of the query's modality (or years) is thin
THIN_COMPETITIONS = 5  # ... or from fewer competitions than this
YEAR_WINDOW = 2  # a query's own year stands for the years around it


@dataclass(frozen=True)
class Coverage:
    """Write-ups (and the competitions they come from) of the query's modality and of its years, under the
    filters; ``note`` is empty when both are well covered, else it says what is thin."""

    modality: str | None
    modality_writeups: int
    modality_competitions: int
    years: tuple[int, int] | None
    year_writeups: int
    year_competitions: int
    note: str = ""

    @property
    def thin(self) -> bool:
        return bool(self.note)

    def to_json(self) -> dict:
        return {"modality": self.modality, "modality_writeups": self.modality_writeups,
                "modality_competitions": self.modality_competitions,
                "years": list(self.years) if self.years else None, "year_writeups": self.year_writeups,
                "year_competitions": self.year_competitions, "thin": self.thin, "note": self.note}


def query_years(year: int | None, year_assumed: bool, year_min: int | None,
                year_max: int | None) -> tuple[int, int] | None:
    """The years a query is about: the filters' range when set, else its own year and those around it
    (None when its year was only assumed)."""
    if year_min is not None or year_max is not None:
        return (year_min or 0, year_max or 9999)
    if year is None or year_assumed:
        return None
    return (year - YEAR_WINDOW, year + YEAR_WINDOW)


def _thin(writeups: int, competitions: int) -> bool:
    return writeups < THIN_WRITEUPS or competitions < THIN_COMPETITIONS


def _years_label(years: tuple[int, int]) -> str:
    low, high = years
    if low <= 0:
        return f"up to {high}"
    if high >= 9999:
        return f"from {low} on"
    return str(low) if low == high else f"{low}–{high}"


def _count(docs: Mapping[str, Collection[int]], slugs: list[str]) -> tuple[int, int]:
    writeups = set().union(*(docs.get(s, ()) for s in slugs)) if slugs else set()
    return len(writeups), sum(1 for s in slugs if docs.get(s))


def coverage_of(profiles: Mapping[str, tuple[str | None, int | None]], docs: Mapping[str, Collection[int]],
                modality: str | None, years: tuple[int, int] | None) -> Coverage:
    """Coverage from each competition's (modality, year) and the write-ups kb may use of it."""
    by_modality = [s for s, (m, _) in profiles.items() if modality and m == modality]
    in_years = [s for s, (_, y) in profiles.items() if years and y and years[0] <= y <= years[1]]
    m_docs, m_comps = _count(docs, by_modality)
    y_docs, y_comps = _count(docs, in_years)
    thin: list[str] = []
    if modality and _thin(m_docs, m_comps):
        thin.append(f"{m_docs} {modality} write-up{'s' if m_docs != 1 else ''} "
                    f"(from {m_comps} competition{'s' if m_comps != 1 else ''})")
    if years and _thin(y_docs, y_comps):
        thin.append(f"{y_docs} write-up{'s' if y_docs != 1 else ''} of competitions {_years_label(years)}")
    note = ""
    if thin:
        note = ("Thin coverage: kb holds only " + " and ".join(thin)
                + ", so this answer rests on few examples.")
    return Coverage(modality=modality, modality_writeups=m_docs, modality_competitions=m_comps, years=years,
                    year_writeups=y_docs, year_competitions=y_comps, note=note)
