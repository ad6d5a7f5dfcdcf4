"""Bytes to text: binary sniffing and charset decoding that survives wrong or missing declarations."""

from __future__ import annotations

import codecs
import re

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"BZh", "bzip2 data"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x7fELF", "ELF executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE document"),
    (b"\x93NUMPY", "numpy array"),
    (b"\x80\x04\x95", "pickle data"),
)

# Control bytes that never appear in text (tab, newline, form feed, carriage return and ESC excluded).
_CONTROL = frozenset(set(range(0x00, 0x09)) | {0x0B, 0x0E, 0x0F} | set(range(0x10, 0x1B)) | {0x1C, 0x1D, 0x1E, 0x1F, 0x7F})
_CJK_CHAR = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# Charsets whose declared name we widen to the superset browsers actually use.
_WIDEN = {"latin-1": "cp1252", "latin1": "cp1252", "iso-8859-1": "cp1252", "iso8859-1": "cp1252",
          "ascii": "cp1252", "us-ascii": "cp1252", "gb2312": "gb18030", "gbk": "gb18030"}


def binary_reason(raw: bytes) -> str | None:
    """Why ``raw`` looks like binary data rather than text, or None when it looks like text."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return None
    if raw[8:12] == b"WEBP" and raw.startswith(b"RIFF"):
        return "WebP image"
    for magic, name in _MAGIC:
        if raw.startswith(magic):
            return name
    head = raw[:8192]
    if b"\x00" in head:
        return "contains NUL bytes"
    if head:
        controls = sum(1 for byte in head if byte in _CONTROL)
        if controls / len(head) > 0.05:
            return f"{controls} control bytes in the first {len(head)}"
    return None


def looks_binary(raw: bytes) -> bool:
    """True when ``raw`` is binary data (NUL bytes, control characters or a known file signature)."""
    return binary_reason(raw) is not None


def _strict(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _gb_plausible(raw: bytes) -> str | None:
    """Decode as GB18030 when the multibyte pairs sit in the common GB2312 area (real Chinese text).

    Latin-1 accents followed by ASCII letters also form valid GBK pairs, but their trail bytes fall
    below 0xA1, which GB2312 text never uses; that is what tells the two apart.
    """
    text = _strict(raw, "gb18030")
    if text is None:
        return None
    pairs = re.findall(rb"[\x81-\xfe][\x40-\xfe]", raw)
    if not pairs:
        return None
    common = sum(1 for pair in pairs if 0xA1 <= pair[0] <= 0xF7 and pair[1] >= 0xA1)
    if common / len(pairs) < 0.9 or not _CJK_CHAR.search(text):
        return None
    return text


def _normalizer_guess(raw: bytes) -> str | None:
    from charset_normalizer import from_bytes

    try:
        best = from_bytes(raw).best()
    except Exception:  # noqa: BLE001 - the detector is a heuristic; any failure means "no guess"
        return None
    return None if best is None else str(best)


def decode_bytes(raw: bytes, declared_charset: str | None = None) -> str:
    """Decode ``raw`` to text: BOM, then a declared charset that fits, then UTF-8, then detection."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom):].decode(encoding, errors="replace")
    is_ascii = raw.isascii()
    utf8 = _strict(raw, "utf-8")
    if declared_charset:
        name = declared_charset.strip().strip("'\"").lower()
        text = _strict(raw, _WIDEN.get(name, name))
        # A single-byte declaration "succeeds" on any bytes; valid multibyte UTF-8 beats it.
        if text is not None and (is_ascii or utf8 is None or name.replace("_", "-") in ("utf-8", "utf8")):
            return text
    if utf8 is not None:
        return utf8
    for guess in (_gb_plausible(raw), _normalizer_guess(raw), _strict(raw, "cp1252")):
        if guess is not None:
            return guess
    return raw.decode("utf-8", errors="replace")
