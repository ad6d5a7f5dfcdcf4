"""A blocked host is not asked again in the same run, and a crawl says what it is about to do."""

from __future__ import annotations

import json

from ingest.breaker import HostBreaker, host_key, is_blocking
from ingest.crawl import CrawlOptions, ingest_catalog, ingest_urls
from ingest.frontier import Frontier
from ingest.plan import CrawlPlan, duration, render_plan
from ingest.sources.kaggle import API, SITE, TOPIC
from kb.records import Outcome
from tests.fixtures import kaggle_payloads as kp
from tests.fixtures.canned_http import canned_fetcher, ok, status

HOME = f"{SITE}/"
KAGGLE = [f"https://www.kaggle.com/c/store-sales/discussion/{n}" for n in range(100, 120)]
BLOGS = ["https://ann.example/post-1/", "https://ann.example/post-2/"]
ARTICLE = ("<html><head><title>A post</title></head><body><article><p>Lag features and a blend of boosted models,"
           " validated on the last month of the training data.</p></article></body></html>")


def home() -> object:
    return ok("<html></html>", **{"Set-Cookie": "XSRF-TOKEN=t; path=/"})


def kaggle_calls(transport) -> int:
    return sum(1 for u in transport.urls() if u == API + TOPIC)


def test_a_host_answering_429_is_stopped_after_five_pages_and_the_rest_stay_queued(kb):
    routes = {HOME: home(), API + TOPIC: status(429, b"slow down"),
              **{b: ok(ARTICLE.replace("last month", f"last {n + 2} months")) for n, b in enumerate(BLOGS)}}
    fetcher, transport = canned_fetcher(routes)
    urls = KAGGLE[:10] + BLOGS[:1] + KAGGLE[10:] + BLOGS[1:]
    report = ingest_urls(kb, fetcher, urls)
    d = report.to_dict()
    assert kaggle_calls(transport) == 5 * 4  # five pages, each tried 1 + 3 times by the fetcher; then no more
    assert d["new"] == 2  # the other host is not affected
    assert d["stopped_hosts"] == {"kaggle.com": {"answers": 5, "last": "http_status: HTTP 429", "left_queued": 15}}
    states = {u: Frontier(kb.conn).get(u)["state"] for u in KAGGLE}
    assert [states[u] for u in KAGGLE[:5]] == ["failed"] * 5 and {states[u] for u in KAGGLE[5:]} == {"queued"}
    again = ingest_urls(kb, fetcher, urls).to_dict()  # the next run starts with the queued ones
    assert again["stopped_hosts"]["kaggle.com"]["left_queued"] == 10 and kaggle_calls(transport) == 40


def test_challenge_pages_stop_a_host_after_one_new_session(kb):
    challenge = ok("<!DOCTYPE html><html><title>Just a moment...</title></html>")
    fetcher, transport = canned_fetcher({HOME: home(), API + TOPIC: challenge})
    d = ingest_urls(kb, fetcher, KAGGLE).to_dict()
    assert transport.urls().count(HOME) == 2  # the session was opened again once
    assert kaggle_calls(transport) == 6 and d["failed"] == 5
    assert d["stopped_hosts"]["kaggle.com"]["left_queued"] == 15
    assert "challenge" in d["stopped_hosts"]["kaggle.com"]["last"]


def test_answers_that_are_not_blocks_reset_the_count(kb):
    good = ok(json.dumps(kp.forum_topic(1, "t", kp.user("Ann"), kp.message(2, kp.user("Ann"), ARTICLE))),
              "application/json")
    answers = [status(429), status(429), status(429), status(429), good] * 4
    fetcher, transport = canned_fetcher({HOME: home(), API + TOPIC: answers}, retries=0)
    d = ingest_urls(kb, fetcher, KAGGLE[:20]).to_dict()
    assert d["stopped_hosts"] == {} and kaggle_calls(transport) == 20
    off = ingest_urls(kb, canned_fetcher({HOME: home(), API + TOPIC: status(429)}, retries=0)[0], KAGGLE,
                      options=CrawlOptions(fresh_days=0, retry_failed=True, stop_after=0)).to_dict()
    assert off["stopped_hosts"] == {} and off["failed"] == 20


def test_blocking_answers():
    assert is_blocking(Outcome("u", "failed", "challenge", "GetForumTopicById answered text/html"))
    assert is_blocking(Outcome("u", "failed", "http_status", "HTTP 429; server asks to retry after 600 s"))
    assert not is_blocking(Outcome("u", "failed", "http_status", "HTTP 404"))
    assert not is_blocking(Outcome("u", "failed", "timeout", ""))
    assert host_key("https://www.Kaggle.com/c/x") == host_key("https://kaggle.com/y") == "kaggle.com"
    breaker = HostBreaker(2)
    assert not breaker.record(KAGGLE[0], Outcome("u", "failed", "challenge"))
    assert breaker.record(KAGGLE[1], Outcome("u", "failed", "challenge"))
    assert not breaker.allows(KAGGLE[2]) and breaker.allows(BLOGS[0])


def test_the_plan_is_announced_before_the_first_request(kb):
    seen: list[tuple[CrawlPlan, int]] = []
    routes = {HOME: home(), API + TOPIC: status(404), **{b: ok(ARTICLE) for b in BLOGS}}
    fetcher, transport = canned_fetcher(routes, delay=1.0)
    report = ingest_urls(kb, fetcher, KAGGLE + BLOGS,
                         announce=lambda plan: seen.append((plan, len(transport.calls))))
    [(plan, calls_before)] = seen
    assert calls_before == 0
    assert plan.hosts == {"kaggle.com": 20, "ann.example": 2} and plan.seconds == 22.0
    assert report.to_dict()["plan"] == {"pages": 22, "hosts": {"kaggle.com": 20, "ann.example": 2},
                                        "estimated_seconds": 22}
    seen.clear()
    ingest_urls(kb, fetcher, KAGGLE + BLOGS, announce=lambda plan: seen.append(plan))
    assert seen == []  # nothing due: nothing to announce


def test_the_first_catalog_crawl_plan_reads_like_a_warning():
    plan = CrawlPlan({"kaggle.com": 4225, "github.com": 315, "blog.kaggle.com": 92}, delay=1.0)
    text = render_plan(plan, catalog=True)
    assert text.splitlines()[0] == "Plan: 4,632 pages to fetch, about 1 h 17 min (one request per 1 s per host):"
    assert "\n  kaggle.com        4,225  ~1 h 10 min\n" in text
    assert "`kb ingest meta-kaggle DIR`" in text and "--competition SLUG or --limit N" in text
    assert "--competition" not in render_plan(CrawlPlan({"ann.example": 3}, 1.0))
    assert (duration(20), duration(75), duration(4225)) == ("20 s", "1 min", "1 h 10 min")


def test_catalog_runs_announce_their_plan(kb):
    from ingest.catalog import CATALOG_URL
    from tests.fixtures.live_catalog import CATALOG

    seen: list[CrawlPlan] = []
    fetcher, _ = canned_fetcher({CATALOG_URL: ok(CATALOG, "text/plain")})
    ingest_catalog(kb, fetcher, announce=seen.append)
    assert seen[0].hosts == {"kaggle.com": 1, "github.com": 1, "ann.example": 1, "bob.example": 1}
