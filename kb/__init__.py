"""kb: a knowledge base of winning machine-learning competition solutions."""

import logging

from kb.api import KnowledgeBase, SearchResult
from kb.config import Settings, load_settings
from kb.errors import (
    ConfigError,
    EmptyQueryError,
    IndexCorruptError,
    IndexMismatchError,
    KBError,
    NotBuiltError,
)

logging.getLogger("kb").addHandler(logging.NullHandler())

__all__ = [
    "ConfigError",
    "EmptyQueryError",
    "IndexCorruptError",
    "IndexMismatchError",
    "KBError",
    "KnowledgeBase",
    "NotBuiltError",
    "SearchResult",
    "Settings",
    "load_settings",
]
