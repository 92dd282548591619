"""One validator for the text fields every entry point hands to the core: names, addresses,
place names, phones, issuers (command line, CSV, card read, station service alike).

A one-line field holds no control character (C0, DEL, C1: BEL, BS, line breaks, tab), no
bidirectional control (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C: Unicode
Standard Annex #9 — they reorder what a list shows), no lone surrogate (invalid UTF-8 on a
command line arrives as one, PEP 383) and is no longer than the column it is stored in, so
both engines refuse the same text before the database sees it.

Errors are ``InvalidInput`` with a stable English message; ``registry.messages`` words them
in Chinese (the field named by its Chinese label, ``LABELS``).

>>> line("湖南路 1 号", "address", 200)
'湖南路 1 号'
>>> problem("a\\u202eb")
'U+202E'
>>> shown("响\\x07铃")
'响\\\\x07铃'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from registry.errors import InvalidInput

BIDI = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)
# Line and paragraph separators (categories Zl, Zp: a line break to any Unicode-aware
# display) and blank or invisible characters that make two names look alike: the Hangul
# fillers U+3164 and U+115F/U+1160, the blank Braille pattern U+2800, the combining grapheme
# joiner U+034F and the object replacement character U+FFFC.
INVISIBLE = frozenset(
    ["\u2028", "\u2029", "\u3164", "\u115f", "\u1160", "\u2800", "\u034f", "\ufffc"]
)
# Category Cc is U+0000–U+001F and U+007F–U+009F; Cs the surrogates U+D800–U+DFFF.
_UNFIT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff" + "".join(sorted(BIDI | INVISIBLE)) + "]")

# Field → its Chinese label, for the worded messages (registry.messages).
LABELS = {
    "name": "姓名",
    "english_name": "英文姓名",
    "address": "地址",
    "hukou_address": "户籍地址",
    "phone": "电话",
    "issuer": "签发机关",
    "place_name": "名称",
    "jurisdiction_name": "辖区名称",
    "jurisdiction_code": "辖区代码",
    "login": "登录名",
    "venue_name": "场所名称",
    "employer_name": "单位名称",
    "user_name": "用户姓名",
    "street": "街路巷",
    "building": "楼号",
    "unit": "单元",
    "room": "房间号",
    "door_plate": "门牌编码",
    "filing_number": "备案号",
    "industry": "行业",
    "post": "岗位",
    "reason": "原因",
    "note": "处理说明",
    "remark": "备注",
    "device": "设备名称",
    "search": "搜索内容",
}


def problem(value: str) -> str | None:
    """The first character a one-line field may not hold, as ``U+XXXX``; None if clean.

    Refused: control characters (Unicode category Cc, tab and line breaks included), the
    bidirectional controls listed in ``BIDI``, the separators and look-alike blanks listed in
    ``INVISIBLE`` (U+2028, U+2029, U+3164 …) and lone surrogates (undecodable bytes). One
    regular-expression scan: the station service runs every string of an upload through it.
    """
    found = _UNFIT.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def line(value: str | None, field: str, limit: int | None = None) -> str | None:
    """``value`` if it may be stored in the one-line ``field`` of at most ``limit`` characters.

    None stays None. Raises ``InvalidInput``: "the FIELD is not valid UTF-8", "the FIELD may
    not hold control characters (U+XXXX)", "the FIELD is longer than N characters (M)".
    """
    if value is None:
        return None
    if any(unicodedata.category(c) == "Cs" for c in value):
        raise InvalidInput(f"the {field} is not valid UTF-8")
    if (bad := problem(value)) is not None:
        raise InvalidInput(f"the {field} may not hold control characters ({bad})")
    if limit is not None and len(value) > limit:
        raise InvalidInput(f"the {field} is longer than {limit} characters ({len(value)})")
    return value


def width(column: Any) -> int | None:
    """The declared length of a String column (a mapped attribute such as ``Person.phone``)."""
    return getattr(column.type, "length", None)


def remark(value: str | None, field: str = "reason", limit: int = 200) -> str | None:
    """A free-text reason or note as it is stored: runs of blanks and line breaks folded to
    one space, None when nothing is left, else checked by ``line`` against ``limit``
    characters (never cut short: a longer text is refused, so nothing written is lost).

    Raises ``InvalidInput`` as ``line`` does."""
    text = " ".join((value or "").split())
    return line(text, field, limit) if text else None


# A telephone number as people write it: a mobile (``13812345678``, ``+86 138 1234 5678``) or a
# fixed line with its area code and extension (``021-6431 2345 转 808``, ``(021)64312345#8``);
# digits with the separators of GB/T 8566-style writing, 5 to 20 digits in all.
_PHONE = re.compile(r"^\+?[0-9 ()（）\-]+((转|#|ext\.?|x)\s*[0-9]{1,6})?$", re.IGNORECASE)


def phone_form(value: str | None) -> str | None:
    """A telephone number as it is stored: full-width digits, signs and blanks typed with a
    Chinese input method (``１３８－１２３４``, ``（０２１）``) read as their ASCII forms
    (Unicode NFKC); an ASCII value is returned as it is. Nothing is checked here (``phone``)."""
    if value is None or value.isascii():
        return value
    return unicodedata.normalize("NFKC", value)


def phone(value: str | None) -> str | None:
    """``value`` if it is written like a telephone number (see ``_PHONE``); None stays None.

    Raises ``InvalidInput``: "the phone is not a telephone number"."""
    if value is None:
        return None
    digits = sum(c.isdigit() for c in value)
    if not _PHONE.match(value.strip()) or not 5 <= digits <= 20:
        raise InvalidInput("the phone is not a telephone number")
    return value


def fields(**checks: tuple[str | None, Any]) -> None:
    """Check several one-line fields at once: ``fields(address=(value, House.address))``;
    a ``phone`` must also be written like a telephone number (``phone``)."""
    for field, (value, column) in checks.items():
        line(value, field, width(column))
        if field == "phone":
            phone(value)


def shown(value: str | None) -> str:
    """``value`` safe to print on a terminal: control, bidirectional and surrogate characters
    written as escapes (``\\x07``, ``\\u202e``), everything else as it is."""
    if value is None:
        return ""
    out = []
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs") or char in BIDI or char in INVISIBLE:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def same_text_key(text: str) -> str:
    """The form two names or addresses are compared in: NFKC (full-width letters, digits and
    spaces become half-width), the traditional 號 as 号 (as address search folds it,
    ``registry.db.folding``), no whitespace at all, case folded. ``"华师路 １２號"`` and
    ``"华师路12号"`` are the same address."""
    return "".join(unicodedata.normalize("NFKC", text).replace("號", "号").split()).casefold()
