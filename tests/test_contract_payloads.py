"""Contract tests: the live sources against what the real services answered (``../shared/payloads``).

Every payload file is served by a local HTTP server on 127.0.0.1 and fetched through the real
network path: the :class:`~ingest.http.Fetcher` policy (robots.txt, redirects, retries, cache) over
the real requests transport (streaming, gzip). The only change is the address: a transport that
sends each request for ``https://www.kaggle.com/...`` (or any host) to the local server, saying which
host was meant. Skipped when ``../shared/payloads`` is absent; its files are read here at test time
and never copied into the repository.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from ingest.crawl import ingest_urls
from ingest.http import Fetcher, FetchPolicy, Request, Response
from ingest.http.requests_transport import RequestsTransport
from ingest.sources.base import Discovered, Target
from ingest.sources.blog import BlogSource
from ingest.sources.github import RAW, GitHubSource
from ingest.sources.kaggle import (
    COMPETITION,
    LEADERBOARD,
    TOPIC,
    WRITEUP_BY_SLUG,
    KaggleSource,
    topic_url,
)
from ingest.sources.kaggle_json import walk_messages
from kb.records import CompetitionLink, FetchedDocument, Outcome
from kb.text.titles import plain
from tests.fixtures import kaggle_payloads as kp

PAYLOADS = Path(__file__).resolve().parents[2] / "shared" / "payloads"
pytestmark = pytest.mark.skipif(not PAYLOADS.is_dir(), reason="../shared/payloads is not available")

USED: set[str] = set()  # payload files the tests below replay; the last test checks that none is left out

Answer = tuple[int, dict[str, str], bytes]
Route = Callable[[str, bytes], Answer]  # (method, request body) → (status, headers, body)


def payload(name: str) -> bytes:
    USED.add(name)
    return (PAYLOADS / name).read_bytes()


def payload_json(name: str):
    return json.loads(payload(name))


# -- the local server and the transport that sends everything to it ---------------------------------
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms wait per keep-alive answer)
    server: ThreadingHTTPServer

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("X-Test-Host", "")
        route = self.server.routes.get((host, self.path.split("#")[0]))  # type: ignore[attr-defined]
        self.server.hits.append((host, self.command, self.path, body))  # type: ignore[attr-defined]
        code, headers, content = route(self.command, body) if route else (404, {"Content-Type": "text/plain"},
                                                                             b"not here")
        self.send_response(code)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = _answer


class Server:
    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = {}  # type: ignore[attr-defined]
        self.httpd.hits = []  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def hits(self) -> list[tuple[str, str, str, bytes]]:
        return self.httpd.hits  # type: ignore[attr-defined]

    def route(self, url: str, answer: Route) -> None:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.httpd.routes[(parts.netloc, path or "/")] = answer  # type: ignore[attr-defined]


class ToLocalServer(RequestsTransport):
    """The real requests transport, with every request sent to the local server instead of its host."""

    def __init__(self, base: str):
        super().__init__()
        self.base = urlsplit(base)

    def send(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        local = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        resp = super().send(replace(request, url=local, headers={**request.headers, "X-Test-Host": parts.netloc}))
        return replace(resp, url=request.url, final_url=request.url)


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
        thread.join(5)


@pytest.fixture
def fetcher(server, tmp_path) -> Fetcher:
    policy = FetchPolicy.polite(cache_dir=tmp_path / "http-cache", delay=0.0, retries=1, backoff=0.01)
    return Fetcher(ToLocalServer(server.base), policy=policy)


def static(body: bytes, ctype: str = "application/json", *, code: int = 200, gzipped: bool = False,
           **headers: str) -> Route:
    out = {"Content-Type": ctype, **headers}
    if gzipped:
        body, out["Content-Encoding"] = gzip.compress(body), "gzip"
    return lambda method, _: (code, out, body)


# -- Kaggle -------------------------------------------------------------------------------------------
SLUG = "biohub-cell-tracking-during-development"


def kaggle_topics() -> dict[int, dict]:
    return {int(p.stem.split("_")[1]): payload_json(f"kaggle/{p.name}")["forumTopic"]
            for p in sorted((PAYLOADS / "kaggle").glob("topic_*.json"))}


def serve_kaggle(server: Server, writeups: dict[str, dict] | None = None) -> None:
    files = {int(p.stem.split("_")[1]): f"kaggle/{p.name}" for p in (PAYLOADS / "kaggle").glob("topic_*.json")}

    def topic(method: str, body: bytes) -> Answer:
        name = files.get(json.loads(body).get("forumTopicId"))
        if name is None:
            return 404, {"Content-Type": "application/json"}, b'{"code": 404}'
        return 200, {"Content-Type": "application/json"}, payload(name)

    def writeup(method: str, body: bytes) -> Answer:
        found = (writeups or {}).get(json.loads(body).get("slug"))
        return (200, {"Content-Type": "application/json"}, json.dumps(found).encode()) if found else (
            404, {"Content-Type": "application/json"}, b'{"code": 404}')

    server.route("https://www.kaggle.com/", static(b"<html><body>app</body></html>", "text/html",
                                                   **{"Set-Cookie": "XSRF-TOKEN=contract-1; Path=/; Secure"}))
    server.route("https://www.kaggle.com/api/i/" + TOPIC, topic)
    server.route("https://www.kaggle.com/api/i/" + WRITEUP_BY_SLUG, writeup)
    server.route("https://www.kaggle.com/api/i/" + COMPETITION, static(payload("kaggle/competition.json")))
    server.route("https://www.kaggle.com/api/i/" + LEADERBOARD, static(payload("kaggle/leaderboard.json"),
                                                                      gzipped=True))


def test_every_real_topic_gives_its_post_title_author_and_date(server, fetcher):
    serve_kaggle(server)
    rows = {r["id"]: r for r in payload_json("kaggle/index_rows.json")}
    listed = {t["id"]: t for t in payload_json("kaggle/topics_index.json")}
    src = KaggleSource(fetcher, token="")
    topics = kaggle_topics()
    assert len(topics) == 71 and set(topics) == set(rows) == set(listed)
    for topic_id, topic in topics.items():
        url = f"https://www.kaggle.com/competitions/{SLUG}/discussion/{topic_id}"
        doc = src.fetch(Target(url, "kaggle"))
        assert isinstance(doc, FetchedDocument), (topic_id, doc)
        assert doc.raw.decode() == topic["firstMessage"]["rawMarkdown"] and doc.content_type == "text/markdown"
        row = rows[topic_id]  # the scraper's index keeps a trailing space of some names; the source strips them
        assert (doc.title, doc.author, doc.date) == (row["title"].strip(), row["author"].strip(), row["posted"])
        assert (doc.title, doc.author, doc.date) == (listed[topic_id]["title"].strip(),
                                                     listed[topic_id]["authorUser"]["displayName"].strip(),
                                                     listed[topic_id]["postDate"][:10])
        assert doc.same_as == (topic_url(SLUG, topic_id),)
        first = src.fetch(Target(f"{url}#{listed[topic_id]['firstForumMessageId']}", "kaggle"))
        assert first.raw == doc.raw and first.author == doc.author  # a link to the first message is the topic
    calls = [h for h in server.hits if h[2].endswith(TOPIC)]
    assert len(calls) == 2 * 71 and all(h[0] == "www.kaggle.com" and h[1] == "POST" for h in calls)
    assert [h[2] for h in server.hits if h[1] == "GET"].count("/") == 1  # one session for the run


def test_every_real_reply_is_stored_under_its_own_author(server, fetcher):
    serve_kaggle(server)
    src = KaggleSource(fetcher, token="")
    seen = other_author = deleted = 0
    for topic_id, topic in kaggle_topics().items():
        for reply in walk_messages(topic.get("comments")):
            seen += 1
            url = f"https://www.kaggle.com/c/{SLUG}/discussion/{topic_id}#{reply['id']}"
            doc = src.fetch(Target(url, "kaggle"))
            name = reply["author"].get("displayName")
            if not reply["rawMarkdown"].strip():  # deleted: no text and no name
                assert isinstance(doc, Outcome) and doc.reason == "not_found" and "deleted" in doc.detail
                deleted += 1
                continue
            assert isinstance(doc, FetchedDocument), (url, doc)
            assert (doc.raw.decode(), doc.author, doc.date) == (reply["rawMarkdown"], name.strip(),
                                                                reply["postDate"][:10])
            assert doc.title == topic["name"].strip() and doc.same_as == ()
            other_author += name.strip() != topic["authorUserDisplayName"].strip()
    assert (seen, other_author, deleted) == (219, 159, 5)  # 164 of 219 are not the topic author's


def biohub_team(rank: int) -> dict:
    board = payload_json("kaggle/leaderboard.json")
    team_id = next(e["teamId"] for e in board["publicLeaderboard"] if e.get("rank") == rank)
    return next(t for t in board["teams"] if t["teamId"] == team_id)


def test_a_writeup_gets_its_rank_from_the_real_leaderboard(server, fetcher, kb):
    board = payload_json("kaggle/leaderboard.json")
    assert not any("rank" in t for t in board["teams"])  # the shape that made every rank empty
    assert "privateLeaderboard" not in board  # a running competition: the public board is all there is
    third, tenth = biohub_team(3), biohub_team(10)
    leader = third["teamUpInfo"]["teamLeader"]
    member = tenth["teamMembers"][-1]
    writeups = {  # made-up write-ups by real team members (names are the join to the board)
        "third-place": kp.writeup(735999, "third-place", "3rd place", leader,
                                  "Our pipeline: a 3D U-Net for detection, then linking by optimal transport.",
                                  slug=SLUG),
        "tenth-place": kp.writeup(736000, "tenth-place", "10th place", kp.user("Someone Else"),
                                  "Tracking by detection with a learned association score and gap closing.",
                                  slug=SLUG, collaborators=(member,)),
    }
    serve_kaggle(server, writeups)
    urls = [f"https://www.kaggle.com/competitions/{SLUG}/writeups/{name}" for name in writeups]
    report = ingest_urls(kb, fetcher, urls, source="kaggle").to_dict()
    assert (report["new"], report["failed"]) == (2, 0)
    docs = [kb.document(u) for u in urls]
    assert [(d.title, d.author, d.date) for d in docs] == [
        ("3rd place", leader["displayName"], "2021-04-09"), ("10th place", "Someone Else", "2021-04-09")]
    assert [[(c.slug, c.rank) for c in d.competitions] for d in docs] == [[(SLUG, 3)], [(SLUG, 10)]]
    board_calls = [h for h in server.hits if h[2].endswith(LEADERBOARD)]
    competition = payload_json("kaggle/competition.json")
    assert len(board_calls) == 1 and json.loads(board_calls[0][3]) == {"competitionId": competition["id"]}


def test_real_topics_go_through_the_whole_pipeline(server, fetcher, kb):
    serve_kaggle(server)
    topics = kaggle_topics()
    urls = [f"https://www.kaggle.com/c/{SLUG}/discussion/{t}" for t in topics]
    report = ingest_urls(kb, fetcher, urls, source="kaggle")
    outcomes = {o.url: o for o in report.summary.outcomes}
    stored = 0
    for topic_id, topic in topics.items():
        url = f"https://www.kaggle.com/c/{SLUG}/discussion/{topic_id}"
        if outcomes[url].status == "failed":  # a one-line question is too short to keep
            assert outcomes[url].reason == "empty", outcomes[url]
            continue
        doc = kb.document(url)
        assert (doc.title, doc.author, doc.date) == (plain(topic["name"]),
                                                              topic["authorUserDisplayName"].strip(),
                                                              topic["postDate"][:10])
        raw = topic["firstMessage"]["rawMarkdown"]
        words = re.findall(r"\w{5,}", re.sub(r"!\[[^\]]*\]\([^)]*\)|\(https?://[^)]*\)|https?://\S+", " ", raw))
        assert not words or words[0] in doc.text, (url, words[0])
        assert doc.competitions[0].slug == SLUG and doc.chunks
        stored += 1
    assert stored == report.to_dict()["new"] >= 65


# -- GitHub -------------------------------------------------------------------------------------------
def recorded(name: str) -> list[dict]:
    return payload_json(f"github/{name}")


def replay(entry: dict) -> Route:
    """A recorded answer as recorded: status, headers (a gzip body is sent gzipped), body."""
    skip = {"content-length", "transfer-encoding", "content-encoding", "status", "connection"}
    headers = {k: v for k, v in entry["headers"] if k.lower() not in skip}
    gzipped = any(k.lower() == "content-encoding" and "gzip" in v for k, v in entry["headers"])
    return static(entry["body"].encode("utf-8"), headers.pop("Content-Type", headers.pop("content-type", "")),
                  code=entry["status"], gzipped=gzipped, **headers)


def test_recorded_readme_answers(server, fetcher):
    repo, readme = recorded("pygithub_2025.json")
    server.route("https://api.github.com/repos/PyGithub/PyGithub", replay(repo))
    server.route("https://api.github.com/repos/PyGithub/PyGithub/readme?ref=main", replay(readme))
    src = GitHubSource(fetcher, token="")
    doc = src.fetch(Target("https://github.com/PyGithub/PyGithub/tree/master", "github", "demo", 1, "code"))
    answer = json.loads(readme["body"])
    assert isinstance(doc, FetchedDocument)
    assert doc.raw == base64.b64decode(answer["content"]) and b"\n" in answer["content"].encode()
    assert (doc.content_type, doc.fetched_url) == ("text/markdown", answer["download_url"])
    assert doc.links == (CompetitionLink("demo", 1, "code"),)
    paths = [h[2] for h in server.hits]
    assert paths == ["/repos/PyGithub/PyGithub/readme?ref=master", "/repos/PyGithub/PyGithub",
                     "/repos/PyGithub/PyGithub/readme?ref=main"]  # master renamed: the default branch is used

    [old] = recorded("pygithub_2012_readme.json")
    server.route("https://api.github.com/repos/ann/old/readme", replay(old))
    doc = src.fetch(Target("https://github.com/ann/old", "github"))
    answer = json.loads(old["body"])
    assert doc.raw == base64.b64decode(answer["content"]) and doc.content_type == "text/markdown"
    assert "download_url" not in answer and doc.fetched_url == answer["_links"]["html"]


def test_a_recorded_rate_limit_closes_the_api_for_the_run(server, fetcher):
    [limit] = recorded("ratelimit_403.json")
    for n in range(3):
        server.route(f"https://api.github.com/repos/ann/sol{n}/readme", replay(limit))
        server.route(f"{RAW}/ann/sol{n}/HEAD/README.md",
                     static(f"# Solution {n}\n\nA blend of boosted trees.\n".encode(), "text/plain"))
    src = GitHubSource(fetcher, token="")
    docs = [src.fetch(Target(f"https://github.com/ann/sol{n}", "github")) for n in range(3)]
    assert all(isinstance(d, FetchedDocument) and d.fetched_url.startswith(RAW) for d in docs)
    assert [h[2] for h in server.hits if h[0] == "api.github.com"] == ["/repos/ann/sol0/readme"]
    assert src.api_closed_until is not None


# -- blogs --------------------------------------------------------------------------------------------
def feed_items(name: str) -> list[str]:
    """The post links of a feed payload, read with the standard library (independently of feedparser)."""
    root = ET.fromstring(payload(name))
    atom = "{http://www.w3.org/2005/Atom}"
    links = [i.findtext("link").strip() for i in root.iter("item")]
    links += [lk.get("href") for e in root.iter(f"{atom}entry") for lk in e.iter(f"{atom}link")
              if lk.get("rel", "alternate") == "alternate"]
    return links


def test_a_real_medium_feed_is_read_as_a_blog_and_its_links_lose_their_tracking(server, fetcher, kb):
    feed = "https://medium.com/feed/@gbaccetta"
    server.route(feed, static(payload("blog/medium_rss.xml"), "text/xml; charset=UTF-8"))
    expected = [re.sub(r"\?source=[^&]*$", "", u) for u in feed_items("blog/medium_rss.xml")]
    assert expected and all("?" not in u for u in expected)
    targets = BlogSource(fetcher).discover(feed)
    assert [t.url for t in targets] == expected
    listed = BlogSource(fetcher, whole_site=False).fetch(Target(feed, "blog"))  # taken for an article
    assert isinstance(listed, Discovered) and [t.url for t in listed.targets] == expected


def test_a_real_jekyll_blog_is_found_through_its_home_page(server, fetcher):
    site = "https://rachilde09.github.io/"
    server.route(site, static(b'<html><head><link rel="alternate" type="application/atom+xml" href="/feed.xml">'
                              b"</head><body>home</body></html>", "text/html"))
    server.route(site + "feed.xml", static(payload("blog/jekyll_atom.xml"), "application/atom+xml"))
    targets = BlogSource(fetcher).discover(site)
    assert [t.url for t in targets] == feed_items("blog/jekyll_atom.xml")
    assert len(targets) >= 2 and {t.discovered_from for t in targets} == {site + "feed.xml"}


def test_a_real_wordpress_sitemap_index_is_followed(server, fetcher):
    site = "https://test.fcwalvisch.com/"
    server.route(site, static(b"<html><body>home, no feed announced</body></html>", "text/html"))
    server.route(site + "sitemap_index.xml", static(payload("blog/yoast_sitemap_index.xml"), "text/xml"))
    server.route("http://test.fcwalvisch.com/page-sitemap.xml", static(payload("blog/yoast_page_sitemap.xml"),
                                                                       "text/xml"))
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    pages = [u.findtext(f"{ns}loc") for u in ET.fromstring(payload("blog/yoast_page_sitemap.xml")).iter(f"{ns}url")]
    targets = BlogSource(fetcher).discover(site)
    assert [t.url for t in targets] == [p for p in pages if urlsplit(p).path not in ("", "/")]
    assert not any(t.url.endswith(".jpg") for t in targets)  # <image:loc> entries are not pages
    asked = [h[2] for h in server.hits if h[0] == "test.fcwalvisch.com"]
    assert asked.index("/sitemap_index.xml") > asked.index("/sitemap.xml")  # the usual paths, in turn


KNOWN = {"kaggle/competition.json", "kaggle/leaderboard.json", "kaggle/index_rows.json", "kaggle/topics_index.json",
         "github/pygithub_2025.json", "github/pygithub_2012_readme.json", "github/ratelimit_403.json",
         "blog/medium_rss.xml", "blog/jekyll_atom.xml", "blog/yoast_sitemap_index.xml", "blog/yoast_page_sitemap.xml"}


def test_every_payload_file_is_replayed():
    """A new payload file needs a contract test here; after a full run of this module, each one was read."""
    names = {str(p.relative_to(PAYLOADS)) for p in PAYLOADS.rglob("*") if p.is_file() and p.name != "README.md"}
    assert names - KNOWN == {f"kaggle/{p.name}" for p in (PAYLOADS / "kaggle").glob("topic_*.json")}
    if len(USED) > 70:  # the replay tests above ran in this session
        assert names - USED == set()
