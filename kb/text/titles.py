"""Display titles for documents: plain text, and never a bare file name or a generic heading."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from kb.records import CompetitionLink

_GENERIC = re.compile(
    r"^(?:readme|solution|solutions|requirements|installation|install|introduction|intro|overview|usage|summary|"
    r"setup|how to run|report|notes|description|abstract|contents|table of contents|instructions|documentation)"
    r"(?:\.\w{1,4})?$", re.IGNORECASE)
_FILENAME = re.compile(r"^[\w.-]+\.(?:md|markdown|rst|txt|html?)$", re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"[*_`#]+")


def plain(title: str | None) -> str | None:
    """Markdown links, images and emphasis removed; whitespace collapsed; None when nothing is left."""
    if not title:
        return None
    text = _LINK.sub(r"\1", _IMAGE.sub("", title))
    text = " ".join(_MARKUP.sub(" ", text).split()).strip(" -:|")
    return text or None


def is_generic(title: str | None) -> bool:
    return not title or bool(_GENERIC.match(title.strip())) or bool(_FILENAME.match(title.strip()))


def fallback_title(url: str, links: tuple[CompetitionLink, ...]) -> str:
    """``repo (Competition title)`` for GitHub files, else the last part of the URL path."""
    parts = [unquote(p) for p in urlsplit(url).path.split("/") if p]
    comp = next((link.title for link in links if link.title), None)
    if "github.com" in url and len(parts) >= 2:
        base = parts[1]
    else:
        base = parts[-1] if parts else url
        base = re.sub(r"\.\w{1,5}$", "", base).replace("-", " ").replace("_", " ")
    return f"{base} ({comp})" if comp and comp.lower() not in base.lower() else base


def document_title(declared: str | None, extracted: str | None, url: str, links: tuple[CompetitionLink, ...]) -> str:
    for candidate in (plain(declared), plain(extracted)):
        if candidate and not is_generic(candidate):
            return candidate[:300]
    return fallback_title(url, links)
