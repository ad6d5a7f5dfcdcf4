"""reStructuredText to markdown-lite: docutils' tree (nothing included or executed), else a line parser."""

from __future__ import annotations

import io
import logging
import re

from docutils import nodes

from kb.text.common import collapse, fence

log = logging.getLogger(__name__)

_SETTINGS = {
    "file_insertion_enabled": False,
    "raw_enabled": False,
    "report_level": 5,
    "halt_level": 5,
    "doctitle_xform": False,
    "sectsubtitle_xform": False,
    "input_encoding": "unicode",
    "_disable_config": True,
    "syntax_highlight": "none",
    "embed_stylesheet": False,
}
_SKIP = frozenset({
    "comment", "target", "substitution_definition", "system_message", "raw", "pending", "image",
    "transition", "problematic", "footnote", "citation", "meta", "generated",
})
_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")
_DIRECTIVE = re.compile(r"^\.\.\s+[\w:-]+::")
_OPTION = re.compile(r"^\s+:[\w -]+:")
_INLINE_LINK = re.compile(r"`([^`<]+?)\s*<[^>]+>`_{1,2}")
_INLINE_ROLE = re.compile(r":[\w:-]+:`([^`]+)`")
_INLINE_MARKUP = re.compile(r"``([^`]+)``|`([^`]+)`_{0,2}|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*")


def rst_to_lite(text: str) -> str:
    """Convert reST; docutils first, the line-based converter if docutils fails for any reason."""
    try:
        return _docutils_to_lite(text)
    except Exception as exc:  # docutils can fail in many ways on messy input
        log.debug("docutils failed, using the line parser: %s", exc)
        return _lines_to_lite(text)


def _docutils_to_lite(text: str) -> str:
    from docutils.core import publish_doctree

    settings = {**_SETTINGS, "warning_stream": io.StringIO()}
    tree = publish_doctree(text, settings_overrides=settings)
    return "\n\n".join(_blocks(tree, 0))


def _blocks(node: nodes.Node, depth: int) -> list[str]:
    out: list[str] = []
    for child in node.children:
        out.extend(_block(child, depth))
    return out


def _block(node: nodes.Node, depth: int) -> list[str]:
    name = _tag(node)
    classes = node.get("classes", []) if hasattr(node, "get") else []
    if name in _SKIP or (name == "topic" and "contents" in classes):
        return []
    if name == "section":
        title = next((child for child in node.children if _tag(child) == "title"), None)
        heading = collapse(title.astext()) if title is not None else ""
        rest = [child for child in node.children if child is not title]
        out = [f"{'#' * min(depth + 1, 6)} {heading}"] if heading else []
        for child in rest:
            out.extend(_block(child, depth + 1))
        return out
    if name in ("title", "subtitle"):
        text = collapse(node.astext())
        return [f"{'#' * min(depth + 1, 6)} {text}"] if text else []
    if name in ("paragraph", "caption", "attribution", "rubric"):
        text = collapse(_inline_text(node))
        return [text] if text else []
    if name in ("literal_block", "doctest_block"):
        lang = next((c for c in classes if c not in ("code", "literal-block")), "")
        code = fence(node.astext(), lang)
        return [code] if code else []
    if name in ("bullet_list", "enumerated_list") and isinstance(node, nodes.Element):
        return _list(node, depth, ordered=name == "enumerated_list")
    if name == "definition_list":
        lines: list[str] = []
        for item in node.children:
            for part in item.children:
                if _tag(part) == "definition":
                    lines.extend("  " + line for line in "\n".join(_blocks(part, depth)).split("\n"))
                else:
                    lines.append(collapse(part.astext()))
        return ["\n".join(line for line in lines if line.strip())]
    if name == "field_list":
        fields = [f"{collapse(f.children[0].astext())}: {collapse(f.children[1].astext())}"
                  for f in node.children if len(f.children) == 2]
        return ["\n".join(fields)] if fields else []
    if name == "table":
        rows = [" | ".join(collapse(cell.astext()) for cell in row.children) for row in node.findall(_is_row)]
        rows = [row for row in rows if row.strip(" |")]
        return ["\n".join(rows)] if rows else []
    if name == "line_block":
        lines = [collapse(line.astext()) for line in node.findall(_is_line)]
        return ["\n".join(line for line in lines if line)] if any(lines) else []
    if name == "#text":
        text = collapse(node.astext())
        return [text] if text else []
    return _blocks(node, depth)


def _tag(node: nodes.Node) -> str:
    """The node's element name (``#text`` for text)."""
    return str(getattr(node, "tagname", ""))


def _is_row(node: nodes.Node) -> bool:
    return _tag(node) == "row"


def _is_line(node: nodes.Node) -> bool:
    return _tag(node) == "line"


def _inline_text(node: nodes.Node) -> str:
    parts = []
    for child in node.children:
        if _tag(child) in ("image", "footnote_reference", "citation_reference", "problematic", "target"):
            continue
        if _tag(child) == "literal":
            parts.append(f"`{child.astext()}`")
        elif _tag(child) == "#text":
            parts.append(child.astext())
        else:
            parts.append(_inline_text(child))
    return "".join(parts)


def _list(node: nodes.Element, depth: int, ordered: bool) -> list[str]:
    lines: list[str] = []
    number = int(node.get("start", 1)) if ordered else 0
    for item in node.children:
        body = "\n".join(_blocks(item, depth)).split("\n")
        if not any(line.strip() for line in body):
            continue
        marker = f"{number}. " if ordered else "- "
        number += 1
        lines.append(marker + body[0])
        lines.extend("  " + line for line in body[1:])
    return ["\n".join(lines)] if lines else []


def _inline_line(line: str) -> str:
    line = _INLINE_LINK.sub(r"\1", line)
    line = _INLINE_ROLE.sub(r"\1", line)
    return _INLINE_MARKUP.sub(_markup, line)


def _markup(match: re.Match[str]) -> str:
    if match.group(1):
        return f"`{match.group(1)}`"
    return next(group for group in match.groups() if group)


def _lines_to_lite(text: str) -> str:
    """Headings from underline/overline adornments (levels in order of first appearance), text kept."""
    lines = text.replace("\r\n", "\n").split("\n")
    styles: list[tuple[str, bool]] = []
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        over = bool(_ADORNMENT.match(line)) and i + 2 < len(lines) and lines[i + 2].strip() == line.strip()
        title_at = i + 1 if over else i
        below = lines[title_at + 1] if title_at + 1 < len(lines) else ""
        title = lines[title_at].strip() if title_at < len(lines) else ""
        if title and not _ADORNMENT.match(lines[title_at]) and _ADORNMENT.match(below) \
                and len(below.strip()) >= min(len(title), 3):
            style = (below.strip()[0], over)
            if style not in styles:
                styles.append(style)
            out.extend(["", f"{'#' * min(styles.index(style) + 1, 6)} {_inline_line(title)}", ""])
            i = title_at + 2
            continue
        if _DIRECTIVE.match(line) or _OPTION.match(line) or _ADORNMENT.match(line):
            i += 1
            continue
        out.append(_inline_line(line))
        i += 1
    return "\n".join(out)
