"""Specific exceptions raised by the library; the CLI maps each to a message and an exit code."""

from __future__ import annotations

from collections.abc import Mapping


class KBError(Exception):
    """Base class for every error kb raises on purpose."""

    exit_code = 1


class ConfigError(KBError):
    """A setting is missing or invalid."""

    exit_code = 2


class BadInputError(KBError, ValueError):
    """A value the user gave is not one kb accepts (the message lists the valid ones)."""

    exit_code = 2


class EmptyQueryError(KBError, ValueError):
    """A query with nothing to search for."""

    exit_code = 2


class NotBuiltError(KBError):
    """The knowledge base (or one of its indexes) has not been built yet."""

    exit_code = 3


class IndexMismatchError(KBError):
    """An index was built with another model or from another state of the database."""

    exit_code = 4


class IndexCorruptError(KBError):
    """An index file is unreadable or truncated."""

    exit_code = 4


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


class ExtractError(KBError):
    """A fetched document could not be turned into text."""

    exit_code = 5
