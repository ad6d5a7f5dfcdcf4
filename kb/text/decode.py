"""Bytes to text: binary sniffing and charset decoding that survives wrong or missing declarations."""

from __future__ import annotations

import codecs
import re
import unicodedata

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
_CONTROL = frozenset([*range(0x00, 0x09), 0x0B, 0x0E, 0x0F, *range(0x10, 0x1B), *range(0x1C, 0x20), 0x7F])
_CJK_CHAR = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# The most frequent Chinese characters; real Chinese text is mostly made of them.
_COMMON_HAN = frozenset(
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后"
    "小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"
    "知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最"
    "间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市"
    "眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计"
    "或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让"
    "认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办"
    "运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持"
    "取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞"
    "观争究包组造落视济喜离虽坏兴切型模特征训练测试验证集数据预测结果排名比赛提交分数融合树深度学习网络参"
    "考线性回归类使用增强效果简有谢感"
)
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
    """Decode as GB18030 when the result reads like Chinese, else None.

    Latin-1 accents followed by ASCII letters form valid GBK pairs whose trail byte is below 0xA1,
    which GB2312 text never uses; EUC-KR Korean shares the GB2312 byte ranges but decodes to rare
    characters, so most Han characters must be among the most common ones.
    """
    text = _strict(raw, "gb18030")
    if text is None:
        return None
    pairs = re.findall(rb"[\x81-\xfe][\x40-\xfe]", raw)
    if not pairs:
        return None
    in_gb2312 = sum(1 for pair in pairs if 0xA1 <= pair[0] <= 0xF7 and pair[1] >= 0xA1)
    if in_gb2312 / len(pairs) < 0.9 or not _CJK_CHAR.search(text):
        return None
    han = _HAN.findall(text)
    if han and sum(1 for char in han if char in _COMMON_HAN) / len(han) < 0.4:
        return None
    return text


def _mostly_latin(text: str) -> bool:
    letters = [char for char in text if not char.isascii() and char.isalpha()]
    latin = sum(1 for char in letters if unicodedata.name(char, "").startswith("LATIN"))
    return not letters or latin / len(letters) >= 0.5


def _detected(raw: bytes) -> str | None:
    """charset-normalizer's guess, kept only when it reads as a non-Latin script.

    On short Western text the detector often picks a Central European or UTF-16 code page;
    Windows-1252 is the better answer there.
    """
    from charset_normalizer import from_bytes

    try:
        best = from_bytes(raw).best()
    except Exception:  # the detector is a heuristic; any failure means "no guess"
        return None
    if best is None or best.encoding.startswith(("utf_16", "utf_32")):
        return None
    text = str(best)
    return None if _mostly_latin(text) else text


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
    for guess in (_gb_plausible(raw), _detected(raw), _strict(raw, "cp1252")):
        if guess is not None:
            return guess
    return raw.decode("utf-8", errors="replace")
