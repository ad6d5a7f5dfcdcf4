"""``kb ingest mirror DIR``: catalog + manifest documents through the real fetch path."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from ingest.catalog import parse_catalog
from ingest.errors import FetchError
from ingest.http import Fetcher
from ingest.mirror import CATALOG, ManifestRow, MirrorTransport, load_manifest
from ingest.report import Summary
from ingest.runner import finalize, store_all
from ingest.sources.catalog import store_catalog
from kb.api import KnowledgeBase
from kb.progress import ProgressFactory, no_progress
from kb.records import CompetitionLink, FetchedDocument, Outcome

log = logging.getLogger(__name__)


def load_catalog(kb: KnowledgeBase, text: str, summary: Summary) -> int:
    """Upsert the catalog's competitions and remember their solution links; problems are reported."""
    parsed = parse_catalog(text)
    for problem in parsed.problems:
        summary.add(Outcome("catalog", "skipped", reason="catalog", detail=problem))
    summary.competitions = store_catalog(kb, parsed)
    return summary.competitions


def _document(rows: list[ManifestRow], fetcher: Fetcher) -> FetchedDocument | Outcome:
    first = rows[0]
    fetch_url = first.raw_url or first.url
    try:
        resp = fetcher.fetch(fetch_url)
    except FetchError as e:
        return Outcome(first.url, "failed", reason=e.reason, detail=e.detail or str(e))
    links = tuple(CompetitionLink(r.competition_slug, r.rank, None, r.competition_title)
                  for r in rows if r.competition_slug)
    return FetchedDocument(
        url=first.url, source=first.source, raw=resp.content,
        content_type=resp.content_type or first.content_type, charset=resp.charset, title=first.title,
        author=first.author, date=first.date, license=first.license, site=first.site,
        fetched_url=fetch_url, links=links,
    )


def ingest_mirror(kb: KnowledgeBase, root: Path, *, progress: ProgressFactory = no_progress,
                  limit: int | None = None) -> Summary:
    """Load the mirror's catalog and every manifest document into ``kb``; returns the summary."""
    root = Path(root)
    manifest = load_manifest(root)
    summary = Summary()
    for problem in manifest.problems:
        summary.add(Outcome("manifest", "skipped", reason="manifest", detail=problem))
    catalog = root / CATALOG
    if catalog.exists():
        load_catalog(kb, catalog.read_text(encoding="utf-8", errors="replace"), summary)
    else:
        log.warning("%s has no %s; competitions come from the manifest only", root, CATALOG)
    fetcher = Fetcher(MirrorTransport(root, manifest))
    docs = list(manifest.documents().values())[:limit]

    def fetched() -> Iterator[FetchedDocument | Outcome]:
        for rows in docs:
            yield _document(rows, fetcher)

    store_all(kb, fetched(), summary, progress, total=len(docs), description="ingesting mirror")
    if not summary.interrupted:
        finalize(kb, summary, progress)
    return summary
