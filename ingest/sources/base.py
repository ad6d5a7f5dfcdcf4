"""The interface every live source implements: discover → fetch → extract.

``discover`` expands what a user or the catalog gave (a page, a repo, a whole blog) into targets,
one per document; ``fetch`` fetches one target through the shared :class:`~ingest.http.Fetcher`
and extracts a :class:`~kb.records.FetchedDocument`, or returns an ``Outcome`` saying why not, or
(for a page that turns out to be a feed) the targets it lists, as :class:`Discovered`.
Sources never raise for a bad page: failures are outcomes with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ingest.errors import FetchError
from kb.records import FetchedDocument, Outcome


@dataclass(frozen=True)
class Target:
    """One document to fetch, with what is known about it before fetching."""

    url: str
    source: str
    competition_slug: str | None = None
    rank: int | None = None
    kind: str | None = None
    discovered_from: str | None = None


@dataclass(frozen=True)
class Discovered:
    """A fetched page that lists documents instead of being one (a feed, a sitemap): fetch these instead."""

    url: str
    targets: tuple[Target, ...]
    detail: str


class Source(Protocol):
    name: str

    def discover(self, url: str) -> Iterable[Target | Outcome]: ...

    def fetch(self, target: Target) -> FetchedDocument | Outcome | Discovered: ...


def failed(url: str, error: FetchError) -> Outcome:
    """The outcome for a fetch error (the HTTP status goes into the detail)."""
    return Outcome(url, "failed", reason=error.reason, detail=error.detail or str(error))
