"""Plain data records passed between ingestion, the store and the query API."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Competition:
    slug: str
    title: str | None = None
    description: str | None = None
    kind: str | None = None
    metric: str | None = None
    year: int | None = None
    team_count: int | None = None
    prize: str | None = None
    url: str | None = None
    catalog_number: int | None = None


@dataclass(frozen=True)
class CompetitionLink:
    """A document serves competition ``slug`` as the write-up of rank ``rank`` (None if unknown)."""

    slug: str
    rank: int | None = None
    kind: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class FetchedDocument:
    """What a source hands to the ingestion pipeline: raw bytes plus what it knows about them."""

    url: str
    source: str
    raw: bytes
    content_type: str
    charset: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    license: str | None = None
    site: str | None = None
    fetched_url: str | None = None
    links: tuple[CompetitionLink, ...] = field(default_factory=tuple)
    same_as: tuple[str, ...] = ()  # other URLs of the same document (a write-up's forum topic), kept as aliases


STATUSES = ("new", "changed", "unchanged", "skipped", "failed")


@dataclass(frozen=True)
class Outcome:
    """What adding one document did (or why it was not added): ``status`` is one of :data:`STATUSES`."""

    url: str
    status: str  # one of STATUSES
    reason: str = ""  # failure/skip category (http_status, timeout, robots, too_large, not_text, parse, ...)
    detail: str = ""
    document_id: int | None = None
    chunks: int = 0


def year_of(date: str | None) -> int | None:
    """The year of an ISO-ish date string (``"2014-12-01"`` → 2014), or None."""
    return int(date[:4]) if date and len(date) >= 4 and date[:4].isdigit() else None
