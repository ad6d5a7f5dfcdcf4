"""What goes over the wire: requests, responses and the transport protocol that exchanges them.

Shared by the fetcher (:mod:`ingest.http`), its cache, robots.txt handling and every transport
(real HTTP, the offline mirror, canned answers in tests); it imports none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_TEXT_APPLICATION = frozenset({
    "application/json", "application/xml", "application/xhtml+xml", "application/rss+xml",
    "application/atom+xml", "application/x-yaml", "application/yaml", "application/javascript",
    "application/x-ipynb+json", "application/markdown", "application/x-rst", "application/ld+json",
})


def is_text_type(content_type: str) -> bool:
    """True for media types that carry text (an absent type counts: the cleaner sniffs the bytes)."""
    ct = content_type.split(";")[0].strip().lower()
    if not ct or ct.startswith("text/"):
        return True
    return ct in _TEXT_APPLICATION or ct.endswith("+xml") or ct.endswith("+json")


@dataclass(frozen=True)
class Request:
    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout: tuple[float, float] = (10.0, 30.0)
    max_bytes: int = DEFAULT_MAX_BYTES
    allow_redirects: bool = True  # the Fetcher sends False and follows redirects itself
    expect_text: bool = False  # a transport may refuse a non-text body before reading it
    total_timeout: float | None = None  # deadline for the whole body (against trickling servers)


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    final_url: str = ""
    from_cache: bool = False
    not_modified: bool = False  # answered 304: ``content`` is the cached copy

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
