"""Matching a vocabulary's aliases and patterns in text: the compiled form of a :class:`Vocabulary`.

Two compiled regexes per vocabulary, built once: the aliases form a character trie (so the engine never
tries hundreds of alternatives one by one) run over a lower-cased copy of the text together with the
extra patterns, and the exact-case acronyms form a second trie run over the original. Matches must
stand alone: not inside a longer word, an identifier, a file name or a URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.techniques.vocab import Technique, Vocabulary

_SEP = "\0"
_SEP_RE = r"[\s_-]{0,3}"
_LEAD = r"(?<![A-Za-z0-9_/@#$\\])(?<![A-Za-z0-9]\.)(?<!non-)(?<!Non-)"
# "resnet50", "yolov5s", "efficientnet_b3", "llama3.1", "deberta_v3_large": a version or size after an alias
_VERSION = (r"(?:_?[vb]?\d[A-Za-z0-9_]*?(?:\.\d+[A-Za-z0-9_]*?)?"
            r"|_(?:base|large|small|tiny|xlarge|xxlarge|medium|nano|huge|giant|xl|ns)[A-Za-z0-9_]*?)?")
_TRAIL = (r"(?![A-Za-z0-9_])(?!@)(?!/[A-Za-z0-9])"
          r"(?!\.(?:py|ipynb|com|org|io|net|html?|md|csv|json|txt|pth?|h5|pkl|ya?ml|cfg|ai|zip)\b)")


def _symbols(alias: str) -> list[str]:
    out: list[str] = []
    for i, piece in enumerate(re.split(r"[\s_-]+", alias.strip())):
        if i:
            out.append(_SEP)
        out.extend(piece)
    return out


def _trie_regex(aliases: Iterable[str]) -> str:
    trie: dict = {}
    for alias in aliases:
        node = trie
        for sym in _symbols(alias):
            node = node.setdefault(sym, {})
        node[""] = True

    def render(node: dict) -> str:
        alts = [(_SEP_RE if sym == _SEP else re.escape(sym)) + render(child)
                for sym, child in sorted((k, v) for k, v in node.items() if k != "")]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return render(trie)


def _plurals(alias: str) -> list[str]:
    if alias[-1:].isalpha() and not alias.endswith("s"):
        return [alias, alias + "s"]
    return [alias]


def lower_keeping_offsets(text: str) -> str:
    """``text.lower()`` with the same length, so offsets in the copy are offsets in the original."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


class Matcher:
    """The compiled form of a vocabulary; ``find`` yields (technique, start, end) per match.

    Case-insensitive aliases and patterns are matched on a lower-cased copy of the text with a
    case-sensitive regex (several times faster than ``re.IGNORECASE`` over a large trie); exact-case
    aliases and ``(?-i)`` patterns on the original text.
    """

    def __init__(self, vocab: Vocabulary):
        self._ci: dict[str, Technique] = {}
        self._cs: dict[str, Technique] = {}
        self._patterns: dict[str, Technique] = {}
        ci_forms: list[str] = []
        cs_forms: list[str] = []
        folded: list[str] = []
        exact: list[str] = []
        for t in vocab:
            for alias in t.aliases:
                for form in _plurals(alias.lower()):
                    self._ci.setdefault(alias_key(form), t)
                    ci_forms.append(form)
            for alias in t.case_sensitive_aliases:
                for form in _plurals(alias):
                    self._cs.setdefault(_exact_key(form), t)
                    cs_forms.append(form)
            for pattern in t.patterns:
                group = f"p{len(self._patterns)}"
                self._patterns[group] = t
                if pattern.startswith("(?-i)"):
                    exact.append(f"(?P<{group}>{pattern[5:]})")
                else:
                    folded.append(f"(?P<{group}>{_drop_leading_boundary(pattern)})")
        words = [f"(?P<ci>{_trie_regex(ci_forms)}){_VERSION}{_TRAIL}"] if ci_forms else []
        self._folded = _compile(words + folded)
        self._exact = _compile(([f"(?P<cs>{_trie_regex(cs_forms)}){_VERSION}{_TRAIL}"] if cs_forms else []) + exact)

    def find(self, text: str) -> list[tuple[Technique, int, int]]:
        """Non-overlapping matches in order; where two overlap, the earlier (then longer) one wins."""
        hits: list[tuple[int, int, Technique]] = []
        for regex, source in ((self._folded, lower_keeping_offsets(text)), (self._exact, text)):
            if regex is None:
                continue
            for m in regex.finditer(source):
                group = m.lastgroup
                if group == "ci":
                    tech = self._ci.get(alias_key(m.group("ci")))
                elif group == "cs":
                    tech = self._cs.get(_exact_key(m.group("cs")))
                else:
                    tech = self._patterns.get(group or "")
                if tech is not None and m.end() > m.start():
                    hits.append((m.start(), m.end(), tech))
        hits.sort(key=lambda h: (h[0], -h[1]))
        out: list[tuple[Technique, int, int]] = []
        last_end = -1
        for start, end, tech in hits:
            if start >= last_end:
                out.append((tech, start, end))
                last_end = end
        return out


def _drop_leading_boundary(pattern: str) -> str:
    """Every match already starts at a word start; a leading ``\\b`` only slows the scan down."""
    return pattern[2:] if pattern.startswith("\\b") else pattern


def _exact_key(alias: str) -> str:
    return re.sub(r"[\s_-]+", "", alias)


def _compile(alternatives: list[str]) -> re.Pattern | None:
    """One scan per text: the shared boundary test, then the trie, then the extra patterns."""
    if not alternatives:
        return None
    return re.compile(_LEAD + "(?:" + "|".join(alternatives) + ")")


def alias_key(alias: str) -> str:
    """The lookup key of an alias or of matched text: lower-case, separators removed."""
    return re.sub(r"[\s_-]+", "", alias.lower())
