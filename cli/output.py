"""Printing records and lists: aligned tables that count East Asian wide characters as two
columns, one JSON document with ``--json``, and masking of ID numbers and phones in lists.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from registry.db.models import Finding, Person
from registry.identity.codes import ethnicity_name, gender_name
from registry.identity.ids import mask
from registry.identity.text import shown

ZONE = ZoneInfo("Asia/Shanghai")
CATEGORIES = {"local": "本地", "floating": "流动", "hmt": "港澳台", "foreign": "境外"}
CAPTURES = {"chip": "读卡", "manual": "手工"}

# Venue kinds as a user names them (registry.places.venues.KINDS).
VENUE_KINDS = {"hotel": "旅馆", "intermediary": "中介", "station": "服务站", "employer": "单位场所"}


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--json`` flag every command that prints a record or a list takes."""
    return click.option(
        "--json", "as_json", is_flag=True, help="以一个 JSON 文档输出（键见 docs/cli-json.md）。"
    )(func)


# --- widths and tables -------------------------------------------------------------------


def char_width(ch: str) -> int:
    """Terminal columns of one character: wide and full-width count 2, combining marks 0."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - text_width(text))


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Rows aligned under headers, columns separated by two spaces; no trailing blanks."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [text_width(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], text_width(value))
    lines = [headers, ["-" * w for w in widths], *cells]
    return "\n".join(
        "  ".join(pad(v, w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def record(pairs: Sequence[tuple[str, object]]) -> str:
    """One record as aligned ``label  value`` lines."""
    width = max((text_width(label) for label, _ in pairs), default=0)
    return "\n".join(f"{pad(label, width)}  {cell(value)}".rstrip() for label, value in pairs)


def cell(value: object) -> str:
    """A value as one table cell or record line: control and bidirectional characters that
    came in before they were refused (old rows) are written as escapes, never raw."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")
    return shown(str(value))


# --- JSON ----------------------------------------------------------------------------------


def _default(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(document: object) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_default)


def emit(as_json: bool, document: Mapping[str, Any] | list[Any], text: Callable[[], str]) -> None:
    """Print the JSON document or the human text (built only when needed)."""
    click.echo(dumps(document) if as_json else text())


def note(message: str) -> None:
    """A progress or status line for the person at the terminal: stderr, never in JSON."""
    click.echo(message, err=True)


# --- records as plain data -----------------------------------------------------------------


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:] if len(phone) > 7 else "****"


_ADMIN_UNIT = re.compile(r"^.{0,12}?(?:自治州|地区|盟|区|县|旗|市)")


def mask_address(address: str | None) -> str | None:
    """An address for lists: the administrative area (up to the district) kept, the rest
    masked, e.g. 上海市徐汇区天平路1号 → 上海市徐汇区****."""
    if not address:
        return address
    kept = _ADMIN_UNIT.match(address)
    head = kept.group(0) if kept and len(kept.group(0)) < len(address) else address[:3]
    return head + "****"


def person_data(person: Person, *, reveal: bool = False) -> dict[str, Any]:
    """A person as JSON data; the number and phone are masked unless ``reveal``."""
    return {
        "id": person.id,
        "doc_type": person.doc_type,
        "id_number": person.number if reveal else mask(person.number),
        "name": person.name,
        "english_name": person.english_name,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "ethnicity": person.ethnicity,
        "nationality": person.nationality,
        "category": person.category,
        "phone": person.phone if reveal else mask_phone(person.phone),
        "hukou_region": person.hukou_region,
        **({"hukou_address": person.hukou_address} if reveal else {}),
    }


def person_row(person: Person) -> list[object]:
    """The columns of ``PERSON_HEADERS`` for a list (masked)."""
    return [
        mask(person.number),
        person.name,
        gender_name(person.gender),
        person.birth_date,
        ethnicity_name(person.ethnicity),
        CATEGORIES.get(person.category, person.category),
        mask_phone(person.phone),
    ]


PERSON_HEADERS = ["证件号码", "姓名", "性别", "出生日期", "民族", "类别", "电话"]


def finding_data(finding: Finding) -> dict[str, Any]:
    from registry.matching.checks import CODES  # 30 ms: only where findings are shown

    info = CODES.get(finding.code)
    return {
        "id": finding.id,
        "code": finding.code,
        "matching": info.matching if info else None,
        "label": info.label if info else None,
        "severity": finding.severity,
        "jurisdiction": finding.jurisdiction_code,
        "subject_kind": finding.subject_kind,
        "subject_id": finding.subject_id,
        "person_id": finding.person_id,
        "detail": finding.detail,
        "found_at": finding.found_at,
        "resolved_at": finding.resolved_at,
    }


def findings_text(
    findings: Sequence[Finding],
    title: str = "发现的问题",
    who: Mapping[uuid.UUID, str] | None = None,
) -> str:
    """Findings as lines a desk reads at once (empty when there are none); ``who`` names the
    person of each (person id -> name and masked number) when several guests are concerned."""
    if not findings:
        return ""
    from registry.matching.checks import CODES

    lines = [f"{title}（{len(findings)}）："]
    for f in findings:
        info = CODES.get(f.code)
        label = info.label if info else ""
        person = (who or {}).get(f.person_id) if f.person_id else None
        detail = f"{person}：{f.detail}" if person else f.detail
        lines.append(f"  ! {f.code} {label}：{detail}".rstrip("："))
    return "\n".join(lines)


def joined(*parts: str) -> str:
    """Blocks of text separated by blank lines, empty blocks left out."""
    return "\n\n".join(p for p in parts if p)
