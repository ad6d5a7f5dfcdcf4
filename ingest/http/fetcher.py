"""The fetcher: the single place HTTP requests are made from (every source fetches through it).

A ``Transport`` does the raw exchange (real HTTP via requests, files from a mirror, or canned
responses in tests); the ``Fetcher`` applies policy on top of it: retries with backoff (honouring
``Retry-After``), a per-host delay, robots.txt, redirects (loops detected), a size cap, content-type
checks, conditional requests and an on-disk cache. Tests replace only the transport.

The default :class:`FetchPolicy` is a bare one (no delay, no robots, no cache) so that the offline
mirror stays fast; live crawls use :meth:`FetchPolicy.polite`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from ingest.errors import FetchError
from ingest.http.cache import HttpCache
from ingest.http.messages import DEFAULT_MAX_BYTES, Request, Response, Transport, is_text_type
from ingest.http.robots import RobotsCache

log = logging.getLogger(__name__)

USER_AGENT = "kb/0.1 (+https://github.com/kb-project/kb; knowledge base of competition write-ups)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and defensively to fetch. ``FetchPolicy()`` is bare; use :meth:`polite` online."""

    timeout: tuple[float, float] = (10.0, 30.0)  # (connect, read) seconds
    total_timeout: float = 120.0
    max_bytes: int = DEFAULT_MAX_BYTES
    user_agent: str = USER_AGENT
    retries: int = 3  # extra attempts after a 429/5xx answer or a dropped connection
    backoff: float = 1.0  # first wait; doubles each retry (1, 2, 4 s)
    max_wait: float = 60.0  # a longer Retry-After is not waited for: the fetch fails instead
    delay: float = 0.0  # seconds between two requests to the same host
    max_delay: float = 30.0  # cap on a robots.txt Crawl-delay
    robots: bool = False
    max_redirects: int = 10
    cache_dir: Path | None = None
    cache_max_bytes: int = 512 * 1024 * 1024  # least recently used entries are evicted beyond this

    @classmethod
    def polite(cls, cache_dir: Path | None = None, **overrides: object) -> FetchPolicy:
        """The policy for the live web: 1 s per host, robots.txt obeyed, responses cached on disk."""
        return replace(cls(delay=1.0, robots=True, cache_dir=cache_dir), **overrides)  # type: ignore[arg-type]


def retry_after_seconds(value: str, now: float | None = None) -> float | None:
    """Parse a ``Retry-After`` header (delay in seconds or an HTTP date); None if unusable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Fetcher:
    """Policy over a transport: the single place HTTP requests are made from."""

    def __init__(self, transport: Transport | None = None, *, policy: FetchPolicy | None = None,
                 max_bytes: int | None = None, timeout: tuple[float, float] | None = None,
                 user_agent: str | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        if transport is None:
            from ingest.http.requests_transport import RequestsTransport  # imports requests: only when used

            transport = RequestsTransport()
        policy = policy or FetchPolicy()
        changes = {k: v for k, v in (("max_bytes", max_bytes), ("timeout", timeout), ("user_agent", user_agent))
                   if v is not None}
        self.policy = replace(policy, **changes) if changes else policy  # type: ignore[arg-type]
        self.transport = transport
        self.sleep = sleep
        self.clock = clock
        self._last_request: dict[str, float] = {}
        self.cache = (HttpCache(self.policy.cache_dir, self.policy.cache_max_bytes)
                      if self.policy.cache_dir else None)
        self.robots = RobotsCache(self._fetch_robots, self.policy.user_agent)

    @property
    def max_bytes(self) -> int:
        return self.policy.max_bytes

    @property
    def timeout(self) -> tuple[float, float]:
        return self.policy.timeout

    @property
    def user_agent(self) -> str:
        return self.policy.user_agent

    # -- public -----------------------------------------------------------------------------
    def fetch(self, url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None,
              body: bytes | None = None, expect_text: bool = False, robots: bool = True,
              robots_url: str | None = None, use_cache: bool = True) -> Response:
        """Fetch ``url``; return a 2xx response (or the cached copy on 304) or raise :class:`FetchError`.

        ``expect_text`` refuses images, archives, PDFs and other binary types (reason ``not_text``).
        ``robots=False`` is for documented APIs meant for programs; ``robots_url`` checks robots.txt
        for the page a request stands for (an API call behind a public page) instead of ``url``.
        """
        hdrs = {"User-Agent": self.policy.user_agent, **(headers or {})}
        if self.policy.robots and robots:
            self._check_robots(robots_url or url)
        cached = None
        if self.cache is not None and use_cache and method == "GET":
            cached = self.cache.get(url)
            if cached is not None:
                hdrs.update(self.cache.validators(cached))
        conditional = any(k.lower() in ("if-none-match", "if-modified-since") for k in hdrs)
        resp = self._follow(url, method, hdrs, body, expect_text, check_robots=self.policy.robots and robots
                            and robots_url is None)
        if resp.status == 304 and conditional:
            if cached is not None:
                self.cache.touch(url)  # type: ignore[union-attr]
                return replace(cached, not_modified=True, from_cache=True)
            return replace(resp, not_modified=True, content=b"")
        if not 200 <= resp.status < 300:
            raise FetchError(url, "http_status", f"HTTP {resp.status}", status=resp.status, headers=resp.headers)
        if len(resp.content) > self.policy.max_bytes:
            raise FetchError(url, "too_large", f"{len(resp.content)} bytes > {self.policy.max_bytes}")
        if expect_text and not is_text_type(resp.content_type):
            raise FetchError(url, "not_text", f"content type {resp.content_type}")
        if self.cache is not None and use_cache and method == "GET" and resp.status == 200:
            if not self.cache.put(url, resp) and cached is not None:
                self.cache.delete(url)  # the page lost its validators: the old entry must not answer for it
        return resp

    def validators(self, url: str) -> dict[str, str]:
        """ETag / Last-Modified the cache holds for ``url`` (empty when not cached)."""
        if self.cache is None:
            return {}
        entry = self.cache.get(url)
        return {} if entry is None else {k: entry.header(k) for k in ("etag", "last-modified") if entry.header(k)}

    # -- internals --------------------------------------------------------------------------
    def _check_robots(self, url: str) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            return
        self.robots.check(url)

    def _follow(self, url: str, method: str, headers: dict[str, str], body: bytes | None,
                expect_text: bool, *, check_robots: bool) -> Response:
        """Send, following redirects ourselves so loops, robots and delays apply to every hop."""
        seen = {url}
        current = url
        for _ in range(self.policy.max_redirects + 1):
            resp = self._send(Request(
                url=current, method=method, headers=headers, body=body, timeout=self.policy.timeout,
                max_bytes=self.policy.max_bytes, allow_redirects=False, expect_text=expect_text,
                total_timeout=self.policy.total_timeout,
            ))
            location = resp.header("location")
            if resp.status not in REDIRECT_STATUSES or not location:
                return replace(resp, url=url, final_url=resp.final_url or current)
            nxt = urljoin(current, location.strip())
            if nxt in seen:
                raise FetchError(url, "redirect_loop", f"{current} redirects back to {nxt}")
            seen.add(nxt)
            if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                method, body = "GET", None
            if check_robots:
                self._check_robots(nxt)
            current = nxt
        raise FetchError(url, "redirect_loop", f"more than {self.policy.max_redirects} redirects")

    def _send(self, request: Request) -> Response:
        """One exchange with retries: 429/5xx (honouring Retry-After) and dropped connections."""
        policy = self.policy
        for attempt in range(policy.retries + 1):
            self._wait_turn(request.url)
            try:
                resp = self.transport.send(request)
            except FetchError as e:
                if e.reason != "connection" or attempt >= policy.retries:
                    raise
                wait = policy.backoff * 2 ** attempt
                log.info("%s: %s; retrying in %.1f s", request.url, e.detail or e.reason, wait)
                self.sleep(wait)
                continue
            finally:
                self._last_request[host_of(request.url)] = self.clock()
            if resp.status not in RETRY_STATUSES or attempt >= policy.retries:
                return resp
            asked = retry_after_seconds(resp.header("retry-after"))
            wait = asked if asked is not None else policy.backoff * 2 ** attempt
            if wait > policy.max_wait:
                raise FetchError(request.url, "http_status", f"HTTP {resp.status}; server asks to retry after"
                                 f" {wait:.0f} s", status=resp.status, headers=resp.headers)
            log.info("%s: HTTP %s; retrying in %.1f s", request.url, resp.status, wait)
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_turn(self, url: str) -> None:
        host = host_of(url)
        delay = self.policy.delay
        if self.policy.robots:
            delay = max(delay, min(self.robots.crawl_delay(url) or 0.0, self.policy.max_delay))
        last = self._last_request.get(host)
        if delay > 0 and last is not None:
            gap = last + delay - self.clock()
            if gap > 0:
                self.sleep(gap)

    def _fetch_robots(self, url: str) -> Response:
        """robots.txt through the same transport (retries, delay, redirects) but never checked itself."""
        hdrs = {"User-Agent": self.policy.user_agent}
        return self._follow(url, "GET", hdrs, None, expect_text=False, check_robots=False)
