"""The words of a user query: what keyword search matches, snippets look for and the app highlights."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset(
    "a an and are as at be by for from has have how i in is it its of on or that the this to was were "
    "what when where which who will with we our you your my me do does did not no can".split()
)
MAX_TERMS = 64
STEM = 5  # a crude stem: the first letters of a word ("augmented" and "augmentation" share "augme")


def query_terms(text: str) -> list[str]:
    """Words of a user query, lower-cased, stop-words dropped (kept if nothing else is left)."""
    words = [w.lower() for w in _WORD.findall(text)]
    kept = [w for w in words if w not in STOPWORDS]
    seen: dict[str, None] = {}
    for w in kept or words:
        seen.setdefault(w, None)
    return list(seen)[:MAX_TERMS]


def query_stems(text: str) -> list[str]:
    """The query's words of three letters or more, as lower-case prefixes to match other forms of them."""
    return [t[:STEM] for t in query_terms(text) if len(t) > 2]
