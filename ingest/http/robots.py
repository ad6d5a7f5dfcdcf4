"""robots.txt rules per host, fetched once per run through the fetcher's own transport.

Follows RFC 9309 on unavailability: a 4xx robots.txt means no rules (allow); a 5xx answer or an
unreachable host means complete disallow, reported with the reason the host failed with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from ingest.errors import FetchError

if TYPE_CHECKING:
    from ingest.http.messages import Response

log = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 512 * 1024


@dataclass
class _Rules:
    parser: RobotFileParser | None  # None: no rules at all
    failure: FetchError | None = None  # robots.txt unreachable → everything on the host is refused


class RobotsCache:
    """``check(url)`` raises FetchError(reason robots/…) when robots.txt forbids ``url``."""

    def __init__(self, fetch: Callable[[str], Response], user_agent: str):
        self._fetch = fetch
        self.agent = user_agent.split("/")[0].strip() or "*"
        self._rules: dict[str, _Rules] = {}

    def _key(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def _load(self, url: str) -> _Rules:
        key = self._key(url)
        rules = self._rules.get(key)
        if rules is None:
            rules = self._rules[key] = self._read(f"{key}/robots.txt")
        return rules

    def _read(self, robots_url: str) -> _Rules:
        try:
            resp = self._fetch(robots_url)
        except FetchError as e:
            log.info("robots.txt at %s unavailable: %s", robots_url, e)
            return _Rules(None, FetchError(robots_url, e.reason if e.reason in ("timeout", "connection") else "robots",
                                           f"robots.txt unavailable: {e.detail or e.reason}", e.status))
        if 400 <= resp.status < 500 and resp.status != 429:
            return _Rules(None)
        if not 200 <= resp.status < 300:
            return _Rules(None, FetchError(robots_url, "robots", f"robots.txt answered HTTP {resp.status}",
                                           resp.status))
        parser = RobotFileParser(robots_url)
        text = resp.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        parser.parse(text.splitlines())
        return _Rules(parser)

    def check(self, url: str) -> None:
        rules = self._load(url)
        if rules.failure is not None:
            f = rules.failure
            raise FetchError(url, f.reason, f.detail, f.status)
        if rules.parser is not None and not rules.parser.can_fetch(self.agent, url):
            raise FetchError(url, "robots", "disallowed by robots.txt")

    def sitemaps(self, url: str) -> list[str]:
        """The ``Sitemap:`` lines of the host's robots.txt (fetched if not read yet; none when unavailable)."""
        rules = self._load(url)
        return list(rules.parser.site_maps() or []) if rules.parser is not None else []

    def crawl_delay(self, url: str) -> float | None:
        """The host's Crawl-delay for us, if its robots.txt was already read (never fetches)."""
        rules = self._rules.get(self._key(url))
        if rules is None or rules.parser is None:
            return None
        value = rules.parser.crawl_delay(self.agent)
        return float(value) if value is not None else None
