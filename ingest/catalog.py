"""The solution catalog (faridrashidi/kaggle-solutions ``competitions.yml``): parsed into competitions and
solution links, fetched and stored, and every link dispatched to the source that fetches it (``kb ingest
catalog`` crawls them through :mod:`ingest.crawl`)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import yaml

from ingest.http import Fetcher
from ingest.sources.base import Target
from ingest.sources.dispatch import source_for_url
from kb.api import KnowledgeBase
from kb.records import Competition, Outcome
from kb.store.db import transaction
from kb.text import safe_yaml

log = logging.getLogger(__name__)

CATALOG_URL = "https://raw.githubusercontent.com/faridrashidi/kaggle-solutions/main/data/competitions.yml"
_SLUG = re.compile(r"kaggle\.com/(?:c|competitions)/([^/?#\s]+)")


@dataclass(frozen=True)
class SolutionLink:
    url: str
    rank: int | None
    kind: str | None


@dataclass(frozen=True)
class CatalogEntry:
    competition: Competition
    solutions: tuple[SolutionLink, ...]


@dataclass
class CatalogParse:
    entries: list[CatalogEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "entry N (title): what is wrong"


def slug_from_url(url: str) -> str | None:
    m = _SLUG.search(url or "")
    return m.group(1).lower() if m else None


def _int(value: object) -> int | None:
    if value is None:
        return None
    digits = re.sub(r"[^\d]", "", str(value))
    return int(digits) if digits and len(digits) < 12 else None


def _text(value: object) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s if s and s != "-" else None


def parse_catalog(text: str) -> CatalogParse:
    """Parse the catalog YAML; malformed entries are skipped and reported with their position."""
    out = CatalogParse()
    try:
        data = safe_yaml.parse(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        out.problems.append(f"catalog is not valid YAML{where}: {getattr(e, 'problem', e)}")
        return out
    items = data.get("competitions") if isinstance(data, dict) else data
    if not isinstance(items, list):
        out.problems.append("catalog has no 'competitions' list")
        return out
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            out.problems.append(f"entry {n}: not a mapping")
            continue
        link = _text(item.get("link")) or ""
        slug = slug_from_url(link)
        if not slug:
            out.problems.append(f"entry {n} ({item.get('title')!r}): no Kaggle competition link ({link!r})")
            continue
        comp = Competition(
            slug=slug, title=_text(item.get("title")), description=_text(item.get("desc")),
            kind=_text(item.get("kind")), metric=_text(item.get("metric")), year=_int(item.get("year")),
            team_count=_int(item.get("team")), prize=_text(item.get("prize")),
            url=f"https://www.kaggle.com/c/{slug}", catalog_number=_int(item.get("number")),
        )
        sols = []
        solutions = item.get("solutions") or []
        if not isinstance(solutions, list):
            out.problems.append(f"entry {n} ({comp.title!r}): solutions is not a list ({solutions!r:.60})")
            solutions = []
        for s in solutions:
            if isinstance(s, dict) and _text(s.get("link")):
                sols.append(SolutionLink(str(s["link"]).strip(), _int(s.get("rank")), _text(s.get("kind"))))
            else:
                out.problems.append(f"entry {n} ({comp.title!r}): malformed solution {s!r}")
        out.entries.append(CatalogEntry(comp, tuple(sols)))
    return out


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
