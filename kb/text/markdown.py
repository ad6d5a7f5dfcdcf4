"""Markdown to markdown-lite: front matter, Jekyll/Hugo template tags, math, then markdown-it tokens."""

from __future__ import annotations

import datetime as dt
import html
import re
import tomllib
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from kb.text import safe_yaml
from kb.text.common import collapse, fence
from kb.text.html import fragment_to_lite

_YAML_FM = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*$\n?", re.S | re.M)
_TOML_FM = re.compile(r"\A\+\+\+[ \t]*\n(.*?)^\+\+\+[ \t]*$\n?", re.S | re.M)
_YAML_LINE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(.*))?$")
_YAML_LIST_ITEM = re.compile(r"^\s+- ")
_TOML_LINE = re.compile(r"^\s*([\w.-]+)\s*=\s*(.+?)\s*$")
_FENCE_LINE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HIGHLIGHT = re.compile(r"^\s*\{%-?\s*highlight\s+([\w+#.-]+)[^%]*-?%\}\s*$")
_END_HIGHLIGHT = re.compile(r"^\s*\{%-?\s*endhighlight\s*-?%\}\s*$")
_LIQUID_TAG = re.compile(r"\{%-?.*?-?%\}")
_LIQUID_VAR = re.compile(r"\{\{[^{}\n]*\}\}")
_SHORTCODE = re.compile(r"\{\{[<%](.*?)[>%]\}\}")
_SHORTCODE_TEXT = re.compile(r"\b(?:caption|title)\s*=\s*\"([^\"]*)\"")
# the LaTeX spans kept verbatim through cleaning (the app renders the same shapes as math: kb/app/writeup.py)
MATH_SPANS = (
    r"\$\$(?P<display>[^$]+?)\$\$",
    r"\\\[(?P<bracket>.+?)\\\]",
    r"\\\((?P<paren>.+?)\\\)",
    r"(?<![\\$\w])\$(?P<inline>(?=[^\s$])[^$\n`]+?(?<=[^\s\\$]))\$(?![\d$])",
)
_MATH = re.compile("|".join(MATH_SPANS), re.S)
_PRE = re.compile(r"^(`{3,}|~{3,}).*?^\1|<pre\b[^>]*>(.*?)</pre>", re.M | re.S | re.I)
_ANY_TAG = re.compile(r"<[^>]+>")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_IAL = re.compile(
    r"\{:\s*(?:toc|[.#][A-Za-z][\w-]*|[A-Za-z][\w-]*=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))"
    r"(?:\s+(?:[.#][A-Za-z][\w-]*|[A-Za-z][\w-]*=(?:\"[^\"]*\"|'[^']*'|[^\s}]+)))*\s*\}"
)
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\](?!:)")
# Links markdown-it could not parse (spaces or a missing ")" in the target), outside inline code.
_LEFTOVER_LINK = re.compile(
    r"(`[^`\n]*`)"
    r"|!?\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)"
    r"|!?\[([^\]\n]*)\]\((?:https?://|www\.)[^\s)'\"]*\)?"
)
_BR = re.compile(r"<br\s*/?>", re.I)
_SOFT = "\ue002"  # a soft line break inside a paragraph, until the paragraph knows which lines are table rows
_SEPARATOR_CELL = re.compile(r"^:?-{2,}:?$")

_MD = MarkdownIt("commonmark").enable("table")


def _meta_value(value: Any) -> str | None:
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        items = [_meta_value(item) for item in value]
        return ", ".join(item for item in items if item) or None
    return str(value).strip() or None


def _meta(data: dict[Any, Any]) -> dict[str, str]:
    pairs = ((str(key), _meta_value(value)) for key, value in data.items())
    return {key: value for key, value in pairs if value}


def _toml(body: str) -> dict[Any, Any] | None:
    try:
        return tomllib.loads(body)
    except tomllib.TOMLDecodeError:
        pass
    data: dict[str, str] = {}
    for line in body.splitlines():
        match = _TOML_LINE.match(line)
        if match:
            data[match.group(1)] = match.group(2).strip("[]").replace('"', "").replace("'", "").strip()
    return data or None


def _yaml(body: str) -> Any:
    """YAML as Jekyll reads it: a tab after a colon is tolerated, and plain ``key: value`` lines
    that YAML rejects (an unquoted colon or bracket) still give their fields."""
    for candidate in (body, body.replace("\t", " ")):
        try:
            return safe_yaml.parse(candidate)
        except yaml.YAMLError:
            continue
    data: dict[str, str] = {}
    for line in body.splitlines():
        if not line.strip() or _YAML_LIST_ITEM.match(line):
            continue
        field = _YAML_LINE.match(line)
        if not field:
            return None
        data[field.group(1)] = (field.group(2) or "").strip().strip("\"'")
    return data or None


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """(front-matter fields as strings, the rest). Front matter that does not parse stays in the text,
    without its ``---`` delimiters, so it reads as a plain paragraph."""
    match = _YAML_FM.match(text)
    if match:
        data = _yaml(match.group(1))
        if isinstance(data, dict):
            return _meta(data), text[match.end():]
        if data is None and match.group(1).strip():
            return {}, match.group(1) + "\n" + text[match.end():]
        return {}, text
    match = _TOML_FM.match(text)
    if match:
        data = _toml(match.group(1))
        return (_meta(data), text[match.end():]) if data else ({}, match.group(1) + "\n" + text[match.end():])
    return {}, text


def _pre_blocks(text: str) -> str:
    """Raw ``<pre>`` blocks (notebook exports) become fences; inside HTML they would end at a blank line."""

    def replace(match: re.Match[str]) -> str:
        if match.group(2) is None:
            return match.group(0)
        code = html.unescape(_ANY_TAG.sub("", match.group(2)))
        return "\n\n" + fence(code) + "\n\n" if code.strip() else ""

    return _PRE.sub(replace, text)


def _shortcode(match: re.Match[str]) -> str:
    found = _SHORTCODE_TEXT.search(match.group(1))
    return found.group(1) if found else ""


def _template_tags(text: str) -> str:
    """Jekyll ``{% highlight %}`` blocks become fences; other Liquid and Hugo tags go (captions stay)."""
    out: list[str] = []
    fence_marker = ""
    in_highlight = False
    for line in text.split("\n"):
        if in_highlight:
            if _END_HIGHLIGHT.match(line):
                line, in_highlight = "```", False
            out.append(line)
            continue
        marker = _FENCE_LINE.match(line)
        if fence_marker:
            if marker and marker.group(1)[0] == fence_marker[0] and len(marker.group(1)) >= len(fence_marker):
                fence_marker = ""
            out.append(line)
            continue
        if marker:
            fence_marker = marker.group(1)
            out.append(line)
            continue
        highlight = _HIGHLIGHT.match(line)
        if highlight:
            out.append("```" + highlight.group(1))
            in_highlight = True
            continue
        line = _SHORTCODE.sub(_shortcode, line)
        line = _LIQUID_VAR.sub("", _LIQUID_TAG.sub("", line))
        out.append(line)
    if in_highlight:
        out.append("```")
    return "\n".join(out)


def _unlink(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1)
    text = match.group(2) if match.group(2) is not None else match.group(3)
    return "" if match.group(0).startswith("!") else text


class _Renderer:
    """Turns markdown-it's syntax tree into markdown-lite blocks."""

    def blocks(self, node: SyntaxTreeNode) -> list[str]:
        out: list[str] = []
        for child in node.children:
            out.extend(self.block(child))
        return out

    def block(self, node: SyntaxTreeNode) -> list[str]:
        kind = node.type
        if kind == "heading":
            text = collapse(self.inline(node.children[0])) if node.children else ""
            return [f"{'#' * int(node.tag[1])} {text}"] if text else []
        if kind == "paragraph":
            return self.paragraph(node)
        if kind in ("bullet_list", "ordered_list"):
            return self.list_block(node, ordered=kind == "ordered_list")
        if kind == "code_block" and not _ANY_TAG.sub("", node.content).strip():
            return []  # an indented closing tag of an HTML block, not code
        if kind in ("fence", "code_block"):
            code = fence(node.content, node.info if kind == "fence" else "")
            return [code] if code else []
        if kind == "html_block":
            text = fragment_to_lite(node.content)
            return [text] if text.strip() else []
        if kind == "table":
            return self.table(node)
        if kind == "hr":
            return []
        return self.blocks(node)

    def paragraph(self, node: SyntaxTreeNode) -> list[str]:
        """A paragraph's text; pipe-table rows inside it (a table markdown did not recognise: no blank line
        before it, or a separator row of the wrong width) become a table block of their own."""
        raw = _LEFTOVER_LINK.sub(_unlink, "".join(self.inline(child, soft=_SOFT) for child in node.children))
        blocks: list[str] = []
        prose: list[str] = []
        rows: list[str] = []
        for line in raw.split(_SOFT):
            cells = _pipe_row(line)
            if cells is None:
                if rows:
                    blocks.append("\n".join(rows))
                    rows = []
                prose.append(line)
                continue
            if prose:
                blocks.append(_prose(" ".join(prose)))
                prose = []
            if not all(_SEPARATOR_CELL.match(c) for c in cells):
                rows.append(" | ".join(cells))
        blocks.extend(["\n".join(rows)] if rows else [])
        blocks.extend([_prose(" ".join(prose))] if prose else [])
        return [b for b in blocks if b]

    def inline(self, node: SyntaxTreeNode, soft: str = " ") -> str:
        out: list[str] = []
        for child in node.children:
            kind = child.type
            if kind == "text":
                out.append(_FOOTNOTE_REF.sub("", _IAL.sub("", child.content)))
            elif kind == "softbreak":
                out.append(soft)
            elif kind == "hardbreak":
                out.append("\n")
            elif kind == "code_inline":
                out.append(f"`{child.content}`")
            elif kind == "html_inline":
                out.append("\n" if _BR.match(child.content) else "")
            elif kind != "image":
                out.append(self.inline(child, soft))
        return "".join(out)

    def list_block(self, node: SyntaxTreeNode, ordered: bool) -> list[str]:
        number = int(str(node.attrs.get("start", 1))) if ordered else 0
        lines: list[str] = []
        for item in node.children:
            body = "\n".join(self.blocks(item)).split("\n")
            if not any(line.strip() for line in body):
                continue
            marker = f"{number}. " if ordered else "- "
            number += 1
            if _FENCE_LINE.match(body[0]):
                lines.append(marker.rstrip())
                lines.extend("  " + line for line in body)
            else:
                lines.append(marker + body[0])
                lines.extend("  " + line for line in body[1:])
        return ["\n".join(lines)] if lines else []

    def table(self, node: SyntaxTreeNode) -> list[str]:
        rows: list[str] = []
        for section in node.children:
            for row in section.children:
                cells = [collapse(self.inline(cell.children[0])) if cell.children else ""
                         for cell in row.children]
                if any(cells):
                    rows.append(" | ".join(cells))
        return ["\n".join(rows)] if rows else []


def _prose(raw: str) -> str:
    """Paragraph text with its hard line breaks kept and whitespace folded."""
    return "\n".join(line for line in (collapse(part) for part in raw.split("\n")) if line)


def _pipe_row(line: str) -> list[str] | None:
    """The cells of a line written as a pipe-table row (``| a | b |``), else None."""
    text = line.strip()
    if len(text) < 3 or not (text.startswith("|") and text.endswith("|")) or "\n" in text:
        return None
    cells = [collapse(c) for c in text[1:-1].split("|")]
    return cells if len(cells) >= 2 else None


def markdown_to_lite(text: str) -> str:
    """Render markdown (front matter already removed) as markdown-lite blocks joined by blank lines."""
    maths: list[str] = []

    def protect(match: re.Match[str]) -> str:
        span = match.group(0)
        if "\n\n" in span or "```" in span:
            return span
        if span.startswith(("\\[", "\\(")) and not re.search(r"[\\^_=]", span[2:-2]):
            return span  # escaped brackets such as \[8\], not LaTeX
        maths.append(span)
        return f"\ue000{len(maths) - 1}\ue001"

    text = _MATH.sub(protect, text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _template_tags(_pre_blocks(text))
    rendered = "\n\n".join(_Renderer().blocks(SyntaxTreeNode(_MD.parse(text))))
    return _PLACEHOLDER.sub(lambda m: maths[int(m.group(1))], rendered)
