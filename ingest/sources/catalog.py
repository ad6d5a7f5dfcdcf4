"""The solution catalog as a live source of targets: fetch the YAML, store competitions and links,
and dispatch every solution link to the source that can fetch it."""

from __future__ import annotations

from ingest.catalog import CATALOG_URL, CatalogParse
from ingest.http import Fetcher
from ingest.sources import source_for_url
from ingest.sources.base import Target
from kb.api import KnowledgeBase
from kb.records import Outcome
from kb.store.db import transaction


def fetch_catalog(fetcher: Fetcher, url: str = CATALOG_URL) -> str:
    """The catalog text (a single file on a raw-file host: no robots.txt lookup; cached on disk)."""
    resp = fetcher.fetch(url, expect_text=True, robots=False)
    return resp.content.decode("utf-8", errors="replace")


def store_catalog(kb: KnowledgeBase, parsed: CatalogParse) -> int:
    """Upsert the catalog's competitions and their solution links (rank, kind)."""
    kb.upsert_competitions([e.competition for e in parsed.entries])
    with transaction(kb.conn):
        for entry in parsed.entries:
            cid = kb.conn.execute("SELECT id FROM competitions WHERE slug = ?", (entry.competition.slug,)).fetchone()[0]
            kb.conn.executemany(
                "INSERT INTO catalog_links (competition_id, url, rank, kind) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(competition_id, url) DO UPDATE SET rank = excluded.rank, kind = excluded.kind",
                [(cid, s.url, s.rank, s.kind) for s in entry.solutions],
            )
    return len(parsed.entries)


def catalog_targets(parsed: CatalogParse, *, origin: str, competition: str | None = None) -> list[Target | Outcome]:
    """One target per solution link (in catalog order); links no source can fetch are skipped."""
    out: list[Target | Outcome] = []
    for entry in parsed.entries:
        slug = entry.competition.slug
        if competition and slug != competition.lower():
            continue
        for s in entry.solutions:
            source = source_for_url(s.url)
            if source is None:
                out.append(Outcome(s.url, "skipped", reason="unsupported",
                                   detail=f"{slug}: no source fetches this kind of link ({s.kind or 'unknown kind'})"))
            else:
                out.append(Target(s.url, source, competition_slug=slug, rank=s.rank, kind=s.kind,
                                  discovered_from=origin))
    return out
