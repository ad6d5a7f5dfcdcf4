"""Blog posts and whole blogs: pages fetched through our fetcher, main text extracted downstream.

An article URL is one document: its HTML goes to the pipeline, whose cleaner runs trafilatura on
it (trafilatura never downloads anything itself). A blog's root, a feed or a sitemap is expanded
into its posts: RSS/Atom via feedparser on bytes we fetched (a ``<link rel="alternate">`` feed, then
the usual ``/feed.xml``, ``/index.xml``, ``/atom.xml``...), else ``sitemap.xml``.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

from ingest.http import Fetcher, Response
from ingest.report import Outcome
from ingest.sources.base import Target, failed
from kb.errors import FetchError
from kb.models import CompetitionLink, FetchedDocument

log = logging.getLogger(__name__)

FEED_PATHS = ("feed.xml", "index.xml", "atom.xml", "rss.xml", "feed/", "rss/", "feed")
_SITE_SUFFIXES = (".xml", "/feed", "/feed/", "/rss", "/rss/", "/atom", "/atom/")
_ALT_FEED = re.compile(r"<link\b[^>]*\btype=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.I)
_HREF = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.I)
_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.I)
_NOT_POSTS = re.compile(r"/(?:tags?|categor(?:y|ies)|page|archives?|authors?|search|about)(?:/|$)", re.I)
MAX_SITEMAPS = 20


def is_site_url(url: str) -> bool:
    """A blog's root, a feed or a sitemap (expanded into posts) rather than one article."""
    path = urlsplit(url).path
    return path in ("", "/") or path.lower().endswith(_SITE_SUFFIXES)


def _looks_like_feed(resp: Response) -> bool:
    head = resp.content[:2048].lower()
    return any(t in resp.content_type for t in ("rss", "atom")) or b"<rss" in head or b"<feed" in head


def _looks_like_sitemap(resp: Response) -> bool:
    head = resp.content[:2048].lower()
    return b"<urlset" in head or b"<sitemapindex" in head


def feed_links(raw: bytes, base: str) -> list[str]:
    """Post URLs of an RSS/Atom feed (parsed from bytes, so feedparser fetches nothing)."""
    import feedparser

    parsed = feedparser.parse(raw)
    out = []
    for entry in parsed.entries:
        link = entry.get("link") or next((lk.get("href") for lk in entry.get("links", []) if lk.get("href")), None)
        if link:
            out.append(urljoin(base, link))
    return list(dict.fromkeys(out))


def sitemap_locations(raw: bytes) -> list[str]:
    return list(dict.fromkeys(m.group(1).replace("&amp;", "&") for m in _LOC.finditer(raw.decode("utf-8", "replace"))))


class BlogSource:
    name = "blog"

    def __init__(self, fetcher: Fetcher, *, whole_site: bool | None = None):
        self.fetcher = fetcher
        self.whole_site = whole_site  # None: decide from the URL (root, feed or sitemap → whole blog)

    def discover(self, url: str) -> list[Target | Outcome]:
        site = self.whole_site if self.whole_site is not None else is_site_url(url)
        if not site:
            return [Target(url, self.name)]
        try:
            posts, origin = self._posts(url)
        except FetchError as e:
            return [failed(url, e)]
        if not posts:
            return [Outcome(url, "failed", reason="no_posts", detail="no feed or sitemap with posts found")]
        return [Target(p, self.name, discovered_from=origin) for p in posts]

    def fetch(self, target: Target) -> FetchedDocument | Outcome:
        try:
            resp = self.fetcher.fetch(target.url, expect_text=True)
        except FetchError as e:
            return failed(target.url, e)
        links = (CompetitionLink(target.competition_slug, target.rank, target.kind),) if target.competition_slug else ()
        return FetchedDocument(
            url=target.url, source=self.name, raw=resp.content, content_type=resp.content_type or "text/html",
            charset=resp.charset, site=urlsplit(resp.final_url or target.url).netloc.lower() or None,
            fetched_url=resp.final_url or target.url, links=links,
        )

    # -- whole blogs ------------------------------------------------------------------------
    def _posts(self, url: str) -> tuple[list[str], str]:
        first = self.fetcher.fetch(url, expect_text=True)
        if _looks_like_feed(first):
            return feed_links(first.content, url), url
        if _looks_like_sitemap(first):
            return self._sitemap(first, url), url
        candidates = [urljoin(url, m.group(1)) for tag in _ALT_FEED.findall(first.content.decode("utf-8", "replace"))
                      if (m := _HREF.search(tag))]
        root = url if url.endswith("/") else url + "/"
        candidates += [urljoin(root, p) for p in FEED_PATHS]
        for feed_url in dict.fromkeys(candidates):
            try:
                resp = self.fetcher.fetch(feed_url, expect_text=True)
            except FetchError as e:
                log.debug("no feed at %s: %s", feed_url, e)
                continue
            if _looks_like_feed(resp) and (links := feed_links(resp.content, feed_url)):
                return links, feed_url
        sitemap_url = urljoin(root, "/sitemap.xml")
        try:
            resp = self.fetcher.fetch(sitemap_url, expect_text=True)
        except FetchError as e:
            log.debug("no sitemap at %s: %s", sitemap_url, e)
            return [], url
        return (self._sitemap(resp, url) if _looks_like_sitemap(resp) else []), sitemap_url

    def _sitemap(self, resp: Response, site: str) -> list[str]:
        """Post-like pages of a sitemap (following a sitemap index), on the blog's own host."""
        host = urlsplit(site).netloc.lower()
        pages: list[str] = []
        queue, seen = [resp], 0
        while queue and seen < MAX_SITEMAPS:
            current = queue.pop(0)
            seen += 1
            locations = sitemap_locations(current.content)
            if b"<sitemapindex" in current.content[:2048].lower():
                for loc in locations[:MAX_SITEMAPS]:
                    try:
                        queue.append(self.fetcher.fetch(loc, expect_text=True))
                    except FetchError as e:
                        log.info("sitemap %s skipped: %s", loc, e)
                continue
            for loc in locations:
                parts = urlsplit(loc)
                if parts.netloc.lower() == host and parts.path not in ("", "/") and not _NOT_POSTS.search(parts.path):
                    pages.append(loc)
        return list(dict.fromkeys(pages))
