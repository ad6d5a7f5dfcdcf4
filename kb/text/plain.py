"""Plain text to markdown-lite: paragraphs kept, a few unmistakable heading shapes promoted."""

from __future__ import annotations

import re

_DECORATION = re.compile(r"^\s*([#=*\-_~+])\1{2,}\s*$")
_UNDERLINE = re.compile(r"^\s*(=|-)\1{2,}\s*$")
_COMMENT_BANNER = re.compile(r"^\s*#+\s?(.*?)\s*#*\s*$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)[.)]?\s+[A-Z(]")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_MAX_HEADING_WORDS = 12


def _short(line: str) -> bool:
    fits = 0 < len(line.split()) <= _MAX_HEADING_WORDS and len(line) <= 80
    return fits and not line.endswith((".", ",", ";", ":"))


def _all_caps(line: str) -> bool:
    return sum(1 for char in line if char.isupper()) >= 3 and not any(char.islower() for char in line)


def _heading_level(line: str, before: str, after: str) -> int:
    """The heading level of a standalone body line, or 0 when it reads as text."""
    if not _short(line) or before.strip():
        return 0
    numbered = _NUMBERED.match(line)
    if numbered and (not after.strip() or after.startswith((" ", "\t"))):
        return min(2 + numbered.group(1).count("."), 6)
    if _all_caps(line) and not after.strip() and len(line.split()) <= 8:
        return 2
    return 0


def plain_to_lite(text: str) -> str:
    """Keep paragraphs and line breaks; underlined, ALL-CAPS and ``1. Title`` lines become headings."""
    raw = [line.rstrip().expandtabs(4) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines: list[tuple[str, int]] = []  # (text, heading level; 0 for body text, -1 inside a code fence)
    i = 0
    fence = ""
    while i < len(raw):
        line = raw[i]
        marker = _FENCE.match(line)
        if fence or marker:
            if marker and not fence:
                fence = marker.group(1)
            elif marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = ""
            lines.append((line, -1))
            i += 1
            continue
        underline = _UNDERLINE.match(raw[i + 1]) if i + 1 < len(raw) else None
        if line.strip() and underline and _short(line.strip()) and not _DECORATION.match(line):
            lines.append((line.strip().lstrip("#").strip(), 1 if underline.group(1) == "=" else 2))
            i += 2
            continue
        if _DECORATION.match(line):
            line = ""
        elif line.lstrip().startswith("#"):
            banner = _COMMENT_BANNER.match(line)
            line = banner.group(1) if banner else ""
        lines.append((line, 0))
        i += 1
    out: list[str] = []
    for n, (line, level) in enumerate(lines):
        if level == -1:
            out.append(line)
            continue
        if not level and line.strip():
            before = lines[n - 1][0] if n > 0 and lines[n - 1][1] == 0 else ""
            after = lines[n + 1][0] if n + 1 < len(lines) and lines[n + 1][1] == 0 else ""
            level = _heading_level(line.strip(), before, after)
        out.extend(["", "#" * level + " " + line.strip(), ""] if level else [line])
    return "\n".join(out)
