"""The network layer's policy, over a canned transport: retries, caps, robots, redirects, cache."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from ingest.errors import FetchError
from ingest.http import Fetcher, Response, is_text_type, retry_after_seconds
from tests.fixtures.canned_http import Canned, FakeTime, canned_fetcher, ok, status


def fetcher(routes, clock: FakeTime | None = None, **policy) -> tuple[Fetcher, Canned]:
    return canned_fetcher(routes, clock, **policy)


U = "https://site.example/page"


def test_5xx_is_retried_with_exponential_backoff_then_succeeds():
    clock = FakeTime()
    f, t = fetcher({U: [status(503), status(500), ok(b"fine")]}, clock)
    assert f.fetch(U).content == b"fine"
    assert len(t.calls) == 3 and clock.sleeps == [1.0, 2.0]


def test_429_waits_as_long_as_retry_after_says():
    clock = FakeTime()
    f, t = fetcher({U: [status(429, Retry_After="7"), ok()]}, clock)
    assert f.fetch(U).status == 200
    assert clock.sleeps == [7.0]


def test_retry_after_as_http_date():
    when = datetime.now(UTC) + timedelta(seconds=30)
    wait = retry_after_seconds(format_datetime(when, usegmt=True))
    assert wait is not None and 28 <= wait <= 31
    assert retry_after_seconds("garbage") is None and retry_after_seconds("") is None
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert retry_after_seconds(past) == 0.0


def test_retry_after_beyond_the_cap_fails_at_once_instead_of_waiting():
    clock = FakeTime()
    f, t = fetcher({U: [status(429, Retry_After="3600"), ok()]}, clock, max_wait=60)
    with pytest.raises(FetchError) as e:
        f.fetch(U)
    assert (e.value.reason, e.value.status) == ("http_status", 429) and "3600" in e.value.detail
    assert clock.sleeps == [] and len(t.calls) == 1


def test_retries_run_out_and_the_last_status_is_reported():
    f, t = fetcher({U: status(502)}, retries=2)
    with pytest.raises(FetchError) as e:
        f.fetch(U)
    assert (e.value.reason, e.value.status, len(t.calls)) == ("http_status", 502, 3)


def test_404_is_not_retried():
    f, t = fetcher({})
    with pytest.raises(FetchError) as e:
        f.fetch(U)
    assert (e.value.reason, e.value.status, len(t.calls)) == ("http_status", 404, 1)


def test_dropped_connection_is_retried_but_timeout_is_not():
    f, t = fetcher({U: [FetchError(U, "connection", "reset"), ok(b"back")]})
    assert f.fetch(U).content == b"back" and len(t.calls) == 2
    f, t = fetcher({U: [FetchError(U, "timeout", "read timed out"), ok()]})
    with pytest.raises(FetchError) as e:
        f.fetch(U)
    assert e.value.reason == "timeout" and len(t.calls) == 1


def test_size_cap():
    f, _ = fetcher({U: ok(b"x" * 2000)}, max_bytes=1000)
    with pytest.raises(FetchError) as e:
        f.fetch(U)
    assert e.value.reason == "too_large"


@pytest.mark.parametrize("ctype", ["image/png", "application/zip", "application/octet-stream", "application/pdf"])
def test_binary_content_types_are_refused_when_text_is_expected(ctype):
    f, _ = fetcher({U: ok(b"\x89PNG....", ctype)})
    with pytest.raises(FetchError) as e:
        f.fetch(U, expect_text=True)
    assert e.value.reason == "not_text" and ctype in e.value.detail
    assert f.fetch(U).status == 200  # without expect_text the bytes are returned


def test_text_types():
    for ctype in ("text/html; charset=utf-8", "application/json", "application/atom+xml", "text/x-rst", ""):
        assert is_text_type(ctype), ctype
    for ctype in ("image/jpeg", "application/octet-stream", "video/mp4", "application/x-gzip"):
        assert not is_text_type(ctype), ctype


ROBOTS = "https://site.example/robots.txt"


def test_robots_disallow_is_obeyed_and_the_page_never_requested():
    rules = ok(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    f, t = fetcher({ROBOTS: rules, U: ok()}, robots=True)
    with pytest.raises(FetchError) as e:
        f.fetch("https://site.example/private/x")
    assert e.value.reason == "robots"
    assert f.fetch(U).status == 200
    assert t.urls() == [ROBOTS, U]  # robots.txt read once per host; the disallowed page never requested


def test_robots_rules_name_our_agent():
    rules = ok(b"User-agent: kb\nDisallow: /\n\nUser-agent: *\nDisallow:\n", "text/plain")
    f, _ = fetcher({ROBOTS: rules, U: ok()}, robots=True)
    with pytest.raises(FetchError):
        f.fetch(U)


def test_missing_robots_allows_but_unavailable_robots_disallows():
    f, _ = fetcher({U: ok()}, robots=True)  # robots.txt answers 404
    assert f.fetch(U).status == 200
    f, t = fetcher({ROBOTS: status(503), U: ok()}, robots=True, retries=0)
    with pytest.raises(FetchError) as e:
        f.fetch(U)
    assert e.value.reason == "robots" and "503" in e.value.detail
    assert U not in t.urls()


def test_robots_can_be_skipped_for_apis_or_checked_for_the_page_a_call_stands_for():
    api = "https://site.example/api/call"
    rules = ok(b"User-agent: *\nDisallow: /api/\nDisallow: /private/\n", "text/plain")
    f, t = fetcher({ROBOTS: rules, api: ok(b"{}", "application/json")}, robots=True)
    assert f.fetch(api, robots=False).status == 200
    assert ROBOTS not in t.urls()
    assert f.fetch(api, robots_url=U).status == 200  # the public page is allowed
    with pytest.raises(FetchError) as e:
        f.fetch(api, robots_url="https://site.example/private/page")
    assert e.value.reason == "robots"


def test_crawl_delay_and_per_host_delay():
    clock = FakeTime()
    rules = ok(b"User-agent: *\nCrawl-delay: 5\n", "text/plain")
    other = "https://other.example/a"
    f, _ = fetcher({ROBOTS: rules, U: ok(), other: ok(), "https://other.example/robots.txt": status(404)}, clock,
                   robots=True, delay=1.0)
    f.fetch(U)
    f.fetch(U)
    assert clock.sleeps == [5.0, 5.0]  # robots.txt counts as a request: the delay follows it too
    f.fetch(other)
    f.fetch(other)
    assert clock.sleeps == [5.0, 5.0, 1.0, 1.0]  # other host: no Crawl-delay, the policy's 1 s


def test_the_bare_policy_makes_no_robots_request_and_never_sleeps():
    clock = FakeTime()
    f, t = fetcher({U: ok()}, clock)
    for _ in range(3):
        f.fetch(U)
    assert t.urls() == [U] * 3 and clock.sleeps == []


def redirect(to: str, code: int = 302) -> Response:
    return Response("", code, {"Location": to}, b"")


def test_redirects_are_followed_and_loops_detected():
    a, b, c = (f"https://site.example/{x}" for x in "abc")
    f, _ = fetcher({a: redirect("/b"), b: redirect(c, 301), c: ok(b"end")})
    resp = f.fetch(a)
    assert resp.content == b"end" and resp.final_url == c and resp.url == a
    f, t = fetcher({a: redirect("/b"), b: redirect("/a")})
    with pytest.raises(FetchError) as e:
        f.fetch(a)
    assert e.value.reason == "redirect_loop" and len(t.calls) == 2
    chain = {f"https://site.example/{i}": redirect(f"/{i + 1}") for i in range(20)}
    f, _ = fetcher(chain, max_redirects=5)
    with pytest.raises(FetchError) as e:
        f.fetch("https://site.example/0")
    assert e.value.reason == "redirect_loop" and "more than 5" in e.value.detail


def test_303_after_post_becomes_get():
    a, b = "https://site.example/form", "https://site.example/done"
    f, t = fetcher({a: redirect(b, 303), b: ok()})
    f.fetch(a, method="POST", body=b"x=1")
    assert [(r.method, r.body) for r in t.calls] == [("POST", b"x=1"), ("GET", None)]


def test_cache_stores_plain_files_and_revalidates_with_etag(tmp_path):
    cache = tmp_path / "http-cache"
    f, t = fetcher({U: [ok(b"version 1", ETag='"v1"'), status(304)]}, cache_dir=cache)
    first = f.fetch(U)
    assert first.content == b"version 1" and not first.not_modified
    files = sorted(p.suffix for p in cache.rglob("*") if p.is_file())
    assert files == [".body", ".json"]
    meta = json.loads(next(cache.rglob("*.json")).read_text())
    assert meta["url"] == U and meta["headers"]["etag"] == '"v1"'
    second = f.fetch(U)
    assert second.content == b"version 1" and second.not_modified and second.from_cache
    assert t.calls[1].headers["If-None-Match"] == '"v1"'
    assert f.validators(U) == {"etag": '"v1"'}


def test_cache_sends_if_modified_since_and_takes_a_changed_answer(tmp_path):
    lm = "Wed, 01 May 2024 10:00:00 GMT"
    f, t = fetcher({U: [ok(b"old", Last_Modified=lm), ok(b"new", Last_Modified=lm)]}, cache_dir=tmp_path)
    f.fetch(U)
    assert f.fetch(U).content == b"new"
    assert t.calls[1].headers["If-Modified-Since"] == lm


def test_an_entry_is_dropped_when_the_page_loses_its_validators(tmp_path):
    f, t = fetcher({U: [ok(b"v1", ETag='"a"'), ok(b"v2")]}, cache_dir=tmp_path)
    f.fetch(U)
    assert f.fetch(U).content == b"v2"
    assert f.validators(U) == {} and not any(p.is_file() for p in tmp_path.rglob("*"))


def test_damaged_cache_entry_is_a_miss(tmp_path):
    f, t = fetcher({U: ok(b"payload", ETag='"e"')}, cache_dir=tmp_path)
    f.fetch(U)
    next(tmp_path.rglob("*.body")).write_bytes(b"tampered")
    assert f.fetch(U).content == b"payload"
    assert "If-None-Match" not in t.calls[1].headers


def test_responses_without_validators_or_to_post_are_not_cached(tmp_path):
    f, _ = fetcher({U: ok(b"plain")}, cache_dir=tmp_path)
    f.fetch(U)
    f.fetch(U, method="POST", body=b"{}")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_cache_evicts_least_recently_used_entries_over_its_budget(tmp_path):
    import os
    import time

    from ingest.http.cache import HttpCache

    cache = HttpCache(tmp_path, max_bytes=3_000)  # an entry is ~550 bytes: 300 body + metadata
    urls = [f"https://site.example/p{i}" for i in range(6)]
    for i, url in enumerate(urls[:4]):
        assert cache.put(url, ok(b"x" * 300, ETag=f'"{i}"'))
        meta = next(p for p in tmp_path.rglob("*.json") if json.loads(p.read_text())["url"] == url)
        os.utime(meta, (time.time() - 100 + i, time.time() - 100 + i))  # p0 oldest ... p3 newest
    assert cache.get(urls[0]) is not None  # reading p0 makes it the most recently used
    for i, url in enumerate(urls[4:], start=4):
        assert cache.put(url, ok(b"x" * 300, ETag=f'"{i}"'))
    assert cache.size() <= 3_000
    kept = {u for u in urls if cache.get(u) is not None}
    assert urls[0] in kept and urls[5] in kept
    assert urls[1] not in kept  # the least recently used went first


def test_cache_prune_removes_orphans_and_stale_temp_files(tmp_path):
    import os

    from ingest.http.cache import HttpCache

    cache = HttpCache(tmp_path)
    cache.put(U, ok(b"kept", ETag='"k"'))
    folder = next(tmp_path.iterdir())
    (folder / ("0" * 64 + ".body")).write_bytes(b"no metadata")
    stale = folder / ".tmp-abc"
    stale.write_bytes(b"half a write")
    os.utime(stale, (0, 0))
    assert cache.prune() == 0
    assert sorted(p.suffix for p in tmp_path.rglob("*") if p.is_file()) == [".body", ".json"]
    assert cache.get(U).content == b"kept"
    assert cache.prune(max_bytes=1) == 1 and cache.get(U) is None and cache.size() == 0


def test_unexpected_304_without_validators_is_an_error():
    f, _ = fetcher({U: status(304)})
    with pytest.raises(FetchError) as e:
        f.fetch(U)
    assert e.value.status == 304


def test_user_agent_is_honest_and_overridable():
    f, t = fetcher({U: ok()})
    f.fetch(U)
    assert t.calls[0].headers["User-Agent"].startswith("kb/")
    f2 = Fetcher(t, user_agent="other/1")
    f2.fetch(U)
    assert t.calls[1].headers["User-Agent"] == "other/1"
