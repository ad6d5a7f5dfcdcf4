"""The crawl frontier: every URL a live ingest knows of, with its state, in SQLite (migration 3).

A URL is ``queued`` until fetched, then ``done`` or ``failed``. Each change is committed at once,
so an interrupted crawl (Ctrl-C, kill) resumes from the queued and due URLs. A ``done`` URL is due
again once older than the freshness window; a ``failed`` one after a backoff that is short for
transient failures (timeouts, 5xx, 429) and a whole freshness window for permanent ones.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kb.store.db import transaction

STATES = ("queued", "done", "failed")
TRANSIENT = frozenset({"timeout", "connection", "challenge"})
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
FIRST_RETRY = timedelta(hours=1)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class FrontierItem:
    url: str
    source: str
    state: str
    attempts: int
    competition_slug: str | None
    rank: int | None
    kind: str | None
    discovered_from: str | None


class Frontier:
    def __init__(self, conn: sqlite3.Connection, *, now: datetime | None = None):
        self.conn = conn
        self._now = now

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def add(self, url: str, source: str, *, discovered_from: str | None = None, competition_slug: str | None = None,
            rank: int | None = None, kind: str | None = None) -> bool:
        """Queue ``url`` unless known (a known URL keeps its state; its source is the latest one given)."""
        with transaction(self.conn):
            return self._add(url, source, discovered_from, competition_slug, rank, kind)

    def add_many(self, rows: Iterable[tuple[str, str, str | None, str | None, int | None, str | None]]) -> int:
        """Queue many ``(url, source, discovered_from, slug, rank, kind)`` rows in one transaction."""
        with transaction(self.conn):
            return sum(self._add(*row) for row in rows)

    def _add(self, url: str, source: str, discovered_from: str | None, slug: str | None, rank: int | None,
             kind: str | None) -> bool:
        existed = self.conn.execute("SELECT 1 FROM frontier WHERE url = ?", (url,)).fetchone() is not None
        self.conn.execute(
            "INSERT INTO frontier (url, source, discovered_from, competition_slug, rank, kind)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(url) DO UPDATE SET source = excluded.source,"
            " discovered_from = coalesce(discovered_from, excluded.discovered_from),"
            " competition_slug = coalesce(competition_slug, excluded.competition_slug),"
            " rank = coalesce(rank, excluded.rank), kind = coalesce(kind, excluded.kind)",
            (url, source, discovered_from, slug, rank, kind),
        )
        return not existed

    def get(self, url: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM frontier WHERE url = ?", (url,)).fetchone()

    def due(self, urls: Iterable[str], *, fresh_days: float = 7.0, retry_failed: bool = False) -> list[FrontierItem]:
        """Which of ``urls`` should be fetched now (in the given order, each once)."""
        now = self.now()
        fresh_before = _iso(now - timedelta(days=fresh_days))
        now_s = _iso(now)
        out: list[FrontierItem] = []
        seen: set[str] = set()
        for url in urls:
            if url in seen:
                continue
            seen.add(url)
            r = self.get(url)
            if r is None:
                continue
            if r["state"] == "queued":
                pass
            elif r["state"] == "done":
                if r["fetched_at"] and r["fetched_at"] > fresh_before:
                    continue
            elif not retry_failed and r["next_after"] and r["next_after"] > now_s:
                continue
            out.append(FrontierItem(r["url"], r["source"], r["state"], r["attempts"], r["competition_slug"],
                                    r["rank"], r["kind"], r["discovered_from"]))
        return out

    def mark_done(self, url: str, outcome: str, *, status: int | None = 200, etag: str | None = None,
                  last_modified: str | None = None) -> None:
        now = _iso(self.now())
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE frontier SET state = 'done', outcome = ?, attempts = attempts + 1, last_status = ?,"
                " reason = NULL, detail = NULL, etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),"
                " fetched_at = ?, next_after = NULL, updated_at = ? WHERE url = ?",
                (outcome, status, etag, last_modified, now, now, url),
            )

    def mark_failed(self, url: str, reason: str, detail: str = "", *, status: int | None = None,
                    fresh_days: float = 7.0) -> None:
        row = self.get(url)
        attempts = (row["attempts"] if row else 0) + 1
        now = self.now()
        window = timedelta(days=fresh_days)
        if reason in TRANSIENT or (reason == "http_status" and status in TRANSIENT_STATUSES):
            wait = min(FIRST_RETRY * 2 ** (attempts - 1), window)
        else:
            wait = window
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE frontier SET state = 'failed', outcome = 'failed', attempts = ?, last_status = ?,"
                " reason = ?, detail = ?, next_after = ?, updated_at = ? WHERE url = ?",
                (attempts, status, reason, detail[:500], _iso(now + wait), _iso(now), url),
            )

    def status(self) -> dict:
        """Counts by state and source, fetch times, failures by reason, and how many are due now."""
        q = self.conn.execute
        by_state = {s: 0 for s in STATES}
        by_state.update({r[0]: r[1] for r in q("SELECT state, count(*) FROM frontier GROUP BY state")})
        by_source = {r[0]: r[1] for r in q("SELECT source, count(*) FROM frontier GROUP BY source ORDER BY source")}
        oldest, newest = q(
            "SELECT min(fetched_at), max(fetched_at) FROM frontier WHERE fetched_at IS NOT NULL").fetchone()
        failures = {r[0] or "unknown": r[1] for r in q(
            "SELECT reason, count(*) FROM frontier WHERE state = 'failed'"
            " GROUP BY reason ORDER BY count(*) DESC, reason")}
        examples = {r[0] or "unknown": r[1] for r in q(
            "SELECT reason, min(url) FROM frontier WHERE state = 'failed' GROUP BY reason")}
        waiting = q("SELECT count(*) FROM frontier WHERE state = 'failed' AND next_after > ?",
                    (_iso(self.now()),)).fetchone()[0]
        return {
            "total": sum(by_state.values()), "by_state": by_state, "by_source": by_source,
            "oldest_fetch": oldest, "newest_fetch": newest, "failures_by_reason": failures,
            "failure_examples": examples, "failed_waiting": waiting,
        }
