"""``kb ingest url|kaggle|github|blog|catalog``: driving live sources: seeds → discover → frontier → fetch →
store, resumable at any point.

Every target goes into the frontier first; only due targets are fetched (never fetched, failed
and past their backoff, or older than the freshness window). Each document and each frontier
update is committed on its own, so Ctrl-C or a kill loses nothing and a re-run continues.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from ingest.breaker import DEFAULT_THRESHOLD, HostBreaker
from ingest.catalog import CATALOG_URL, catalog_targets, fetch_catalog, parse_catalog, store_catalog
from ingest.frontier import Frontier, FrontierItem
from ingest.http import Fetcher, FetchPolicy
from ingest.plan import CrawlPlan
from ingest.report import Summary
from ingest.runner import finalize
from ingest.sources.base import Discovered, Target
from ingest.sources.dispatch import Source, make_sources
from kb.api import KnowledgeBase
from kb.config import Settings
from kb.errors import KBError
from kb.progress import ProgressFactory, no_progress
from kb.records import CompetitionLink, FetchedDocument, Outcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlOptions:
    fresh_days: float = 7.0  # pages fetched more recently are not fetched again
    retry_failed: bool = False  # retry failures now instead of after their backoff
    limit: int | None = None  # fetch at most this many targets in this run
    discover: bool = True  # expand seeds (a blog root → its posts); catalog targets are final
    stop_after: int = DEFAULT_THRESHOLD  # stop a host after this many 429/challenge answers in a row (0: never)


@dataclass
class CrawlReport:
    summary: Summary
    targets: int = 0  # targets this run was about
    not_due: int = 0  # of those: fresh or waiting for a retry, so not fetched
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {**self.summary.to_dict(), "targets": self.targets, "not_due": self.not_due, **self.extra}


def live_fetcher(settings: Settings, **policy: object) -> Fetcher:
    """The polite fetcher for the real web: robots.txt, 1 s per host, cache in ``<KB_HOME>/http-cache``."""
    return Fetcher(policy=FetchPolicy.polite(cache_dir=settings.http_cache_dir, **policy))


def catalog_links(kb: KnowledgeBase, url: str) -> list[CompetitionLink]:
    rows = kb.conn.execute(
        "SELECT co.slug, co.title, cl.rank, cl.kind FROM catalog_links cl"
        " JOIN competitions co ON co.id = cl.competition_id WHERE cl.url = ?", (url,)).fetchall()
    return [CompetitionLink(r["slug"], r["rank"], r["kind"], r["title"]) for r in rows]


def merge_links(links: Iterable[CompetitionLink]) -> tuple[CompetitionLink, ...]:
    """One link per (competition, rank); a rank-less link is dropped when a ranked one exists."""
    out: dict[tuple[str, int | None], CompetitionLink] = {}
    for link in links:
        key = (link.slug, link.rank)
        if key not in out or (out[key].title is None and link.title):
            out[key] = link
    ranked = {slug for slug, rank in out if rank is not None}
    return tuple(v for (slug, rank), v in out.items() if rank is not None or slug not in ranked)


def _target(item: FrontierItem) -> Target:
    return Target(item.url, item.source, item.competition_slug, item.rank, item.kind, item.discovered_from)


def crawl(kb: KnowledgeBase, sources: Mapping[str, Source], seeds: Iterable[Target | Outcome], *,
          options: CrawlOptions = CrawlOptions(), progress: ProgressFactory = no_progress,
          summary: Summary | None = None, fetcher: Fetcher | None = None,
          announce: Callable[[CrawlPlan], None] | None = None) -> CrawlReport:
    """Fetch and store the due targets among ``seeds``; then tag, embed and re-index once.

    ``announce`` hears the plan (pages per host, a time estimate) before the first fetch. A host
    that answers ``options.stop_after`` times in a row with HTTP 429 or a challenge page is not
    asked again in this run: its pages stay in the frontier (``stopped_hosts`` in the report).
    """
    report = CrawlReport(summary or Summary())
    summary = report.summary
    frontier = Frontier(kb.conn)
    targets: list[Target] = []
    try:
        for seed in seeds:
            if isinstance(seed, Outcome):
                summary.add(seed)
                continue
            found = sources[seed.source].discover(seed.url) if options.discover else [seed]
            for item in found:
                if isinstance(item, Outcome):
                    summary.add(item)
                elif item.url == seed.url:
                    targets.append(replace(seed, source=item.source))
                else:
                    targets.append(replace(item, competition_slug=item.competition_slug or seed.competition_slug))
        frontier.add_many((t.url, t.source, t.discovered_from, t.competition_slug, t.rank, t.kind) for t in targets)
    except KeyboardInterrupt:
        summary.interrupted = True
        return report
    urls = list(dict.fromkeys(t.url for t in targets))
    due = frontier.due(urls, fresh_days=options.fresh_days, retry_failed=options.retry_failed)
    report.targets, report.not_due = len(urls), len(urls) - len(due)
    if options.limit is not None:
        due = due[: options.limit]
    plan = CrawlPlan.of((item.url for item in due), fetcher.policy.delay if fetcher is not None else 0.0)
    report.extra["plan"] = plan.to_dict()
    if announce is not None and due:
        announce(plan)
    breaker = HostBreaker(options.stop_after)
    queue, known = deque(due), set(urls)
    extra = None if options.limit is None else 0  # pages found on the way (a feed's posts) count against --limit
    bar = progress("fetching", len(due))
    try:
        while queue:
            entry = queue.popleft()
            if breaker.allows(entry.url):
                outcome, led_to = _one(kb, sources[entry.source], frontier, _target(entry), summary, options,
                                       fetcher)
                if breaker.record(entry.url, outcome):
                    log.warning("%s answered %d times in a row with HTTP 429 or a challenge page: its other pages"
                                " are left for a later run", entry.url, options.stop_after)
                new = [f for f in led_to if f.url not in known]
                if extra is not None:
                    new = new[: max(0, (options.limit or 0) - len(due) - extra)]
                    extra += len(new)
                known.update(f.url for f in new)
                queue.extend(new)
                _grow(bar, len(new))
            bar.update(1)
    except KeyboardInterrupt:
        summary.interrupted = True
        log.warning("interrupted: what was stored is kept; run the same command again to continue")
    finally:
        bar.close()
        report.extra["stopped_hosts"] = breaker.report()
    if not summary.interrupted:
        finalize(kb, summary, progress)
    return report


def _one(kb: KnowledgeBase, source: Source, frontier: Frontier, target: Target, summary: Summary,
         options: CrawlOptions, fetcher: Fetcher | None) -> tuple[Outcome, list[FrontierItem]]:
    """Fetch and store one target; returns its outcome and the due pages it led to (a feed's posts)."""
    result = source.fetch(target)
    if isinstance(result, Discovered):
        outcome = summary.add(Outcome(target.url, "skipped", reason="feed", detail=result.detail))
        frontier.add_many((t.url, t.source, t.discovered_from or target.url, t.competition_slug, t.rank, t.kind)
                          for t in result.targets)
        frontier.mark_done(target.url, "skipped")
        due = frontier.due([t.url for t in result.targets], fresh_days=options.fresh_days,
                           retry_failed=options.retry_failed)
        return outcome, due
    if isinstance(result, Outcome):
        summary.add(result)
        status = _status(result.detail)
        frontier.mark_failed(target.url, result.reason or "unknown", result.detail, status=status,
                             fresh_days=options.fresh_days)
        return result, []
    doc: FetchedDocument = replace(result, links=merge_links([*result.links, *catalog_links(kb, target.url)]))
    outcome = summary.add(kb.add_document(doc))
    if outcome.status == "failed":
        frontier.mark_failed(target.url, outcome.reason or "parse", outcome.detail, fresh_days=options.fresh_days)
        return outcome, []
    validators = fetcher.validators(doc.fetched_url or doc.url) if fetcher is not None else {}
    frontier.mark_done(target.url, outcome.status, etag=validators.get("etag"),
                       last_modified=validators.get("last-modified"))
    return outcome, []


def _grow(bar: object, n: int) -> None:
    """Add ``n`` pages to a progress bar's total (tqdm's), so its ETA stays honest."""
    total = getattr(bar, "total", None)
    if n and isinstance(total, int):
        bar.total = total + n  # type: ignore[attr-defined]
        refresh = getattr(bar, "refresh", None)
        if callable(refresh):
            refresh()


def _status(detail: str) -> int | None:
    """The HTTP status quoted in a failure detail ("HTTP 503 ..."), for the retry schedule."""
    if detail.startswith("HTTP ") and detail[5:8].isdigit():
        return int(detail[5:8])
    return None


def ingest_urls(kb: KnowledgeBase, fetcher: Fetcher, urls: Iterable[str], *, source: str | None = None,
                options: CrawlOptions = CrawlOptions(), progress: ProgressFactory = no_progress,
                whole_site: bool | None = None, announce: Callable[[CrawlPlan], None] | None = None) -> CrawlReport:
    """``kb ingest url/kaggle/github/blog``: each URL through its source (``source`` forces one)."""
    from ingest.sources.dispatch import source_for_url

    sources = make_sources(fetcher, whole_site=whole_site, settings=kb.settings)
    seeds: list[Target | Outcome] = []
    for url in urls:
        name = source or source_for_url(url)
        if name is None:
            seeds.append(Outcome(url, "skipped", reason="unsupported", detail="no source fetches this kind of URL"))
        else:
            seeds.append(Target(url, name))
    return crawl(kb, sources, seeds, options=options, progress=progress, fetcher=fetcher, announce=announce)


def ingest_catalog(kb: KnowledgeBase, fetcher: Fetcher, *, url: str = CATALOG_URL, text: str | None = None,
                   competition: str | None = None, options: CrawlOptions = CrawlOptions(),
                   progress: ProgressFactory = no_progress,
                   announce: Callable[[CrawlPlan], None] | None = None) -> CrawlReport:
    """``kb ingest catalog``: competitions and links from the catalog, then every solution link."""
    summary = Summary()
    if text is None:
        text = fetch_catalog(fetcher, url)
    parsed = parse_catalog(text)
    for problem in parsed.problems:
        summary.add(Outcome("catalog", "skipped", reason="catalog", detail=problem))
    if not parsed.entries:
        why = f": {parsed.problems[0]}" if parsed.problems else ""
        raise KBError(f"the catalog at {url} has no competitions{why}")
    if competition and all(e.competition.slug != competition.lower() for e in parsed.entries):
        raise KBError(f"competition {competition!r} is not in the catalog")
    summary.competitions = store_catalog(kb, parsed)
    seeds = catalog_targets(parsed, origin=url, competition=competition)
    sources = make_sources(fetcher, whole_site=False, settings=kb.settings)
    return crawl(kb, sources, seeds, options=replace(options, discover=False), progress=progress, summary=summary,
                 fetcher=fetcher, announce=announce)
