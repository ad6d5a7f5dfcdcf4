"""Blog articles and whole blogs (RSS, Atom, sitemaps) through canned answers."""

from __future__ import annotations

import pytest

from ingest.report import Outcome
from ingest.sources.base import Target
from ingest.sources.blog import BlogSource, feed_links, is_site_url, sitemap_locations
from kb.models import FetchedDocument
from tests.fixtures.canned_http import canned_fetcher, ok

SITE = "https://ann.example/"
ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>How we won the sales forecast</title>
<link rel="alternate" type="application/rss+xml" title="Feed" href="/feed.xml"></head>
<body><nav>Home | About</nav><article><h1>How we won the sales forecast</h1>
<p>We trained a gradient boosted model on lag and rolling-window features, validated on the last month.</p>
<p>Blending it with a small neural network gave the final boost on the private leaderboard.</p></article>
<footer>(c) Ann</footer></body></html>"""
RSS = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Ann's notes</title>
<link>https://ann.example/</link><description>notes</description>
<item><title>Post one</title><link>https://ann.example/2021/post-one/</link></item>
<item><title>Post two</title><link>https://ann.example/2022/post-two/</link></item>
<item><title>Post two again</title><link>https://ann.example/2022/post-two/</link></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Ann</title>
<entry><title>Atom post</title><link href="/2023/atom-post/" rel="alternate"/><id>1</id>
<updated>2023-01-01T00:00:00Z</updated></entry></feed>"""
SITEMAP = """<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://ann.example/</loc></url><url><loc>https://ann.example/2021/a-post/</loc></url>
<url><loc>https://ann.example/tags/kaggle/</loc></url><url><loc>https://elsewhere.example/x/</loc></url>
<url><loc>https://ann.example/2022/b-post/?a=1&amp;b=2</loc></url></urlset>"""
INDEX = """<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://ann.example/sitemap-posts.xml</loc></sitemap></sitemapindex>"""


def source(routes, **kw) -> tuple[BlogSource, object]:
    f, t = canned_fetcher(routes)
    return BlogSource(f, **kw), t


def test_article_is_fetched_as_html_with_its_charset_and_site():
    url = "https://ann.example/2021/post-one/"
    src, _ = source({url: ok(ARTICLE, "text/html; charset=ISO-8859-1")})
    [target] = src.discover(url)
    assert target == Target(url, "blog")
    doc = src.fetch(Target(url, "blog"))
    assert isinstance(doc, FetchedDocument)
    assert (doc.content_type, doc.charset, doc.site, doc.raw) == ("text/html", "iso-8859-1", "ann.example",
                                                                  ARTICLE.encode())


def test_binary_article_is_refused():
    url = "https://ann.example/slides.bin"
    src, _ = source({url: ok(b"\x00\x01", "application/octet-stream")})
    out = src.fetch(Target(url, "blog"))
    assert isinstance(out, Outcome) and out.reason == "not_text"


def test_whole_blog_through_the_feed_its_home_page_announces():
    src, t = source({SITE: ok(ARTICLE), SITE + "feed.xml": ok(RSS, "application/rss+xml")})
    targets = src.discover(SITE)
    assert [x.url for x in targets] == ["https://ann.example/2021/post-one/", "https://ann.example/2022/post-two/"]
    assert {x.discovered_from for x in targets} == {SITE + "feed.xml"}
    assert t.urls() == [SITE, SITE + "feed.xml"]


def test_whole_blog_probes_the_usual_feed_paths():
    src, t = source({SITE: ok("<html><body><p>home</p></body></html>"), SITE + "index.xml": ok(ATOM, "text/xml")})
    targets = src.discover(SITE)
    assert [x.url for x in targets] == ["https://ann.example/2023/atom-post/"]
    assert t.urls()[:3] == [SITE, SITE + "feed.xml", SITE + "index.xml"]


def test_a_feed_url_is_read_directly():
    src, _ = source({SITE + "atom.xml": ok(ATOM, "application/atom+xml")})
    assert [x.url for x in src.discover(SITE + "atom.xml")] == ["https://ann.example/2023/atom-post/"]


def test_sitemap_fallback_keeps_post_pages_on_the_blog_host():
    routes = {SITE: ok("<html><body>home</body></html>"), SITE + "sitemap.xml": ok(INDEX, "application/xml"),
              SITE + "sitemap-posts.xml": ok(SITEMAP, "application/xml")}
    src, _ = source(routes)
    targets = src.discover(SITE)
    assert [x.url for x in targets] == ["https://ann.example/2021/a-post/", "https://ann.example/2022/b-post/?a=1&b=2"]


def test_a_blog_without_feed_or_sitemap_is_reported():
    src, _ = source({SITE: ok("<html><body>home</body></html>")})
    [out] = src.discover(SITE)
    assert isinstance(out, Outcome) and out.reason == "no_posts"
    src, _ = source({})
    [out] = src.discover(SITE)
    assert isinstance(out, Outcome) and out.reason == "http_status"


def test_site_mode_can_be_forced_either_way():
    src, _ = source({SITE + "blog/": ok(ARTICLE), SITE + "feed.xml": ok(RSS, "application/rss+xml")},
                    whole_site=True)
    assert len(src.discover(SITE + "blog/")) == 2
    src, t = source({}, whole_site=False)
    assert src.discover(SITE) == [Target(SITE, "blog")] and t.calls == []


@pytest.mark.parametrize("url, site", [
    ("https://ann.example", True), ("https://ann.example/", True), ("https://ann.example/feed.xml", True),
    ("https://ann.example/feed/", True), ("https://ann.example/2021/post/", False),
    ("https://ann.example/sitemap.xml", True),
])
def test_is_site_url(url, site):
    assert is_site_url(url) is site


def test_feed_and_sitemap_parsers_tolerate_garbage():
    assert feed_links(b"<html>not a feed</html>", SITE) == []
    assert feed_links(b"\x00\xff garbage", SITE) == []
    assert sitemap_locations(b"<urlset><url><loc>https://a.example/x</loc></url>") == ["https://a.example/x"]
