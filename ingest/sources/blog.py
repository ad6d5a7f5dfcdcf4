"""Blog posts and whole blogs: pages fetched through our fetcher, main text extracted downstream.

An article URL is one document: its HTML goes to the pipeline, whose cleaner runs trafilatura on
it (trafilatura never downloads anything itself). A blog's root, a feed or a sitemap is expanded
into its posts: the feed (RSS/Atom via feedparser on bytes we fetched: a ``<link rel="alternate">``
feed, then the usual ``/feed.xml``, ``/index.xml``, ``/atom.xml``...) **and** the sitemap (robots.txt
``Sitemap:`` lines, else ``/sitemap.xml``, ``/sitemap_index.xml``, ``/wp-sitemap.xml``), since a feed
holds only the latest 10-20 posts. Feed URLs are recognised by their shape (``/feed.xml``,
``medium.com/feed/@user``, Blogger's ``/feeds/posts/default``, ...) and, when a URL taken for an
article turns out to be a feed or a sitemap, by its body.

Post URLs lose their tracking parameters (``utm_*``, Medium's ``source``), so they match the URLs
the catalog lists. An article that redirects to the site's front page (a blog that moved or
closed) is "not found", not a document.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ingest.errors import FetchError
from ingest.http import Fetcher, Response
from ingest.sources.base import Discovered, Target, failed
from kb.records import CompetitionLink, FetchedDocument, Outcome

log = logging.getLogger(__name__)

FEED_PATHS = ("feed.xml", "index.xml", "atom.xml", "rss.xml", "feed/", "rss/", "feed")
SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/wp-sitemap.xml")
_SITE_SUFFIXES = (".xml", ".rss", ".atom", "/feed", "/feed/", "/rss", "/rss/", "/atom", "/atom/")
_FEED_PATH = re.compile(r"^/(?:feed/[^/]+/?|feeds/posts/\w+/?)$", re.I)  # medium.com/feed/@user, Blogger
_FEED_QUERY = re.compile(r"(?:^|&)(?:alt=(?:rss|atom)|feed=(?:rss2?|atom))(?:&|$)", re.I)
_PROLOG = rb"\A\s*(?:<\?xml[^>]*>\s*|<\?xml-stylesheet[^>]*>\s*|<!--.*?-->\s*)*"
_FEED_START = re.compile(_PROLOG + rb"<(?:rss|feed|rdf:RDF)\b", re.I | re.S)
_SITEMAP_START = re.compile(_PROLOG + rb"<(?:urlset|sitemapindex)\b", re.I | re.S)
_ALT_FEED = re.compile(r"<link\b[^>]*\btype=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.I)
_HREF = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.I)
_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.I)
_NOT_POSTS = re.compile(r"/(?:tags?|categor(?:y|ies)|page|archives?|authors?|search|about)(?:/|$)", re.I)
_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid)$", re.I)
MAX_SITEMAPS = 20


def is_feed_url(url: str) -> bool:
    """A feed by its URL's shape: ``/feed.xml``, ``/rss``, ``medium.com/feed/@user``, ``/feeds/posts/default``..."""
    parts = urlsplit(url)
    path = parts.path.lower()
    return (path.endswith(_SITE_SUFFIXES) or bool(_FEED_PATH.match(parts.path))
            or bool(_FEED_QUERY.search(parts.query)))


def is_site_url(url: str) -> bool:
    """A blog's root, a feed or a sitemap (expanded into posts) rather than one article."""
    return urlsplit(url).path in ("", "/") or is_feed_url(url)


def clean_post_url(url: str) -> str:
    """Without tracking parameters (``utm_*``, ``fbclid``...; on Medium also ``source``)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    medium = parts.netloc.lower().endswith("medium.com")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs
            if not _TRACKING.match(k) and not (k == "source" and (medium or v.startswith("rss")))]
    return url if len(kept) == len(pairs) else urlunsplit(parts._replace(query=urlencode(kept)))


def looks_like_feed(resp: Response) -> bool:
    return any(t in resp.content_type for t in ("rss", "atom")) or bool(_FEED_START.match(resp.content[:4096]))


def looks_like_sitemap(resp: Response) -> bool:
    return bool(_SITEMAP_START.match(resp.content[:4096]))


def feed_links(raw: bytes, base: str) -> list[str]:
    """Post URLs of an RSS/Atom feed (parsed from bytes, so feedparser fetches nothing), tracking removed."""
    import feedparser

    parsed = feedparser.parse(raw)
    out = []
    for entry in parsed.entries:
        link = entry.get("link") or next((lk.get("href") for lk in entry.get("links", []) if lk.get("href")), None)
        if link:
            out.append(clean_post_url(urljoin(base, link)))
    return list(dict.fromkeys(out))


def sitemap_locations(raw: bytes) -> list[str]:
    return list(dict.fromkeys(m.group(1).replace("&amp;", "&") for m in _LOC.finditer(raw.decode("utf-8", "replace"))))


def _segments(url: str) -> list[str]:
    return [s for s in urlsplit(url).path.split("/") if s]


def moved_to_front_page(url: str, final: str) -> bool:
    """A redirect from an article to the site's front page (or a one-level index such as ``/blog``)."""
    if not final or final.rstrip("/") == url.rstrip("/"):
        return False
    before, after = _segments(url), _segments(final)
    return len(after) <= 1 and len(after) < len(before)


def site_scope(url: str) -> str:
    """The path prefix a whole blog lives under, from the URL given: ``/`` for a root or a root feed,
    ``/blog/`` for ``/blog/feed.xml``, ``/@user/`` for ``medium.com/feed/@user``."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if m := re.match(r"^/feed/([^/]+)/?$", path, re.I):
        return f"/{m.group(1)}/"
    if re.match(r"^/feeds/posts/", path, re.I):
        return "/"
    if is_feed_url(url) or path.lower().endswith(".xml"):
        path = path.rstrip("/").rsplit("/", 1)[0] + "/"
    return path if path.endswith("/") else path + "/"


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
            posts = self._posts(url)
        except FetchError as e:
            return [failed(url, e)]
        if not posts:
            return [Outcome(url, "failed", reason="no_posts", detail="no feed or sitemap with posts found")]
        return [Target(post, self.name, discovered_from=origin) for post, origin in posts]

    def fetch(self, target: Target) -> FetchedDocument | Outcome | Discovered:
        try:
            resp = self.fetcher.fetch(target.url, expect_text=True)
        except FetchError as e:
            return failed(target.url, e)
        final = resp.final_url or target.url
        if moved_to_front_page(target.url, final):
            return Outcome(target.url, "failed", reason="not_found",
                           detail=f"redirects to {final}, the site's front page, not to the article")
        if looks_like_feed(resp) or looks_like_sitemap(resp):
            return self._listing(target, resp)
        links = (CompetitionLink(target.competition_slug, target.rank, target.kind),) if target.competition_slug else ()
        return FetchedDocument(
            url=target.url, source=self.name, raw=resp.content, content_type=resp.content_type or "text/html",
            charset=resp.charset, site=urlsplit(final).netloc.lower() or None, fetched_url=final, links=links,
        )

    def _listing(self, target: Target, resp: Response) -> Discovered | Outcome:
        """A URL taken for an article that is a feed or a sitemap: its posts, to be fetched instead."""
        kind = "feed" if looks_like_feed(resp) else "sitemap"
        try:
            posts = self._posts(target.url, first=resp)
        except FetchError as e:
            return failed(target.url, e)
        if not posts:
            return Outcome(target.url, "failed", reason="no_posts", detail=f"a {kind} without posts")
        targets = tuple(Target(post, self.name, competition_slug=target.competition_slug, discovered_from=origin)
                        for post, origin in posts)
        return Discovered(target.url, targets, f"a {kind}, not an article: its {len(targets)} posts were queued")

    # -- whole blogs ------------------------------------------------------------------------
    def _posts(self, url: str, first: Response | None = None) -> list[tuple[str, str]]:
        """(post URL, where it was found) from the blog's feed and its sitemap, feed posts first."""
        first = first or self.fetcher.fetch(url, expect_text=True)
        scope = site_scope(url)
        found: list[tuple[str, str]] = []
        if looks_like_sitemap(first):
            found += [(p, url) for p in self._sitemap(first, url, scope)]
            return _unique(found)
        feed_url, feed = (url, first) if looks_like_feed(first) else self._find_feed(url, first)
        if feed is not None:
            found += [(p, feed_url) for p in feed_links(feed.content, feed_url)]
        sitemap_url, pages = self._site_sitemap(url, scope)
        found += [(p, sitemap_url) for p in pages]
        return _unique(found)

    def _find_feed(self, url: str, page: Response) -> tuple[str, Response | None]:
        """The feed a page announces (``<link rel="alternate">``), else one at a usual path."""
        candidates = [urljoin(url, m.group(1)) for tag in _ALT_FEED.findall(page.content.decode("utf-8", "replace"))
                      if (m := _HREF.search(tag))]
        root = url if url.endswith("/") else url + "/"
        candidates += [urljoin(root, p) for p in FEED_PATHS]
        for feed_url in dict.fromkeys(candidates):
            try:
                resp = self.fetcher.fetch(feed_url, expect_text=True)
            except FetchError as e:
                log.debug("no feed at %s: %s", feed_url, e)
                continue
            if looks_like_feed(resp) and feed_links(resp.content, feed_url):
                return feed_url, resp
        return url, None

    def _site_sitemap(self, url: str, scope: str) -> tuple[str, list[str]]:
        """Post pages of the site's sitemap: robots.txt ``Sitemap:`` lines, else the usual paths."""
        try:
            declared = self.fetcher.robots.sitemaps(url)
        except FetchError as e:  # robots.txt unreachable: the usual paths may still answer
            log.debug("no robots.txt sitemaps for %s: %s", url, e)
            declared = []
        candidates = declared or [urljoin(url, p) for p in SITEMAP_PATHS]
        pages: list[str] = []
        used = ""
        for sitemap_url in candidates:
            try:
                resp = self.fetcher.fetch(sitemap_url, expect_text=True)
            except FetchError as e:
                log.debug("no sitemap at %s: %s", sitemap_url, e)
                continue
            if not looks_like_sitemap(resp):
                continue
            pages += self._sitemap(resp, url, scope)
            used = used or sitemap_url
            if not declared:
                break  # the usual paths are alternatives; robots.txt may declare several that add up
        return used or url, pages

    def _sitemap(self, resp: Response, site: str, scope: str) -> list[str]:
        """Post-like pages of a sitemap (following a sitemap index), on the blog's own host and path."""
        host = urlsplit(site).netloc.lower()
        pages: list[str] = []
        queue, seen = [resp], 0
        while queue and seen < MAX_SITEMAPS:
            current = queue.pop(0)
            seen += 1
            locations = sitemap_locations(current.content)
            if b"<sitemapindex" in current.content[:4096].lower():
                for loc in locations[:MAX_SITEMAPS]:
                    try:
                        queue.append(self.fetcher.fetch(loc, expect_text=True))
                    except FetchError as e:
                        log.info("sitemap %s skipped: %s", loc, e)
                continue
            for loc in locations:
                parts = urlsplit(loc)
                if (parts.netloc.lower() == host and parts.path not in ("", "/") and parts.path.startswith(scope)
                        and not _NOT_POSTS.search(parts.path)):
                    pages.append(clean_post_url(loc))
        return list(dict.fromkeys(pages))


def _unique(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    for post, origin in found:
        out.setdefault(post, origin)
    return list(out.items())
