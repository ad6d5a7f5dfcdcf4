"""Heading-aware chunking of the markdown-lite text produced by :mod:`kb.text.clean`.

The text is cut into sections at ``#`` headings (the heading stack gives each section its path),
and each section's paragraphs are packed into passages of about ``target_words``. Rules:

- A paragraph longer than the target is split at line breaks, then sentence ends, then words
  (for CJK text without spaces: characters).
- Consecutive passages of one section overlap: a passage starts with the last sentences (about
  ``overlap_words``) of the passage before it, unless that one ended in a code block or the
  overlap would push the passage past ``max_words``.
- A section with fewer than ``min_words`` words is merged with the sections that follow it until the
  group reaches ``min_words``; a tiny last section joins the group before it, and a document of at
  most ``target_words`` words is a single group. When a section joins a group that already has text,
  its heading title is kept as a line inside the passage. A passage takes the heading path of the
  section that holds at least half of its words, else the longest path its sections share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_DENSE = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kana and Han: one word each
_HANGUL = "\uac00-\ud7af"  # Hangul syllables: half a word each (Korean also uses spaces)
_DENSE_RE = re.compile(f"[{_DENSE}]")
_HANGUL_RE = re.compile(f"[{_HANGUL}]")
_TOKEN_RE = re.compile(f"[{_DENSE}]|[{_HANGUL}]|[^\\s{_DENSE}{_HANGUL}]+")
_OTHER_RE = re.compile(f"[^\\s{_DENSE}{_HANGUL}]+")
_LINE_CUT = re.compile(r"\n+")
_SENTENCE_CUT = re.compile(r"(?<=[.!?;:])[\"')\]]*\s+|(?<=[。！？；])\s*")


@dataclass(frozen=True)
class Chunk:
    """One passage of a document."""

    position: int
    heading_path: str
    text: str


@dataclass(frozen=True)
class _Block:
    text: str
    words: int
    path: tuple[str, ...]
    kind: str = "text"  # "text", "code", "heading" (a merged section's title) or "overlap"


def count_words(text: str) -> int:
    """Whitespace-separated words; a Han/kana character counts as one word, a Hangul syllable as half."""
    dense = len(_DENSE_RE.findall(text))
    hangul = len(_HANGUL_RE.findall(text))
    other = len(_OTHER_RE.findall(text))
    return dense + other + (hangul + 1) // 2


def embedding_text(chunk: Chunk, title: str | None) -> str:
    """The chunk with its document title and heading path on top, for embedding and display."""
    header = [line for line in (title or "", chunk.heading_path) if line]
    if len(header) == 2 and header[0] == header[1]:
        header.pop()
    return "\n".join(header) + "\n\n" + chunk.text if header else chunk.text


def _sections(text: str) -> list[tuple[tuple[str, ...], list[_Block]]]:
    """Split markdown-lite text into (heading path, blocks) sections; fenced code stays one block."""
    sections: list[tuple[tuple[str, ...], list[_Block]]] = [((), [])]
    stack: list[tuple[int, str]] = []
    buf: list[str] = []
    fence = ""

    def flush(kind: str = "text") -> None:
        body = "\n".join(buf).strip("\n")
        buf.clear()
        if body.strip():
            path = sections[-1][0]
            sections[-1][1].append(_Block(body, count_words(body), path, kind))

    for line in text.splitlines():
        marker = _FENCE.match(line)
        if fence:
            buf.append(line)
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = ""
                flush("code")
            continue
        if marker:
            flush()
            fence = marker.group(1)
            buf.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading.group(2).strip()))
            sections.append((tuple(title for _, title in stack), []))
        elif not line.strip():
            flush()
        else:
            buf.append(line)
    flush("code" if fence else "text")
    return sections


def _groups(sections: list[tuple[tuple[str, ...], list[_Block]]], min_words: int,
            target_words: int) -> list[list[_Block]]:
    """Merge tiny sections into their followers so that each group holds at least ``min_words``."""
    total = sum(block.words for _, blocks in sections for block in blocks)
    groups: list[list[_Block]] = []
    open_group = False
    for path, blocks in sections:
        if not blocks:
            continue
        if groups and (open_group or total <= target_words):
            if path:
                title = path[-1]
                groups[-1].append(_Block(title, count_words(title), path, "heading"))
            groups[-1].extend(blocks)
        else:
            groups.append(list(blocks))
        open_group = sum(block.words for block in groups[-1]) < min_words
    if len(groups) > 1 and open_group:
        tail = groups.pop()
        path = tail[0].path
        if path:
            groups[-1].append(_Block(path[-1], count_words(path[-1]), path, "heading"))
        groups[-1].extend(tail)
    return groups


def _units(text: str, level: int) -> list[str]:
    """``text`` cut after line breaks (level 0), sentence ends (1) or before each word (2)."""
    if level == 0:
        ends = [m.end() for m in _LINE_CUT.finditer(text)]
    elif level == 1:
        ends = [m.end() for m in _SENTENCE_CUT.finditer(text)]
    else:
        ends = [m.start() for m in _TOKEN_RE.finditer(text)]
    units: list[str] = []
    start = 0
    for end in [*ends, len(text)]:
        if end > start:
            units.append(text[start:end])
            start = end
    return units


def _cut(text: str, limit: int, level: int = 0) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` words at lines, then sentences, then words."""
    if count_words(text) <= limit:
        return [text]
    units = _units(text, level)
    if len(units) < 2 and level < 2:
        return _cut(text, limit, level + 1)
    pieces: list[str] = []
    current, current_words = "", 0
    for unit in units:
        words = count_words(unit)
        if words > limit and level < 2:
            if current.strip():
                pieces.append(current.strip())
            pieces.extend(_cut(unit.strip(), limit, level + 1))
            current, current_words = "", 0
            continue
        if current_words + words > limit and current.strip():
            pieces.append(current.strip())
            current, current_words = "", 0
        current += unit
        current_words += words
    if current.strip():
        pieces.append(current.strip())
    return pieces


def _split_block(block: _Block, limit: int) -> list[_Block]:
    if block.words <= limit:
        return [block]
    if block.kind == "code":
        lines = block.text.split("\n")
        opening = lines[0]
        closing = lines[-1] if len(lines) > 1 and _FENCE.match(lines[-1]) else ""
        inner = "\n".join(lines[1:-1] if closing else lines[1:])
        fence = _FENCE.match(opening)
        closing = closing or (fence.group(1) if fence else "```")
        pieces = [f"{opening}\n{piece}\n{closing}" for piece in _cut(inner, limit)]
    else:
        pieces = _cut(block.text, limit)
    return [_Block(piece, count_words(piece), block.path, block.kind) for piece in pieces if piece.strip()]


def _tail(block: _Block, overlap_words: int) -> _Block | None:
    """The last sentences of ``block`` (about ``overlap_words`` words), to open the next passage."""
    if overlap_words <= 0 or block.kind != "text":
        return None
    units = _units(block.text, 1)
    start = len(units)
    words = 0
    while start > 0 and words + count_words(units[start - 1]) <= overlap_words:
        start -= 1
        words += count_words(units[start])
    text = "".join(units[start:]).strip()
    if not text:
        tokens = list(_TOKEN_RE.finditer(block.text))
        text = block.text[tokens[-overlap_words].start():] if len(tokens) > overlap_words else ""
    if not text or text == block.text.strip():
        return None
    return _Block(text, count_words(text), block.path, "overlap")


def _passage_path(blocks: list[_Block]) -> tuple[str, ...]:
    """The path of the section holding at least half the words, else the paths' common prefix."""
    weights: dict[tuple[str, ...], int] = {}
    for block in blocks:
        if block.kind not in ("overlap", "heading"):
            weights[block.path] = weights.get(block.path, 0) + block.words
    if not weights:
        return blocks[0].path
    dominant = max(weights, key=lambda path: weights[path])  # max keeps the first of equal weights
    if weights[dominant] * 2 >= sum(weights.values()):
        return dominant
    prefix = dominant
    for path in weights:
        while path[:len(prefix)] != prefix:
            prefix = prefix[:-1]
    return prefix


def _pack(group: list[_Block], target: int, maximum: int, minimum: int, overlap: int) -> list[list[_Block]]:
    pieces = [piece for block in group for piece in _split_block(block, target)]
    remaining = sum(piece.words for piece in pieces)
    passages: list[list[_Block]] = []
    current: list[_Block] = []
    words = 0
    has_content = False
    for piece in pieces:
        fits_all = words + remaining <= maximum
        too_small = words < minimum and words + piece.words <= maximum
        if has_content and words + piece.words > target and not fits_all and not too_small:
            carried: list[_Block] = []  # a merged section's title moves on with the section's text
            while current[-1].kind == "heading":
                carried.insert(0, current.pop())
            passages.append(current)
            lead = _tail(current[-1], overlap)
            current = carried
            words = sum(block.words for block in carried)
            if lead and lead.words + words + piece.words <= maximum:
                current = [lead, *carried]
                words += lead.words
            has_content = False
        current.append(piece)
        words += piece.words
        remaining -= piece.words
        has_content = has_content or piece.kind != "heading"
    if current:
        passages.append(current)
    return passages


def chunk_text(text: str, *, target_words: int = 220, max_words: int = 300, min_words: int = 60,
               overlap_words: int = 30) -> list[Chunk]:
    """Cut markdown-lite ``text`` into heading-aware passages; see the module docstring for the rules."""
    if not 0 < min_words <= target_words <= max_words or not 0 <= overlap_words < target_words:
        raise ValueError("need 0 < min_words <= target_words <= max_words, 0 <= overlap_words < target_words")
    sections = _sections(text)
    groups = _groups(sections, min_words, target_words)
    if not groups:
        titles = [path[-1] for path, _ in sections if path and path[-1].strip()]
        if not titles:
            return []  # headings without words ("# " alone) are not a passage
        return [Chunk(0, " > ".join(sections[-1][0]), "\n".join(titles))]
    chunks: list[Chunk] = []
    for group in groups:
        for passage in _pack(group, target_words, max_words, min_words, overlap_words):
            body = "\n\n".join(block.text for block in passage).strip()
            if body:
                chunks.append(Chunk(len(chunks), " > ".join(_passage_path(passage)), body))
    return chunks
