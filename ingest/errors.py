"""Errors of ingestion: a URL that cannot be fetched, a mirror folder that cannot be read.

Both are :class:`kb.errors.KBError`, so the command line maps them to a message and an exit code.
"""

from __future__ import annotations

from collections.abc import Mapping

from kb.errors import KBError


class MirrorError(KBError):
    """A mirror folder is missing or malformed."""

    exit_code = 2


class FetchError(KBError):
    """A URL could not be fetched. ``reason`` is a short machine-readable category."""

    exit_code = 5

    def __init__(self, url: str, reason: str, detail: str = "", status: int | None = None,
                 headers: Mapping[str, str] | None = None):
        self.url = url
        self.reason = reason
        self.detail = detail
        self.status = status
        self.headers = dict(headers or {})  # of the HTTP answer, when there was one (rate-limit headers, ...)
        msg = f"{reason}: {url}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)

    def header(self, name: str, default: str = "") -> str:
        lname = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lname), default)
