"""The crawl frontier: what is due, freshness, retry backoff, and the status report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.frontier import Frontier

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
A, B, C = "https://a.example/1", "https://a.example/2", "https://b.example/3"


def at(kb, hours: float = 0, days: float = 0) -> Frontier:
    return Frontier(kb.conn, now=T0 + timedelta(hours=hours, days=days))


def test_known_urls_keep_their_state_and_gain_missing_details(kb):
    f = at(kb)
    assert f.add(A, "blog") is True
    f.mark_done(A, "new", etag='"e1"')
    assert f.add(A, "blog", competition_slug="shop", rank=3) is False
    row = f.get(A)
    assert (row["state"], row["competition_slug"], row["rank"], row["etag"]) == ("done", "shop", 3, '"e1"')


def test_due_respects_the_freshness_window_and_order(kb):
    f = at(kb)
    f.add_many([(u, "blog", None, None, None, None) for u in (A, B, C)])
    f.mark_done(B, "new")
    assert [i.url for i in f.due([C, A, B, A])] == [C, A]
    assert [i.url for i in at(kb, days=6.9).due([B], fresh_days=7)] == []
    assert [i.url for i in at(kb, days=7.1).due([B], fresh_days=7)] == [B]
    assert [i.url for i in at(kb, hours=1).due([B], fresh_days=0)] == [B]


def test_transient_failures_back_off_exponentially_and_permanent_ones_wait_a_window(kb):
    f = at(kb)
    f.add_many([(A, "blog", None, None, None, None), (B, "blog", None, None, None, None),
                (C, "kaggle", None, None, None, None)])
    f.mark_failed(A, "timeout", "read timed out")
    f.mark_failed(B, "robots", "disallowed by robots.txt")
    f.mark_failed(C, "http_status", "HTTP 503", status=503)
    assert f.due([A, B, C]) == []
    assert [i.url for i in at(kb, hours=1.1).due([A, B, C])] == [A, C]
    at(kb, hours=1.1).mark_failed(A, "timeout", "again")  # second failure: two hours
    assert [i.url for i in at(kb, hours=2.2).due([A])] == []
    assert [i.url for i in at(kb, hours=3.2).due([A])] == [A]
    assert [i.url for i in at(kb, days=6).due([B])] == []
    assert [i.url for i in at(kb, days=7.1).due([B])] == [B]
    assert [i.url for i in f.due([A, B, C], retry_failed=True)] == [A, B, C]
    f.mark_failed(C, "http_status", "HTTP 404", status=404)
    assert [i.url for i in at(kb, hours=2).due([C])] == []  # a 404 is not transient


def test_status_counts_states_sources_and_failure_reasons(kb):
    f = at(kb)
    f.add_many([(u, s, None, None, None, None) for u, s in ((A, "blog"), (B, "blog"), (C, "kaggle"))])
    f.mark_done(A, "new")
    f.mark_failed(C, "challenge", "login page")
    s = f.status()
    assert s["total"] == 3 and s["by_state"] == {"queued": 1, "done": 1, "failed": 1}
    assert s["by_source"] == {"blog": 2, "kaggle": 1}
    assert s["failures_by_reason"] == {"challenge": 1} and s["failure_examples"] == {"challenge": C}
    assert s["oldest_fetch"] == s["newest_fetch"] == "2024-05-01T12:00:00Z"
    assert s["failed_waiting"] == 1
