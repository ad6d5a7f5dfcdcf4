"""The real network code against a hostile local web server on 127.0.0.1.

The server serves good pages and injects faults: 429 with Retry-After, 500s then success, reads
that hang past the timeout, a trickle that never ends, redirect loops, a 50 MB body, binary
content (declared and disguised), broken HTML, a wrong declared charset, robots.txt disallow.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from ingest.crawl import CrawlOptions, ingest_urls
from ingest.http import Fetcher, FetchPolicy
from ingest.http.requests_transport import RequestsTransport
from kb.records import FetchedDocument

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
CHUNK = b"<p>" + b"filler text " * 5000 + b"</p>\n"  # ~60 KB, reused: the 50 MB body is never held whole
HUGE = 50 * 1024 * 1024


def article(title: str, body: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<nav>home | archive</nav><article><h1>{title}</h1><p>{body}</p>"
            f"<p>We validated on a time-based split and kept the blend that held up on the private board.</p>"
            f"</article><footer>footer</footer></body></html>").encode()


GOOD = {
    "/good/1": article("Lag features for demand", "Rolling means over seven and twenty-eight days carried the model."),
    "/good/2": article("Pseudo labels for retina", "Two rounds of pseudo labelling on the test images helped most."),
}
BROKEN = (b"<html><head><title>Broken but readable</title><body><div><p>Unclosed paragraph about target"
          b" encoding with smoothing <b>and bold <i>nesting</b></i><table><tr><td>cell</div></p></table>"
          b"<p>A second paragraph on stacking out-of-fold predictions from five different seeds.</p>"
          b"<<<>>> </html></html><p>after the end")
LATIN = ("<html><head><title>Caf\u00e9 notes</title></head><body><article><p>Our caf\u00e9 cr\u00e8me model:"
         " a na\u00efve Bayes baseline, then gradient boosting with"
         " r\u00e9sum\u00e9 features.</p>"
         "<p>The blend of both models gave the best private leaderboard score.</p></article></body></html>"
         ).encode("cp1252")


class State:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.conditional: Counter[str] = Counter()
        self.huge_sent = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # bodies end when the connection closes: no length needed for /huge
    server: ThreadingHTTPServer

    def log_message(self, *args: object) -> None:
        pass

    @property
    def state(self) -> State:
        return self.server.state  # type: ignore[attr-defined]

    def send(self, code: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", **headers: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(body)

    def pause(self, seconds: float) -> None:
        self.state.stop.wait(seconds)

    def do_GET(self) -> None:  # noqa: C901 - one branch per fault
        path = self.path
        with self.state.lock:
            self.state.hits[path] += 1
            n = self.state.hits[path]
        if path == "/robots.txt":
            self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif path in GOOD:
            etag = f'"{path}-v1"'
            if self.headers.get("If-None-Match") == etag:
                with self.state.lock:
                    self.state.conditional[path] += 1
                self.send(304, ETag=etag)
            else:
                self.send(200, GOOD[path], ETag=etag)
        elif path.startswith("/busy/"):
            self.send(429, b"slow down", "text/plain", Retry_After="0")
        elif path == "/rate-limited":
            if n == 1:
                self.send(429, b"slow down", "text/plain", Retry_After="1")
            else:
                self.send(200, article("Worth the wait", "Label smoothing and a cosine schedule."))
        elif path == "/flaky":
            if n <= 2:
                self.send(500, b"oops", "text/plain")
            else:
                self.send(200, article("Third time lucky", "Test-time augmentation with eight flips."))
        elif path == "/hang-headers":
            self.pause(3)
            self.send(200, article("Too late", "never read"))
        elif path == "/hang-body":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body><p>the start of a page")
            self.wfile.flush()
            self.pause(3)
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(40):
                    if self.state.stop.is_set():
                        break
                    self.wfile.write(b"<p>a</p>")
                    self.wfile.flush()
                    self.pause(0.25)
            except OSError:
                pass
        elif path in ("/loop/a", "/loop/b"):
            self.send(302, b"", Location="/loop/b" if path == "/loop/a" else "/loop/a")
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                while self.state.huge_sent < HUGE and not self.state.stop.is_set():
                    self.wfile.write(CHUNK)
                    self.state.huge_sent += len(CHUNK)
            except OSError:
                pass  # the client hung up at its size cap
        elif path == "/image.png":
            self.send(200, PNG, "image/png")
        elif path == "/disguised":
            self.send(200, PNG, "text/html")
        elif path == "/broken":
            self.send(200, BROKEN, "text/html")
        elif path == "/latin":
            self.send(200, LATIN, "text/html; charset=utf-8")  # declared UTF-8, actually cp1252
        else:
            self.send(404, b"not here", "text/plain")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # clients hanging up mid-answer is the point here
            super().handle_error(request, client_address)


@pytest.fixture
def server() -> Iterator[tuple[str, State]]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    state = State()
    httpd.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    watchdog = threading.Timer(90, httpd.shutdown)  # never outlive a stuck test
    watchdog.daemon = True
    watchdog.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        state.stop.set()
        watchdog.cancel()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def make_fetcher(tmp_path, sleeps: list[float]) -> Fetcher:
    policy = FetchPolicy.polite(cache_dir=tmp_path / "http-cache", delay=0.0, timeout=(1.0, 1.0), total_timeout=2.0,
                                retries=2, backoff=0.05, max_wait=5.0, max_bytes=1_000_000)

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    return Fetcher(RequestsTransport(), policy=policy, sleep=sleep)


GOOD_PATHS = ["/good/1", "/good/2", "/rate-limited", "/flaky", "/broken", "/latin"]
BAD_PATHS = {
    "/hang-headers": "timeout", "/hang-body": "timeout", "/trickle": "timeout", "/loop/a": "redirect_loop",
    "/huge": "too_large", "/image.png": "not_text", "/disguised": "not_text", "/private/secret": "robots",
    "/missing": "http_status",
}


def test_hostile_server(kb, server, tmp_path):
    base, state = server
    kept = FetchedDocument(url="https://kept.example/post", source="blog", content_type="text/markdown",
                           raw=b"# Kept\n\nA document stored before the crawl, which no failure may remove.\n")
    assert kb.add_document(kept).status == "new"
    urls = [base + p for p in GOOD_PATHS + list(BAD_PATHS)]
    sleeps: list[float] = []

    started = time.monotonic()
    report = ingest_urls(kb, make_fetcher(tmp_path, sleeps), urls, source="blog")
    elapsed = time.monotonic() - started
    d = report.to_dict()

    assert (d["new"], d["failed"], d["fetched"]) == (len(GOOD_PATHS), len(BAD_PATHS), len(urls))
    assert {f["url"].removeprefix(base): f["reason"] for f in d["failures"]} == BAD_PATHS
    for path in GOOD_PATHS:
        assert kb.document(base + path) is not None, path
    assert kb.document(kept.url) is not None  # nothing stored is lost
    assert kb.counts()["documents"] == len(GOOD_PATHS) + 1
    assert d["embedded_chunks"] > 0

    assert 1.0 in sleeps  # Retry-After: 1 was honoured
    assert state.hits["/rate-limited"] == 2 and state.hits["/flaky"] == 3
    assert state.hits["/private/secret"] == 0 and state.hits["/robots.txt"] == 1
    assert state.hits["/hang-headers"] == 1  # timeouts are not retried
    assert state.huge_sent < HUGE  # the 50 MB body was cut off at the cap
    assert "caf\u00e9 cr\u00e8me" in kb.document(base + "/latin").text  # wrong declared charset survived
    assert "stacking out-of-fold" in kb.document(base + "/broken").text
    assert elapsed < 30

    before = sum(state.hits.values())
    second = ingest_urls(kb, make_fetcher(tmp_path, []), urls, source="blog").to_dict()
    assert (second["fetched"], second["new"], second["changed"], second["embedded_chunks"]) == (0, 0, 0, 0)
    assert second["not_due"] == len(urls)
    assert sum(state.hits.values()) == before  # a second run fetches nothing at all

    third = ingest_urls(kb, make_fetcher(tmp_path, []), urls, source="blog",
                        options=CrawlOptions(fresh_days=0)).to_dict()
    assert third["unchanged"] == len(GOOD_PATHS) and third["embedded_chunks"] == 0 and third["failed"] == 0
    assert state.conditional["/good/1"] == 1 and state.conditional["/good/2"] == 1  # revalidated with 304


def test_cli_ingests_urls_and_shows_the_frontier(server, monkeypatch):
    from kb.cli import cli

    base, _ = server
    monkeypatch.setenv("KB_MODEL", "fake")
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", "url", base + "/good/1", base + "/private/x", "--delay", "0", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["new"], summary["failed"]) == (1, 1)
    assert summary["failures"][0]["reason"] == "robots"

    result = runner.invoke(cli, ["ingest", "url", base + "/good/1", "--delay", "0"])
    assert result.exit_code == 0 and "not fetched" in result.stdout

    result = runner.invoke(cli, ["ingest", "status", "--json"])
    status = json.loads(result.stdout)
    assert status["by_state"] == {"queued": 0, "done": 1, "failed": 1}
    assert status["failures_by_reason"] == {"robots": 1}
    result = runner.invoke(cli, ["ingest", "status"])
    assert "robots (1)" in result.stdout


def test_cli_announces_its_plan_and_stops_a_host_that_keeps_answering_429(server, monkeypatch):
    from kb.cli import cli

    base, state = server
    monkeypatch.setenv("KB_MODEL", "fake")
    urls = [f"{base}/busy/{n}" for n in range(8)]
    result = CliRunner().invoke(cli, ["ingest", "url", *urls, "--delay", "0", "--json"])
    assert result.exit_code == 0, result.output
    host = base.removeprefix("http://")
    assert result.stderr.startswith(f"Plan: 8 pages to fetch, about 4 s (no delay between requests):\n  {host}")
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["stopped_hosts"][host]["left_queued"] == 3 and summary["failed"] == 5
    assert sum(n for path, n in state.hits.items() if path.startswith("/busy/")) == 5 * 4
    status = json.loads(CliRunner().invoke(cli, ["ingest", "status", "--json"]).stdout)
    assert status["by_state"] == {"queued": 3, "done": 0, "failed": 5}

    result = CliRunner().invoke(cli, ["ingest", "url", *urls, "--delay", "0", "--stop-after", "2"])
    assert f"Stopped {host}: 2 answers in a row were HTTP 429 or a challenge page" in result.stdout
    assert "1 of its pages were left queued: run the same command later to continue" in result.stdout


def test_cli_catalog_prints_its_plan_before_fetching(server, monkeypatch, tmp_path):
    from kb.cli import cli

    base, state = server
    monkeypatch.setenv("KB_MODEL", "fake")
    catalog = tmp_path / "competitions.yml"
    catalog.write_text(f"""
- title: "Shop Demand"
  link: "https://www.kaggle.com/c/shop-demand"
  solutions:
    - {{rank: "1", link: "{base}/good/1", kind: "description"}}
    - {{rank: "2", link: "{base}/good/2", kind: "description"}}
""", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", "catalog", "--file", str(catalog), "--delay", "0.2", "--json"])
    assert result.exit_code == 0, result.output
    plan, *rest = result.stderr.split("\n")
    assert plan == "Plan: 2 pages to fetch, about 1 s (one request per 0.2 s per host):"
    assert rest[0].split() == [base.removeprefix("http://"), "2", "~1", "s"]
    assert "A part only: --competition SLUG or --limit N." in result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["new"] == 2 and summary["plan"]["pages"] == 2
