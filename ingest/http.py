"""The one network layer: every source fetches through :class:`Fetcher`.

A ``Transport`` does the raw exchange (real HTTP via requests, files from a mirror, or canned
responses in tests); the ``Fetcher`` applies policy on top of it (timeouts, size cap, status and
content checks). Tests replace only the transport.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from kb.errors import FetchError

log = logging.getLogger(__name__)

USER_AGENT = "kb/0.1 (+https://github.com/kb-project/kb; knowledge base of competition write-ups)"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout: tuple[float, float] = (10.0, 30.0)
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    final_url: str = ""
    from_cache: bool = False

    def header(self, name: str, default: str = "") -> str:
        lname = name.lower()
        for k, v in self.headers.items():
            if k.lower() == lname:
                return v
        return default

    @property
    def content_type(self) -> str:
        """Media type without parameters, lower-case (``""`` when absent)."""
        return self.header("content-type").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.header("content-type").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"').lower()
        return None


class Transport(Protocol):
    """Performs one exchange. Raises FetchError for transport-level failures."""

    def send(self, request: Request) -> Response: ...


class Fetcher:
    """Policy over a transport: the single place HTTP requests are made from."""

    def __init__(self, transport: Transport | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 timeout: tuple[float, float] = (10.0, 30.0), user_agent: str = USER_AGENT):
        if transport is None:
            from ingest.transport_requests import RequestsTransport

            transport = RequestsTransport()
        self.transport = transport
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.user_agent = user_agent

    def fetch(self, url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None,
              body: bytes | None = None) -> Response:
        """Fetch ``url``; return a 2xx response or raise :class:`FetchError` with a reason."""
        hdrs = {"User-Agent": self.user_agent, **(headers or {})}
        req = Request(url=url, method=method, headers=hdrs, body=body, timeout=self.timeout,
                      max_bytes=self.max_bytes)
        resp = self.transport.send(req)
        if len(resp.content) > self.max_bytes:
            raise FetchError(url, "too_large", f"{len(resp.content)} bytes > {self.max_bytes}")
        if not 200 <= resp.status < 300:
            raise FetchError(url, "http_status", f"HTTP {resp.status}", status=resp.status)
        return resp
