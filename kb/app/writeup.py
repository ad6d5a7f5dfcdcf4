"""A stored write-up as safe markdown that reads like the original: headings, lists, tables, code and math.

The stored text is markdown-lite (``kb.text.clean``): ``#`` headings, ``-``/``1.`` list items, fenced code,
inline code in backticks, LaTeX kept as written (``$x$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``) and
table rows as cells joined by `` | ``. This module turns that structure back into markdown and escapes
everything else: no HTML tag, link, image, emoji shortcode or Streamlit directive in a write-up can take
effect (raw HTML is never enabled), and math that could carry a link (``\\href``, ``\\url``) stays text.

:func:`split_at_passage` finds the blocks that hold one passage (a search hit, a quote), so the document
view can mark it and scroll to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.app.render import code_block, escape_span
from kb.text.markdown import MATH_SPANS

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})(.*)$")
_ITEM = re.compile(r"^(\s*)([-*+•]|\d{1,3}[.)])\s+(.*)$")
# inline code, then the math spans the ingestion keeps
_INLINE = re.compile("|".join((r"(?P<code>(?P<ticks>`+)(?P<body>.+?)(?P=ticks))", *MATH_SPANS)), re.S)
# KaTeX commands that make links or HTML (off by default in KaTeX; kept as text here anyway)
_UNSAFE_MATH = re.compile(r"\\(?:href|url|html\w*|includegraphics)\b|<|>", re.I)
_ROW_SPLIT = " | "
PROBE_WORDS = 8


@dataclass(frozen=True)
class Block:
    """One block of the write-up: its markdown and the plain text it came from (to find passages in)."""

    markdown: str
    source: str


def inline_markdown(text: str, *, in_table: bool = False) -> str:
    """One line of write-up text as markdown: inline code and math kept, everything else escaped."""
    text = " ".join(str(text).split())
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(escape_span(text[pos:m.start()]))
        if m.group("code"):
            piece = _code_span(m.group("body"))
        else:
            math = next(g for g in (m.group("display"), m.group("bracket"), m.group("paren"), m.group("inline"))
                        if g is not None)
            piece = _math_span(math) or escape_span(m.group(0))
        out.append(piece.replace("|", "\\|") if in_table and not piece.startswith("\\") else piece)
        pos = m.end()
    out.append(escape_span(text[pos:]))
    return "".join(out)


def _code_span(body: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


def _math_span(body: str) -> str | None:
    """``$body$`` for KaTeX, or None when it is no formula worth rendering (or could carry a link)."""
    body = " ".join(body.split())
    if not body or _UNSAFE_MATH.search(body) or "$" in body:
        return None
    return f"${body}$"


def _display_math(line: str) -> str | None:
    """A paragraph that is one formula alone, as a display block."""
    m = _INLINE.fullmatch(line.strip())
    if not m or m.group("code"):
        return None
    body = m.group("display") or m.group("bracket")
    if body is None:
        return None
    span = _math_span(body)
    return f"$$\n{span[1:-1]}\n$$" if span else None


def table_markdown(rows: list[str]) -> str | None:
    """Rows of `` | ``-joined cells as a markdown table (the first row as its header), or None when they are
    not a table (fewer than two rows or fewer than two columns)."""
    cells = [row.split(_ROW_SPLIT) for row in rows]
    width = max(len(c) for c in cells)
    if len(cells) < 2 or width < 2 or sum(len(c) > 1 for c in cells) < len(cells):
        return None

    def line(row: list[str]) -> str:
        padded = row + [""] * (width - len(row))
        return "| " + " | ".join(inline_markdown(c, in_table=True) for c in padded) + " |"

    return "\n".join([line(cells[0]), "|" + " --- |" * width, *(line(c) for c in cells[1:])])


def writeup_blocks(text: str, *, top_level: int = 3) -> list[Block]:
    """The write-up as markdown blocks; headings shifted so that ``#`` renders at level ``top_level``."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    items: list[tuple[int, str, str]] = []  # (nesting level, marker, text)
    code: list[str] | None = None
    opener = info = ""

    def flush() -> None:
        if paragraph:
            blocks.append(_paragraph(paragraph))
            paragraph.clear()
        if items:
            blocks.append(Block(_list(items), " ".join(t for _, _, t in items)))
            items.clear()

    for raw in text.splitlines():
        line = raw.strip()
        fence = _FENCE.match(raw)
        if code is not None:
            if fence and fence.group(1)[0] == opener[0] and len(fence.group(1)) >= len(opener) and not fence.group(2):
                blocks.append(Block(code_block(code, info), "\n".join(code)))
                code = None
            else:
                code.append(raw.rstrip())
            continue
        if fence:
            flush()
            code, opener, info = [], fence.group(1), fence.group(2)
            continue
        heading = _HEADING.match(line)
        item = _ITEM.match(raw)
        if heading:
            flush()
            level = min(top_level + len(heading.group(1)) - 1, 6)
            title = heading.group(2).strip().rstrip("#").strip()
            if title:
                blocks.append(Block("#" * level + " " + inline_markdown(title), title))
        elif item:
            if paragraph:
                flush()
            indent, marker, body = item.groups()
            level = min(len(indent.expandtabs(4)) // 2, 4)
            items.append((level, marker, body))
        elif not line:
            flush()
        elif items:
            level, marker, body = items[-1]
            items[-1] = (level, marker, f"{body} {line}")  # a list item continued on the next line
        else:
            paragraph.append(line)
    if code is not None:
        blocks.append(Block(code_block(code, info), "\n".join(code)))
    flush()
    return blocks


def _paragraph(lines: list[str]) -> Block:
    source = " ".join(lines)
    if len(lines) >= 2 and all(_ROW_SPLIT in line for line in lines):
        table = table_markdown(lines)
        if table:
            return Block(table, source)
    display = _display_math(source) if len(lines) == 1 else None
    return Block(display or inline_markdown(source), source)


def _list(items: list[tuple[int, str, str]]) -> str:
    out = []
    for level, marker, body in items:
        mark = f"{marker[:-1]}." if marker[0].isdigit() else "-"
        out.append("    " * level + f"{mark} {inline_markdown(body)}")
    return "\n".join(out)


def document_markdown(text: str, *, top_level: int = 3) -> str:
    """The whole write-up as one safe markdown string."""
    return "\n\n".join(b.markdown for b in writeup_blocks(text, top_level=top_level))


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def passage_span(blocks: list[Block], passage: str) -> tuple[int, int] | None:
    """``(first, last)``: the blocks that hold the passage (a chunk of the write-up), or None.

    A block of five words or more that lies inside the passage, or one that holds a run of the passage's
    words (from its middle and its end: a passage may start with the last sentences of the one before),
    belongs to it; shorter blocks inside it (a heading) only join such blocks. The longest run wins."""
    text = _norm(passage)
    words = text.split()
    if not words:
        return None
    if len(words) <= PROBE_WORDS:
        probes = [text]
    else:
        middle = max(0, len(words) // 2 - PROBE_WORDS // 2)
        probes = [" ".join(words[middle:middle + PROBE_WORDS]), " ".join(words[-PROBE_WORDS:])]
    kinds: list[int] = []  # 2 strong, 1 weak, 0 outside
    for block in blocks:
        source = _norm(block.source)
        inside = bool(source) and source in text
        if (inside and len(source.split()) >= 5) or any(p in source for p in probes):
            kinds.append(2)
        else:
            kinds.append(1 if inside else 0)
    best: tuple[int, int] | None = None
    best_strong = 0
    start = None
    for i, kind in enumerate([*kinds, 0]):
        if kind and start is None:
            start = i
        elif not kind and start is not None:
            strong = kinds[start:i].count(2)
            if strong > best_strong:
                best, best_strong = (start, i - 1), strong
            start = None
    return best


def split_at_passage(text: str, passage: str, *, top_level: int = 3) -> tuple[str, str, str] | None:
    """The write-up as (markdown before the passage, the passage's blocks, after), or None when the passage
    is not found in it."""
    blocks = writeup_blocks(text, top_level=top_level)
    span = passage_span(blocks, passage)
    if span is None:
        return None
    first, last = span
    join = "\n\n".join
    return (join(b.markdown for b in blocks[:first]), join(b.markdown for b in blocks[first:last + 1]),
            join(b.markdown for b in blocks[last + 1:]))
