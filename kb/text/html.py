"""HTML to markdown-lite: trafilatura for a page's main text, a BeautifulSoup walker as fallback."""

from __future__ import annotations

import logging
import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction

from kb.text.common import collapse, fence, strip_inline_markdown

log = logging.getLogger(__name__)

_SKIP = frozenset({
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "form",
    "button", "input", "select", "textarea", "nav", "footer", "aside", "head", "title", "meta", "link",
    "video", "audio", "map",
})
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = frozenset({
    "p", "div", "section", "article", "main", "body", "html", "blockquote", "ul", "ol", "li", "dl", "dt",
    "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "pre", "figure", "figcaption", "details",
    "summary", "center", "header", "hr", "address", "fieldset", "caption", *_HEADINGS,
})
_NOT_TEXT = (Comment, Doctype, Declaration, ProcessingInstruction, CData)
_MIN_SHARE = 0.3  # trafilatura must keep at least this share of the visible text
_MIN_PAGE_CHARS = 200  # smaller pages go straight to the DOM walker


def parse(html: str) -> BeautifulSoup:
    """Parse possibly broken HTML; never raises on malformed markup."""
    try:
        return BeautifulSoup(html, "lxml")
    except Exception:  # any parser failure falls back to the pure-Python parser
        return BeautifulSoup(html, "html.parser")


def page_title(soup: BeautifulSoup) -> str | None:
    """og:title, else <title>, else the first <h1>."""
    meta = soup.find("meta", attrs={"property": "og:title"}) or soup.find("meta", attrs={"name": "og:title"})
    candidates = [meta.get("content") if isinstance(meta, Tag) else None]
    for name in ("title", "h1"):
        tag = soup.find(name)
        candidates.append(tag.get_text(" ") if isinstance(tag, Tag) else None)
    for candidate in candidates:
        if isinstance(candidate, str) and collapse(candidate):
            return collapse(candidate)
    return None


def page_meta(soup: BeautifulSoup) -> dict[str, str]:
    """Author, date, description and keywords from <meta> tags, when present."""
    wanted = {
        "author": "author", "article:author": "author", "description": "description",
        "og:description": "description", "keywords": "tags", "article:published_time": "date",
        "date": "date", "og:title": "title",
    }
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = str(tag.get("property") or tag.get("name") or "").lower()
        content = collapse(str(tag.get("content") or ""))
        if key in wanted and content and wanted[key] not in meta:
            meta[wanted[key]] = content
    return meta


def visible_text(soup: BeautifulSoup) -> str:
    """All text a reader would see, whitespace-collapsed."""
    parts = [
        str(node) for node in soup.find_all(string=True)
        if not isinstance(node, _NOT_TEXT) and not any(parent.name in _SKIP for parent in node.parents)
    ]
    return collapse(" ".join(parts))


def trafilatura_markdown(html: str, soup: BeautifulSoup) -> str | None:
    """trafilatura's main-text markdown, or None when it misses most of the page or keeps a layout table."""
    visible = len(visible_text(soup))
    if visible < _MIN_PAGE_CHARS or not re.search(r"<[a-zA-Z]", html):
        return None  # nothing to separate from boilerplate; trafilatura would only log errors
    try:
        import trafilatura  # an install without lxml_html_clean fails here, with an ImportError

        out = trafilatura.extract(
            html, output_format="markdown", include_comments=False, include_tables=True,
            include_formatting=True, include_links=False, include_images=False, favor_recall=True,
        )
    except Exception as exc:  # trafilatura missing, broken or failing on odd markup means "use the fallback"
        _warn_once(exc)
        return None
    if not out or not out.strip():
        return None
    if len(collapse(out)) < _MIN_SHARE * visible:
        return None
    layout = [table for table in soup.find_all("table") if _is_layout_table(table)]
    if any(len(collapse(table.get_text(" "))) > 0.5 * visible for table in layout):
        return None  # trafilatura flattens a page laid out in a table cell into one giant row
    return out


_warned: set[str] = set()


def _warn_once(exc: Exception) -> None:
    """An unusable trafilatura is worth one warning per run; a page it cannot parse is a debug note."""
    if isinstance(exc, ImportError):
        if "import" not in _warned:
            _warned.add("import")
            log.warning("trafilatura cannot be imported (%s); HTML is cleaned by the BeautifulSoup fallback", exc)
        return
    log.debug("trafilatura failed: %s", exc)


def soup_to_lite(soup: BeautifulSoup | Tag) -> str:
    """Walk the DOM: headings, paragraphs, lists, code and tables become markdown-lite blocks."""
    walker = _Walker()
    walker.walk(soup)
    walker.flush()
    return "\n\n".join(walker.blocks)


def fragment_to_lite(html: str) -> str:
    """An HTML block found inside markdown; markdown syntax left in its text is reduced too."""
    return strip_inline_markdown(soup_to_lite(parse(html)))


def _is_layout_table(table: Tag) -> bool:
    cells = table.find_all(["td", "th"])
    blocks = ["p", "div", "table", "ul", "ol", "pre", *_HEADINGS]
    return len(cells) <= 1 or any(cell.find(blocks) for cell in cells)


class _Walker:
    """Collects markdown-lite blocks; inline text accumulates until a block element closes it."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.inline: list[str] = []

    def flush(self) -> None:
        lines = [collapse(line) for line in "".join(self.inline).split("\n")]
        self.inline = []
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append(text)

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, _NOT_TEXT):
                    self.inline.append(str(child))
            elif isinstance(child, Tag):
                self.element(child)

    def element(self, tag: Tag) -> None:
        name = (tag.name or "").lower()
        if name in _SKIP or name == "img":
            return
        if name == "br":
            self.inline.append("\n")
        elif name == "code" and tag.find_parent("pre") is None:
            text = tag.get_text()
            self.inline.append(f"`{collapse(text)}`" if text.strip() else "")
        elif name not in _BLOCKS:
            self.walk(tag)
        else:
            self.flush()
            self.block(tag, name)
            self.flush()

    def block(self, tag: Tag, name: str) -> None:
        if name in _HEADINGS:
            text = collapse(tag.get_text(" "))
            if text:
                self.blocks.append("#" * _HEADINGS[name] + " " + text)
        elif name == "pre":
            classes = " ".join(tag.get("class") or [])
            lang = re.search(r"(?:language|lang)-([\w+#-]+)", classes)
            code = fence(tag.get_text(), lang.group(1) if lang else "")
            if code:
                self.blocks.append(code)
        elif name in ("ul", "ol"):
            self.list_block(tag, ordered=name == "ol")
        elif name == "table" and not _is_layout_table(tag):
            rows = []
            for row in tag.find_all("tr"):
                cells = [collapse(cell.get_text(" ")) for cell in row.find_all(["td", "th"])]
                if any(cells):
                    rows.append(" | ".join(cells))
            if rows:
                self.blocks.append("\n".join(rows))
        elif name != "hr":
            self.walk(tag)

    def list_block(self, tag: Tag, ordered: bool) -> None:
        lines: list[str] = []
        number = 0
        for item in tag.find_all("li", recursive=False) or [tag]:
            sub = _Walker()
            sub.walk(item)
            sub.flush()
            if not sub.blocks:
                continue
            number += 1
            marker = f"{number}. " if ordered else "- "
            body = "\n".join(sub.blocks).split("\n")
            lines.append(marker + body[0])
            lines.extend("  " + line for line in body[1:])
        if lines:
            self.blocks.append("\n".join(lines))
