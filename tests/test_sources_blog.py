"""Blog articles and whole blogs (RSS, Atom, sitemaps) through canned answers."""

from __future__ import annotations

import pytest

from ingest.sources.base import Target
from ingest.sources.blog import (
    SITEMAP_PATHS,
    BlogSource,
    clean_post_url,
    feed_links,
    is_site_url,
    moved_to_front_page,
    site_scope,
    sitemap_locations,
)
from kb.records import FetchedDocument, Outcome
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
    assert t.urls() == [SITE, SITE + "feed.xml", SITE + "robots.txt", *(SITE + p[1:] for p in SITEMAP_PATHS)]


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
    ("https://ann.example/sitemap.xml", True), ("https://medium.com/feed/@ann", True),
    ("https://medium.com/feed/some-publication", True), ("https://ann.blogspot.com/feeds/posts/default", True),
    ("https://ann.blogspot.com/feeds/posts/default?alt=rss", True), ("https://ann.example/?feed=rss2", True),
    ("https://ann.example/posts.rss", True), ("https://medium.com/@ann/a-post-1234", False),
    ("https://ann.example/2021/feeding-the-model/", False),
])
def test_is_site_url(url, site):
    assert is_site_url(url) is site


@pytest.mark.parametrize("url, scope", [
    ("https://ann.example/", "/"), ("https://ann.example/blog/", "/blog/"), ("https://ann.example/blog", "/blog/"),
    ("https://ann.example/feed.xml", "/"), ("https://ann.example/blog/atom.xml", "/blog/"),
    ("https://medium.com/feed/@ann", "/@ann/"), ("https://ann.blogspot.com/feeds/posts/default", "/"),
])
def test_site_scope(url, scope):
    assert site_scope(url) == scope


@pytest.mark.parametrize("url, clean", [
    ("https://ann.medium.com/a-post-1a2b?source=rss-1234------2", "https://ann.medium.com/a-post-1a2b"),
    ("https://ann.example/p/?utm_source=feed&utm_medium=rss&id=7", "https://ann.example/p/?id=7"),
    ("https://pub.example/a-post-9f?source=rss----7f60----4", "https://pub.example/a-post-9f"),
    ("https://ann.example/p/?source=home&q=a+b", "https://ann.example/p/?source=home&q=a+b"),  # not tracking here
    ("https://ann.example/p/?a=1&b=%2F", "https://ann.example/p/?a=1&b=%2F"),  # untouched when nothing goes
])
def test_tracking_parameters_are_removed(url, clean):
    assert clean_post_url(url) == clean


MEDIUM_FEED = """<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel><title>Stories by Ann</title>
<link>https://medium.com/@ann?source=rss-aa11------2</link>
<item><title>Fourth place</title><link>https://ann.medium.com/fourth-place-1a2b?source=rss-aa11------2</link></item>
<item><title>Ninth place</title><link>https://medium.com/@ann/ninth-place-3c4d?source=rss-aa11------2</link></item>
</channel></rss>"""


def test_feed_and_sitemap_together_make_the_whole_blog():
    sitemap = SITEMAP.replace("https://ann.example/2021/a-post/", "https://ann.example/2022/post-two/?utm_source=x")
    routes = {SITE: ok(ARTICLE), SITE + "feed.xml": ok(RSS, "application/rss+xml"),
              SITE + "robots.txt": ok("User-agent: *\nDisallow:\nSitemap: https://ann.example/maps/all.xml\n",
                                      "text/plain"),
              SITE + "maps/all.xml": ok(sitemap, "application/xml")}
    src, t = source(routes)
    targets = src.discover(SITE)
    assert [(x.url, x.discovered_from) for x in targets] == [
        ("https://ann.example/2021/post-one/", SITE + "feed.xml"), ("https://ann.example/2022/post-two/",
                                                                    SITE + "feed.xml"),
        ("https://ann.example/2022/b-post/?a=1&b=2", SITE + "maps/all.xml")]
    assert SITE + "sitemap.xml" not in t.urls()  # robots.txt named the sitemap


def test_the_usual_sitemap_paths_are_tried_in_turn():
    index = INDEX.replace("https://ann.example/sitemap-posts.xml", "http://ann.example/wp-sitemap-posts-post-1.xml")
    routes = {SITE: ok("<html><body>home</body></html>"), SITE + "wp-sitemap.xml": ok(index, "application/xml"),
              "http://ann.example/wp-sitemap-posts-post-1.xml": ok(SITEMAP, "application/xml")}
    src, t = source(routes)
    assert [x.url for x in src.discover(SITE)] == ["https://ann.example/2021/a-post/",
                                                   "https://ann.example/2022/b-post/?a=1&b=2"]
    assert [u for u in t.urls() if "sitemap" in u][:3] == [SITE + "sitemap.xml", SITE + "sitemap_index.xml",
                                                           SITE + "wp-sitemap.xml"]


def test_a_medium_feed_is_a_whole_blog_of_that_author_only():
    feed = "https://medium.com/feed/@ann"
    sitemap = ("<?xml version='1.0'?><urlset><url><loc>https://medium.com/@ann/older-post-5e6f</loc></url>"
               "<url><loc>https://medium.com/@bob/not-ann-7a8b</loc></url></urlset>")
    src, _ = source({feed: ok(MEDIUM_FEED, "text/xml; charset=UTF-8"),
                     "https://medium.com/sitemap.xml": ok(sitemap, "application/xml")})
    assert [x.url for x in src.discover(feed)] == ["https://ann.medium.com/fourth-place-1a2b",
                                                   "https://medium.com/@ann/ninth-place-3c4d",
                                                   "https://medium.com/@ann/older-post-5e6f"]


def test_an_article_url_that_is_a_feed_is_expanded_into_its_posts(kb):
    from ingest.crawl import ingest_urls

    feed = "https://ann.blogspot.com/feeds/posts/default"
    post = ARTICLE.replace("sales forecast", "retina grading")
    routes = {feed: ok(ATOM.replace("/2023/atom-post/", "https://ann.blogspot.com/2023/atom-post.html"),
                       "application/atom+xml"),
              "https://ann.blogspot.com/2023/atom-post.html": ok(post)}
    src, _ = source(routes, whole_site=False)
    found = src.fetch(Target(feed, "blog", competition_slug="retina", rank=4))
    assert found.url == feed and [(x.url, x.competition_slug, x.rank) for x in found.targets] == [
        ("https://ann.blogspot.com/2023/atom-post.html", "retina", None)]
    assert found.detail == "a feed, not an article: its 1 posts were queued"
    fetcher, _ = canned_fetcher(routes)
    d = ingest_urls(kb, fetcher, [feed], source="blog", whole_site=False).to_dict()
    assert (d["new"], d["skipped"]) == (1, 1) and d["failures"][0]["reason"] == "feed"
    assert kb.document("https://ann.blogspot.com/2023/atom-post.html") is not None
    assert kb.document(feed) is None  # the feed itself is not stored as an article


def test_an_article_that_redirects_to_the_front_page_is_not_found():
    from tests.fixtures.canned_http import status

    old = "https://blog.ann.example/2016/05/02/the-winning-approach/"
    src, _ = source({old: status(301, Location="https://ann.example/"), "https://ann.example/": ok(ARTICLE)})
    out = src.fetch(Target(old, "blog"))
    assert isinstance(out, Outcome) and out.reason == "not_found" and "front page" in out.detail
    moved = "https://ann.example/2016/the-winning-approach/"
    src, _ = source({old: status(301, Location=moved), moved: ok(ARTICLE)})
    assert isinstance(src.fetch(Target(old, "blog")), FetchedDocument)  # a post that moved is still the post


@pytest.mark.parametrize("url, final, moved", [
    ("https://a.example/2016/05/post/", "https://a.example/", True),
    ("https://a.example/post", "https://b.example/", True),
    ("https://a.example/2017/post", "https://a.example/blog", True),
    ("https://a.example/post", "https://a.example/post/", False),
    ("https://a.example/", "https://a.example/", False),
    ("https://a.example/post", "https://a.example/new-post", False),
])
def test_moved_to_front_page(url, final, moved):
    assert moved_to_front_page(url, final) is moved


def test_feed_and_sitemap_parsers_tolerate_garbage():
    assert feed_links(b"<html>not a feed</html>", SITE) == []
    assert feed_links(b"\x00\xff garbage", SITE) == []
    assert sitemap_locations(b"<urlset><url><loc>https://a.example/x</loc></url>") == ["https://a.example/x"]
