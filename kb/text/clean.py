"""Turn fetched bytes (markdown, reST, plain text, HTML) into one normalised "markdown-lite" text.

Markdown-lite: ATX headings (``# Title``, ``## Sub``...), paragraphs separated by one blank line,
list items as ``- item`` (``1. item`` for ordered lists), links reduced to their text, no images,
badges, HTML tags or comments, table rows as cells joined by `` | ``, code in ``` fences (long blocks
cut after 40 lines with a ``...`` line), math left as written, no trailing spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from kb.errors import ExtractError
from kb.text.common import first_heading, normalize
from kb.text.decode import binary_reason, decode_bytes, looks_binary
from kb.text.html import page_meta, page_title, parse, soup_to_lite, trafilatura_markdown
from kb.text.markdown import markdown_to_lite, split_front_matter
from kb.text.plain import plain_to_lite
from kb.text.rst import rst_to_lite

__all__ = ["CleanDoc", "clean", "decode_bytes", "guess_language", "looks_binary"]

# the version of what cleaning makes of the same bytes: a change that alters stored text bumps it, and the
# next ingest re-cleans documents cleaned by an older version (their raw bytes unchanged); see kb/documents.py
CLEAN_VERSION = "2"  # 2: pipe-table rows inside a markdown paragraph are kept as table rows

_EXTENSIONS = {
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown", ".rmd": "markdown",
    ".rst": "rst", ".rest": "rst", ".html": "html", ".htm": "html", ".xhtml": "html", ".txt": "plain",
}
_CONTENT_TYPES = {
    "text/html": "html", "application/xhtml+xml": "html", "text/markdown": "markdown",
    "text/x-markdown": "markdown", "text/x-rst": "rst", "text/prs.fallenstein.rst": "rst", "text/rst": "rst",
}
_PAGE_START = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S
)
_INLINE_CHARSET = re.compile(rb"""<(?:meta[^>]*?charset|\?xml[^>]*?encoding)\s*=\s*["']?([\w.:-]+)""", re.I)
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_CODE_FENCE_BLOCK = re.compile(r"^(`{3,}|~{3,}).*?^\1", re.M | re.S)
_SCRIPTS = {
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "ko": re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
    "el": re.compile(r"[\u0370-\u03ff]"),
    "ar": re.compile(r"[\u0600-\u06ff]"),
    "he": re.compile(r"[\u0590-\u05ff]"),
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "hi": re.compile(r"[\u0900-\u097f]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
}
_STOPWORDS = {
    "en": {"the", "and", "of", "to", "is", "in", "that", "we", "with", "for", "this", "was", "are", "it",
           "on"},
    "fr": {"le", "la", "les", "et", "des", "est", "une", "pour", "dans", "que", "nous", "avec", "sur"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "wir", "ein", "eine", "auf", "für", "den"},
    "es": {"el", "los", "las", "y", "es", "una", "para", "con", "que", "del", "por", "se", "como"},
    "pt": {"os", "um", "uma", "para", "com", "que", "da", "não", "em", "são", "mais", "foi"},
    "it": {"il", "gli", "una", "per", "con", "che", "del", "della", "non", "sono", "nel"},
}


@dataclass(frozen=True)
class CleanDoc:
    """A cleaned document: markdown-lite text plus what could be learnt about it on the way."""

    text: str
    title: str | None
    meta: dict[str, str] = field(default_factory=dict)
    language: str | None = None


def _is_page(text: str) -> bool:
    """A whole HTML page: a doctype or <html> first, or a <body> tag near the start."""
    return bool(_PAGE_START.match(text)) or re.search(r"<body[\s>]", text[:5000], re.I) is not None


def _mostly_tags(text: str) -> bool:
    head = text.lstrip()[:20000]
    tags = _TAG.findall(head)
    return head.startswith("<") and len(tags) >= 5 and sum(map(len, tags)) > 0.3 * len(head)


def _kind(content_type: str, url: str, text: str) -> str:
    """html, markdown, rst or plain: the content type, refined by the URL's extension and the text."""
    ctype = content_type.split(";")[0].strip().lower()
    path = unquote(urlsplit(url).path).lower()
    by_ext = next((kind for ext, kind in _EXTENSIONS.items() if path.endswith(ext)), None)
    kind = _CONTENT_TYPES.get(ctype)
    if kind is None and ctype == "text/plain":
        kind = by_ext if by_ext and by_ext != "html" else "plain"
    if kind is None:
        kind = by_ext or ("html" if _is_page(text) or _mostly_tags(text) else "markdown")
    return "html" if kind != "html" and _is_page(text) else kind


def _declared_charset(content_type: str, raw: bytes) -> str | None:
    """The charset named by the Content-Type header, else by an HTML <meta> or XML declaration."""
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.I)
    if match:
        return match.group(1)
    inline = _INLINE_CHARSET.search(raw[:4096])
    return inline.group(1).decode("ascii") if inline else None


def guess_language(text: str) -> str | None:
    """A cheap language guess from script counts (CJK characters weigh 3 letters), then stopwords."""
    sample = _CODE_FENCE_BLOCK.sub(" ", text[:200000])
    counts = {name: len(pattern.findall(sample)) for name, pattern in _SCRIPTS.items()}
    weights = {name: count * (3 if name in ("han", "kana", "ko") else 1) for name, count in counts.items()}
    if sum(weights.values()) < 20:
        return None
    top = max(weights, key=lambda name: weights[name])
    if top in ("han", "kana"):
        return "ja" if counts["kana"] >= 0.1 * (counts["han"] + counts["kana"]) else "zh"
    if top != "latin":
        return top
    words = re.findall(r"[a-zà-ÿ]{2,}", re.sub(r"\S*[/@.]\S*", " ", sample.lower()))
    hits = {lang: sum(1 for word in words if word in stop) for lang, stop in _STOPWORDS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    if best != "en" and hits[best] < 1.5 * hits["en"]:
        best = "en"
    if hits[best] >= 3:
        return best
    runner_up = max((name for name in weights if name != "latin"), key=lambda name: weights[name])
    if weights[runner_up] >= 0.2 * sum(weights.values()):
        return {"han": "zh", "kana": "ja"}.get(runner_up, runner_up)
    return None


def _title(meta: dict[str, str], page_title: str | None, body: str, kind: str) -> str | None:
    """Front-matter title, page title, first H1, else (markdown) a heading that opens the document."""
    if meta.get("title") or page_title:
        return meta.get("title") or page_title
    h1 = first_heading(body)
    if h1 or kind != "markdown":
        return h1
    first = body.split("\n", 1)[0]
    return first.lstrip("#").strip() if re.match(r"#{2,6} ", first) else None


def _clean_html(html: str) -> tuple[str, str | None, dict[str, str]]:
    soup = parse(html)
    markdown = trafilatura_markdown(html, soup)
    if markdown:
        text = markdown_to_lite(markdown)
    else:
        text = soup_to_lite(soup)
        if first_heading(text) is None and not re.search(r"^#{2,6} ", text, re.M):
            text = plain_to_lite(text)  # old pages mark sections with short "1. Title" paragraphs
    return text, page_title(soup), page_meta(soup)


def clean(raw: bytes, content_type: str, *, url: str = "", declared_charset: str | None = None) -> CleanDoc:
    """Decode and clean one fetched document. Raises ExtractError for binary input or when no text is left."""
    if not raw.strip():
        raise ExtractError(f"empty document: {url or '(no url)'}")
    reason = binary_reason(raw)
    if reason:
        raise ExtractError(f"binary content ({reason}): {url or '(no url)'}")
    text = decode_bytes(raw, declared_charset or _declared_charset(content_type, raw)).replace("\r\n", "\n")
    kind = _kind(content_type, url, text)
    meta: dict[str, str] = {}
    title: str | None = None
    if kind == "html":
        body, title, meta = _clean_html(text)
    elif kind == "rst":
        body = rst_to_lite(text)
    elif kind == "plain":
        body = plain_to_lite(text)
    else:
        meta, rest = split_front_matter(text.lstrip("\ufeff"))
        body = markdown_to_lite(rest)
    body = normalize(body)
    if not body.strip():
        raise ExtractError(f"no text left after cleaning ({kind}): {url or '(no url)'}")
    title = _title(meta, title, body, kind)
    return CleanDoc(text=body, title=title, meta=meta, language=guess_language(body))
