"""Pieces shared by the text cleaners: code fences, inline clean-up and the final whitespace pass."""

from __future__ import annotations

import re
import unicodedata

MAX_CODE_LINES = 40

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_LINE_BREAKS = re.compile("[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()]*\))+(?:\s+\"[^\"]*\")?\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def fence(code: str, info: str = "") -> str:
    """A fenced code block, truncated after ``MAX_CODE_LINES`` lines with a ``...`` line."""
    lines = [line.rstrip() for line in code.expandtabs(4).strip("\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return ""
    if len(lines) > MAX_CODE_LINES:
        lines = [*lines[:MAX_CODE_LINES], "..."]
    longest = max((len(m.group(1)) for m in map(_FENCE.match, lines) if m), default=0)
    marker = "`" * max(3, longest + 1)
    info = info.strip().split()[0] if info.strip() else ""
    info = re.sub(r"[^\w+#.-]", "", info)
    return "\n".join([marker + info, *lines, marker])


def strip_inline_markdown(text: str) -> str:
    """Reduce markdown images, links and bold markers left inside raw HTML to plain text."""
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    return _MD_EMPHASIS.sub(r"\2", text)


def collapse(text: str) -> str:
    """Inline text with runs of whitespace (newlines included) folded to one space."""
    return _SPACES.sub(" ", re.sub(r"\s+", " ", _INVISIBLE.sub("", text))).strip()


def normalize(text: str) -> str:
    """Final pass: NFC, no invisible characters, single spaces, no trailing spaces, one blank line
    between blocks and around headings; code fences keep their indentation."""
    text = _LINE_BREAKS.sub("\n", text.replace("\r\n", "\n"))
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    out: list[str] = []
    fence_marker = ""
    for line in text.split("\n"):
        marker = _FENCE.match(line)
        if fence_marker:
            out.append(line.rstrip())
            if marker and marker.group(1)[0] == fence_marker[0] and len(marker.group(1)) >= len(fence_marker):
                fence_marker = ""
                out.append("")
            continue
        if marker:
            fence_marker = marker.group(1)
            if out and out[-1]:
                out.append("")
            out.append(line.strip())
            continue
        indent = ""
        if _LIST_ITEM.match(line) and out and _LIST_ITEM.match(out[-1]):  # nested items keep their indent
            indent = " " * min(len(line) - len(line.lstrip(" ")), 8)
        line = _SPACES.sub(" ", line).strip()
        if line.startswith("#") and re.match(r"#{1,6} ", line):
            if out and out[-1]:
                out.append("")
            out.extend([line, ""])
            continue
        out.append(indent + line if line else "")
    if fence_marker:
        out.append(fence_marker)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def first_heading(text: str, level: int = 1) -> str | None:
    """The text of the first heading of ``level`` in markdown-lite ``text`` (outside code), if any."""
    prefix = "#" * level + " "
    fence_marker = ""
    for line in text.split("\n"):
        marker = _FENCE.match(line)
        if fence_marker:
            if marker and marker.group(1)[0] == fence_marker[0] and len(marker.group(1)) >= len(fence_marker):
                fence_marker = ""
        elif marker:
            fence_marker = marker.group(1)
        elif line.startswith(prefix) and line[len(prefix):].strip():
            return line[len(prefix):].strip()
    return None
