"""Short display snippets: the window of a passage that best matches the query words."""

from __future__ import annotations

import re

from kb.search.terms import query_stems

_WORD = re.compile(r"\w+", re.UNICODE)
_NON_WORD = re.compile(r"[^\w\s]")


def best_window(text: str, query: str, width: int = 300) -> str:
    """The ``width``-character window of ``text`` holding the most query words (stems by prefix)."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    terms = query_stems(query)
    best_start, best_hits = 0, -1
    starts = [0] + [m.end() for m in re.finditer(r"[.!?]\s", text)]  # where each sentence begins
    for s in starts:
        window = text[s:s + width].lower()
        hits = sum(1 for w in _WORD.findall(window) if any(w.startswith(t) for t in terms))
        if hits > best_hits:
            best_start, best_hits = s, hits
    window = text[best_start:best_start + width]
    if best_start + width < len(text):
        window = clip_at_word(window, text[best_start + width:best_start + width + 1]) + " …"
    if best_start > 0:
        window = "… " + window
    return window


def clip_at_word(window: str, following: str = "") -> str:
    """``window`` without the word that ``following`` (the next character of the text) would continue: cut at
    its last space, else after its last non-word character, when either lies in its second half."""
    if not (_WORD.match(following[:1]) and _WORD.match(window[-1:])):
        return window.rstrip()  # the window ends between words
    cut = window.rfind(" ")
    if cut <= len(window) // 2:
        cut = max((m.end() for m in _NON_WORD.finditer(window)), default=0)
    return (window[:cut] if cut > len(window) // 2 else window).rstrip()
