"""``kb ingest``: every way documents come in, one command per source.

kb does not import ingest: this group reaches the ``kb`` command through the ``kb.commands`` entry
point (``pyproject.toml``), like a plugin. Each command is a thin shell over one module:

- ``kb ingest mirror``: :mod:`ingest.mirror` (an offline mirror, through the real fetch path)
- ``kb ingest meta-kaggle``: :mod:`ingest.meta_kaggle` (a Meta Kaggle dump)
- ``kb ingest catalog``: :mod:`ingest.crawl` with the solution catalog (:mod:`ingest.catalog`)
- ``kb ingest url|kaggle|github|blog``: :mod:`ingest.crawl` and the source in :mod:`ingest.sources`
- ``kb ingest status``: :mod:`ingest.frontier`

Progress goes to stderr; the final summary (a table, or one JSON object with ``--json``) to stdout.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from ingest.report import render_summary
from kb.cli.common import echo_json, open_kb, tqdm_progress


def _crawl_options(fn: Callable) -> Callable:
    opts = [
        click.option("--limit", type=click.IntRange(min=0), help="Fetch at most N documents in this run."),
        click.option("--fresh-days", type=click.FloatRange(min=0), default=7.0, show_default=True,
                     help="Pages fetched within this many days are not fetched again."),
        click.option("--retry-failed", is_flag=True, help="Retry failed pages now instead of after their backoff."),
        click.option("--delay", type=click.FloatRange(min=0), default=1.0, show_default=True,
                     help="Seconds between two requests to the same host."),
        click.option("--stop-after", type=click.IntRange(min=0), default=5, show_default=True,
                     help="Stop a host's pages for this run after N answers in a row that are HTTP 429 or a"
                          " challenge page (they stay queued for the next run; 0: never stop)."),
        click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _finish(data: dict, text: str, as_json: bool, interrupted: bool) -> None:
    if as_json:
        echo_json(data)
    else:
        click.echo(text)
    if interrupted:
        sys.exit(130)


def _announcer(catalog: bool = False) -> Callable:
    """Print the crawl plan to stderr before the first request (stdout keeps the summary or JSON)."""
    from ingest.plan import render_plan

    def announce(plan) -> None:  # noqa: ANN001 - CrawlPlan
        click.echo(render_plan(plan, catalog=catalog), err=True)

    return announce


def _run_urls(urls: tuple[str, ...], source: str | None, limit: int | None, fresh_days: float,
              retry_failed: bool, delay: float, stop_after: int, as_json: bool,
              whole_site: bool | None = None) -> None:
    from ingest.crawl import CrawlOptions, ingest_urls, live_fetcher

    options = CrawlOptions(fresh_days=fresh_days, retry_failed=retry_failed, limit=limit, stop_after=stop_after)
    with open_kb() as kb:
        fetcher = live_fetcher(kb.settings, delay=delay)
        report = ingest_urls(kb, fetcher, urls, source=source, options=options, progress=tqdm_progress,
                             whole_site=whole_site, announce=_announcer())
    _finish(report.to_dict(), _render(report), as_json, report.summary.interrupted)


def _render(report) -> str:  # noqa: ANN001 - CrawlReport
    text = render_summary(report.summary)
    if report.not_due:
        text += (f"\n\n{report.not_due} of {report.targets} pages were not fetched: fetched recently"
                 " (--fresh-days) or waiting to retry (--retry-failed). See `kb ingest status`.")
    for host, stop in report.extra.get("stopped_hosts", {}).items():
        text += (f"\n\nStopped {host}: {stop['answers']} answers in a row were HTTP 429 or a challenge page"
                 f" (last: {stop['last']}). {stop['left_queued']} of its pages were left queued: run the same"
                 " command later to continue (`kb ingest status` lists them).")
    return text


@click.group()
def ingest() -> None:
    """Bring write-ups into the knowledge base."""


@ingest.command("mirror")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--limit", type=int, help="Only the first N documents (for a quick try).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def mirror_cmd(directory: Path | None, limit: int | None, as_json: bool) -> None:
    """Ingest an offline mirror (default: KB_MIRROR, else ../shared/corpus)."""
    from ingest.mirror import ingest_mirror

    with open_kb() as kb:
        root = directory or kb.settings.mirror
        if root is None:
            raise click.UsageError("no mirror given and KB_MIRROR is not set (e.g. kb ingest mirror ../shared/corpus)")
        summary = ingest_mirror(kb, root, progress=tqdm_progress, limit=limit)
    _finish(summary.to_dict(), render_summary(summary), as_json, summary.interrupted)


@ingest.command("catalog")
@click.option("--url", "url", help="Catalog URL (default: faridrashidi/kaggle-solutions on GitHub).")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the catalog from a local YAML file instead.")
@click.option("--competition", help="Only this competition's solution links (slug).")
@_crawl_options
def catalog_cmd(url: str | None, file: Path | None, competition: str | None, limit: int | None,
                fresh_days: float, retry_failed: bool, delay: float, stop_after: int, as_json: bool) -> None:
    """Load competitions from the solution catalog and fetch every solution link it lists."""
    from ingest.catalog import CATALOG_URL
    from ingest.crawl import CrawlOptions, ingest_catalog, live_fetcher

    if url and file:
        raise click.UsageError("give --url or --file, not both")
    text = file.read_text(encoding="utf-8", errors="replace") if file else None
    options = CrawlOptions(fresh_days=fresh_days, retry_failed=retry_failed, limit=limit, stop_after=stop_after)
    with open_kb() as kb:
        fetcher = live_fetcher(kb.settings, delay=delay)
        report = ingest_catalog(kb, fetcher, url=url or (file.resolve().as_uri() if file else CATALOG_URL),
                                text=text, competition=competition, options=options, progress=tqdm_progress,
                                announce=_announcer(catalog=True))
    _finish(report.to_dict(), _render(report), as_json, report.summary.interrupted)


@ingest.command("url")
@click.argument("urls", nargs=-1, required=True)
@_crawl_options
def url_cmd(urls: tuple[str, ...], **kw) -> None:
    """Ingest pages by URL, each through the source that fits it (Kaggle, GitHub or blog)."""
    _run_urls(urls, None, **kw)


@ingest.command("kaggle")
@click.argument("urls", nargs=-1, required=True)
@_crawl_options
def kaggle_cmd(urls: tuple[str, ...], **kw) -> None:
    """Ingest Kaggle discussion topics (/c/<slug>/discussion/<id>) and write-ups (/writeups/<slug>)."""
    _run_urls(urls, "kaggle", **kw)


@ingest.command("github")
@click.argument("urls", nargs=-1, required=True)
@_crawl_options
def github_cmd(urls: tuple[str, ...], **kw) -> None:
    """Ingest GitHub READMEs: repo roots, /tree/<branch>/<folder> and /blob/<branch>/<file> links.

    Set GITHUB_TOKEN to raise GitHub's API limit (60 requests an hour without one).
    """
    _run_urls(urls, "github", **kw)


@ingest.command("blog")
@click.argument("urls", nargs=-1, required=True)
@click.option("--site/--article", "whole_site", default=None,
              help="Treat each URL as a whole blog (posts from its feed or sitemap) or as one article."
                   " Default: a blog root, feed or sitemap URL is a whole blog, anything else an article.")
@_crawl_options
def blog_cmd(urls: tuple[str, ...], whole_site: bool | None, **kw) -> None:
    """Ingest blog posts: one article, or a whole blog through its RSS/Atom feed or sitemap."""
    _run_urls(urls, "blog", whole_site=whole_site, **kw)


@ingest.command("meta-kaggle")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--limit", type=click.IntRange(min=0), help="Store at most N write-ups.")
@click.option("--max-rank", type=click.IntRange(min=1), help="Only write-ups of teams ranked this high or better.")
@click.option("--title-heuristic/--no-title-heuristic", default=True, show_default=True,
              help="For competitions without linked write-ups, take topics titled like solutions.")
@click.option("--segment", "segments", multiple=True, metavar="NAME",
              help="Keep competitions of this HostSegmentTitle (repeat for several; 'all' keeps every one)."
                   " Default: Featured, Research, Playground, Recruitment, Getting Started.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def meta_kaggle_cmd(directory: Path, limit: int | None, max_rank: int | None, title_heuristic: bool,
                    segments: tuple[str, ...], as_json: bool) -> None:
    """Ingest solution write-ups from a Meta Kaggle dump (Competitions, Teams, ForumTopics, ForumMessages).

    The fastest way to every Kaggle write-up: one download, no requests to kaggle.com.
    """
    from ingest.meta_kaggle import SEGMENTS, ingest_meta_kaggle

    chosen = None if any(s.lower() == "all" for s in segments) else (segments or SEGMENTS)
    with open_kb() as kb:
        summary = ingest_meta_kaggle(kb, directory, progress=tqdm_progress, limit=limit, max_rank=max_rank,
                                     heuristic=title_heuristic, segments=chosen)
    _finish(summary.to_dict(), render_summary(summary), as_json, summary.interrupted)


@ingest.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the frontier state as one JSON object.")
def status_cmd(as_json: bool) -> None:
    """The crawl frontier: pages by state and source, fetch times, failures by reason."""
    from ingest.frontier import Frontier

    with open_kb() as kb:
        data = Frontier(kb.conn).status()
    if as_json:
        echo_json(data)
        return
    click.echo(render_status(data))


def render_status(data: dict) -> str:
    lines = ["Crawl frontier", "--------------", f"{'total':>12}: {data['total']}"]
    lines += [f"{state:>12}: {n}" for state, n in data["by_state"].items()]
    if data["by_source"]:
        lines.append(f"{'by source':>12}: " + ", ".join(f"{k}={v}" for k, v in data["by_source"].items()))
    lines.append(f"{'oldest fetch':>12}: {data['oldest_fetch'] or '—'}")
    lines.append(f"{'newest fetch':>12}: {data['newest_fetch'] or '—'}")
    if data["failures_by_reason"]:
        lines += ["", f"Failures by reason ({data['failed_waiting']} waiting for their retry time):"]
        for reason, n in data["failures_by_reason"].items():
            lines.append(f"  {reason} ({n}), e.g. {data['failure_examples'].get(reason, '')}")
    return "\n".join(lines)
