"""Markdown for the web app, built safely from untrusted write-up text.

Write-ups are third-party text: every piece that reaches ``st.markdown`` goes through
:func:`escape_markdown` (raw HTML is never enabled), and links are emitted only for http(s) URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from kb.metric_names import readable_metric
from kb.search.terms import query_stems

# Characters with a meaning in CommonMark or in Streamlit's markdown extensions
# ($ for LaTeX, : for emoji shortcodes and :color[...] directives, ~ for strike-through).
_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^\"'])")
_WORD = re.compile(r"\w+", re.UNICODE)
_ITEM = re.compile(r"^([-*+•]|\d{1,3}[.)])\s+(.*)$")


def escape_markdown(text: str) -> str:
    """``text`` with every markdown-active character backslash-escaped and whitespace collapsed."""
    return escape_span(" ".join(str(text).split()))


def escape_span(text: str) -> str:
    """``text`` with every markdown-active character backslash-escaped, its spacing kept."""
    return _ACTIVE.sub(r"\\\1", text)


def highlight_terms(query: str) -> tuple[str, ...]:
    """The query words worth highlighting, as lower-case prefixes (a crude stem, as in snippets)."""
    return tuple(sorted(set(query_stems(query))))


def highlight(text: str, query: str) -> str:
    """Escaped ``text`` (whitespace collapsed) with the words matching the query in bold."""
    prefixes = highlight_terms(query) if query and query.strip() else ()
    text = " ".join(str(text).split())
    out: list[str] = []
    pos = 0
    for m in _WORD.finditer(text):
        word = m.group()
        if prefixes and word.lower().startswith(prefixes) and "_" not in word:
            gap = text[pos:m.start()]
            if out and gap == " ":  # out[-1] is the previous bold word
                out[-1] = out[-1][:-2] + f" {word}**"  # one bold run for consecutive words
            else:
                out += [escape_span(gap), f"**{word}**"]
            pos = m.end()
    out.append(escape_span(text[pos:]))
    return "".join(out)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, percent-encoded where markdown would trip; else None."""
    if not url:
        return None
    url = str(url).strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%~-._[]")


def link(label: str, url: str | None) -> str:
    """A markdown link with an escaped label, or just the escaped label when the URL is not http(s)."""
    target = safe_url(url)
    text = escape_markdown(label) or escape_markdown(url or "")
    return f"[{text}]({target})" if target else text


def internal_link(label: str, **params: object) -> str:
    """A link to another view of this app (``?view=document&doc=3``); parameters are URL-encoded."""
    query = "&".join(f"{quote(str(k))}={quote(str(v), safe='')}" for k, v in params.items() if v is not None)
    return f"[{escape_markdown(label)}](./?{query})"


# kb's metric families (kb.profile.METRIC_FAMILIES) that a metric id's reading does not name well
_FAMILIES = {"accuracy": "Accuracy", "f-score": "F-score", "correlation": "Correlation", "map@k/ndcg": "MAP@k / NDCG",
             "iou/dice": "IoU / Dice", "bleu/levenshtein": "BLEU / Levenshtein", "custom": "a custom metric"}


def metric_label(metric: str | None, family: str | None = None) -> str | None:
    """The readable name of a competition's metric, else of its metric family; None when neither is known."""
    if metric:
        return readable_metric(metric)
    if family:
        return _FAMILIES.get(family) or readable_metric(family)
    return None


def read_as_label(modality: str | None, task_type: str | None, metric: str | None, family: str | None) -> str:
    """"image · segmentation · IoU / Dice": how kb read a query, readable ("unknown" when it read nothing)."""
    parts = [p for p in (modality, task_type.replace("_", " ") if task_type else None, metric_label(metric, family))
             if p]
    return " · ".join(parts) if parts else "unknown"


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def rank_label(rank: int | None) -> str:
    return f"{ordinal(rank)} place" if rank else "rank unknown"


def host(url: str) -> str:
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return ""
    return netloc.removeprefix("www.")


def competition_label(title: str | None, slug: str | None, year: int | None) -> str:
    name = title or slug or "unknown competition"
    return f"{name} ({year})" if year else name


def evidence_markdown(quote_text: str, query: str) -> str:
    """A quote block holding the evidence snippet with the query words in bold."""
    quote_text = _ITEM.sub(r"\2", " ".join(str(quote_text).split()))  # a quoted list item needs no marker
    return "> " + (highlight(quote_text, query) or "*(no quote)*")


def evidence_caption(*, helped: bool, rank: int | None, competition: str | None, competition_title: str | None,
                     year: int | None, source: str | None, title: str, url: str, document_id: int,
                     passage_url: str | None = None, chunk_id: int | None = None) -> str:
    """One line under an evidence quote: verdict · rank · competition · source · labelled links (the
    write-up, the passage in it, and the copy kept here)."""
    verdict = ":green[**helped**]" if helped else ":red[**did not help**]"
    parts = [verdict, rank_label(rank)]
    if competition or competition_title:
        parts.append(escape_markdown(competition_label(competition_title, competition, year)))
    elif year:
        parts.append(str(year))
    if source:
        parts.append(escape_markdown(source))
    parts.append("write-up: " + link(title or host(url) or url, url))
    if passage_url and passage_url != url:
        parts.append("passage: " + link("the quote in the original", passage_url))
    parts.append(internal_link("read here", view="document", doc=document_id, chunk=chunk_id))
    return " · ".join(parts)


def code_block(lines: list[str], info: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    marker = "`" * max(3, longest + 1)
    language = re.sub(r"[^\w+#.-]", "", info.split()[0]) if info.split() else ""
    return "\n".join([marker + language, *lines, marker])


def bullet_list(items: Iterable[str]) -> str:
    """Markdown bullets from already-escaped items."""
    return "\n".join(f"- {item}" for item in items)
