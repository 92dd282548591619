"""The 256-byte card text in its four layouts, decoded to ``CardRead`` and encoded back.

Pure functions, table-driven by the type flag at byte 248 (protocol doc §2): resident card,
``J`` HK/Macao/Taiwan residence permit, ``I`` 2017 and ``Y`` 2023 foreign permanent resident
cards. Text is UCS-2LE padded with spaces; ``长期`` as valid-to means long-term (None).
Encoding exists for the emulator, which must put bytes on the wire exactly like a card.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import Any

from drivers.errors import BadLayout
from registry.identity.cards import CardRead
from registry.identity.ids import DocType

TEXT_LEN = 256
FLAG_OFFSET = 248
LONG_TERM_TEXT = "长期"

# field -> (start, end) byte offsets; "flag" is implied by the layout.
Layout = Mapping[str, tuple[int, int]]

RESIDENT: Layout = {
    "name": (0, 30), "gender": (30, 32), "ethnicity": (32, 36), "birth_date": (36, 52),
    "address": (52, 122), "number": (122, 158), "issuer": (158, 188),
    "valid_from": (188, 204), "valid_to": (204, 220),
}
HMT: Layout = {
    "name": (0, 30), "gender": (30, 32), "birth_date": (36, 52), "address": (52, 122),
    "number": (122, 158), "issuer": (158, 188), "valid_from": (188, 204),
    "valid_to": (204, 220), "pass_number": (220, 238), "issue_count": (238, 242),
}
FOREIGN_2017: Layout = {
    "english_name": (0, 120), "gender": (120, 122), "number": (122, 152),
    "nationality": (152, 158), "name": (158, 188), "valid_from": (188, 204),
    "valid_to": (204, 220), "birth_date": (220, 236), "card_version": (236, 240),
    "authority_code": (240, 248),
}
FOREIGN_2023: Layout = {
    "name": (0, 30), "gender": (30, 32), "renewal_count": (32, 36), "birth_date": (36, 52),
    "english_name": (52, 122), "number": (122, 158), "valid_from": (188, 204),
    "valid_to": (204, 220), "english_name_2": (220, 242), "nationality": (242, 248),
    "previous_link": (250, 256),
}

LAYOUTS: dict[DocType, tuple[str, Layout]] = {
    DocType.RESIDENT: (" ", RESIDENT),
    DocType.HMT_PERMIT: ("J", HMT),
    DocType.FOREIGN_2017: ("I", FOREIGN_2017),
    DocType.FOREIGN_2023: ("Y", FOREIGN_2023),
}
FLAGS: dict[str, DocType] = {flag: kind for kind, (flag, _) in LAYOUTS.items() if flag != " "}

# Fields that become CardRead attributes; the rest of a layout goes to ``extras``.
_CORE = ("name", "gender", "ethnicity", "birth_date", "address", "number", "issuer",
         "valid_from", "valid_to", "english_name", "nationality")
_DATES = ("birth_date", "valid_from", "valid_to")


def doc_type_of(text: bytes) -> DocType:
    """The document type named by the flag at byte 248 (anything unknown = resident)."""
    flag = text[FLAG_OFFSET:FLAG_OFFSET + 2].decode("utf-16-le", errors="replace")
    return FLAGS.get(flag, DocType.RESIDENT)


def _field(text: bytes, start: int, end: int) -> str:
    return text[start:end].decode("utf-16-le", errors="replace").rstrip(" \x00")


def _date(value: str, what: str) -> date | None:
    if value == LONG_TERM_TEXT and what == "valid_to":
        return None
    if len(value) != 8 or not value.isdigit():
        raise BadLayout(f"证件日期字段 {what} 不是 YYYYMMDD: {value!r}")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise BadLayout(f"证件日期字段 {what} 不是有效日期: {value!r}") from None


def decode_text(text: bytes, **capture: Any) -> CardRead:
    """Decode the 256-byte text into a ``CardRead``; ``capture`` sets photo, reader_id, …."""
    if len(text) != TEXT_LEN:
        raise BadLayout(f"文字信息应为 {TEXT_LEN} 字节，实为 {len(text)}", raw=text)
    kind = doc_type_of(text)
    values = {key: _field(text, *span) for key, span in LAYOUTS[kind][1].items()}
    if kind is DocType.FOREIGN_2023:
        # Re-join the raw halves: a space at the split must survive the padding trim.
        del values["english_name_2"]
        values["english_name"] = (text[52:122] + text[220:242]).decode(
            "utf-16-le", errors="replace").rstrip(" \x00")
    if not values.get("name"):
        values["name"] = values.get("english_name", "")
    if not values["number"] or not values["name"]:
        raise BadLayout("证件数据中没有姓名或证件号码", raw=text)
    dates = {key: _date(values.pop(key), key) for key in _DATES}
    if dates["birth_date"] is None:
        raise BadLayout("出生日期不能为长期", raw=text)
    core = {k: values.pop(k) or None for k in list(values) if k in _CORE}
    extras = MappingProxyType({k: v for k, v in values.items() if v})
    return CardRead(
        doc_type=kind, name=core.pop("name") or "", gender=core.pop("gender") or "",
        number=core.pop("number") or "", issuer=core.pop("issuer", None) or "",
        **dates, **core, extras=extras, **capture,
    )


def _put(buffer: bytearray, span: tuple[int, int], value: str, what: str) -> None:
    start, end = span
    raw = value.encode("utf-16-le")
    if len(raw) > end - start:
        raise BadLayout(f"字段 {what} 过长: 最多 {(end - start) // 2} 个字符")
    buffer[start:start + len(raw)] = raw


def encode_text(card: CardRead) -> bytes:
    """The 256 bytes a chip would carry for ``card`` (space padding, flag at byte 248)."""
    if card.doc_type not in LAYOUTS:
        raise BadLayout(f"{card.doc_type.label} 没有芯片数据格式")
    flag, layout = LAYOUTS[card.doc_type]
    buffer = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    values: dict[str, str] = dict(card.extras)
    for key in _CORE:
        value = getattr(card, key)
        if isinstance(value, date):
            value = value.strftime("%Y%m%d")
        values[key] = value or ""
    if card.valid_to is None:
        values["valid_to"] = LONG_TERM_TEXT
    if card.doc_type is DocType.FOREIGN_2023:
        english = values.get("english_name", "")
        values["english_name"], values["english_name_2"] = english[:35], english[35:]
    if card.doc_type is DocType.FOREIGN_2017 and card.name == card.english_name:
        values["name"] = ""
    for key, span in layout.items():
        _put(buffer, span, values.get(key, ""), key)
    if flag != " ":
        _put(buffer, (FLAG_OFFSET, FLAG_OFFSET + 2), flag, "flag")
    return bytes(buffer)


def with_capture(card: CardRead, **capture: Any) -> CardRead:
    """A copy of ``card`` with capture facts (reader, SAM, time, photo) filled in."""
    return replace(card, **capture)
