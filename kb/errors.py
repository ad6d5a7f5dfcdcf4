"""Specific exceptions raised by the library; the CLI maps each to a message and an exit code."""

from __future__ import annotations


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


class ExtractError(KBError):
    """A fetched document could not be turned into text."""

    exit_code = 5
