"""A tour group's rooming list (团队名单): the CSV a travel agency hands the hotel, read and
checked line by line into one party per room, before anything is written.

Columns (header names in Chinese or English): 房间号/room, 证件号码/number, 姓名/name, optional
证件类型/doc_type and 国籍/nationality (a passport needs its ISO 3166 alpha-3 code). Raises
csvfiles.CsvError (the message names the line); BadLines carries every bad line."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from registry.db.models import Stay
from registry.errors import RegistryError
from registry.exchange import csvfiles
from registry.identity.ids import DocType, parse
from registry.messages import phrase
from registry.people.registration import TypedIdentity

# Canonical column → accepted headers; the second spelling is the one messages name.
COLUMNS: dict[str, tuple[str, ...]] = {
    "room": ("room", "房间号", "房号", "房间"),
    "id_number": ("number", "证件号码", "id_number", "身份证号", "公民身份号码"),
    "name": ("name", "姓名"),
    "doc_type": ("doc_type", "证件类型"),
    "nationality": ("nationality", "国籍"),
}


REQUIRED = ("room", "id_number", "name")


DOC_TYPES = {**{t.label: t.value for t in DocType}, "身份证": DocType.RESIDENT.value}


ROOM_WIDTH = Stay.room.type.length


DOC_HINT = ("请用 --doc-type", "请在证件类型列填")  # the wording of typed input, for a file


class BadLines(csvfiles.CsvError):
    """Lines of the list that cannot be registered: ``bad`` holds (line, why) for each."""

    def __init__(self, bad: list[tuple[int, str]]) -> None:
        self.bad = bad
        also = f"（共 {len(bad)} 行有误，见上）" if len(bad) > 1 else ""
        super().__init__(f"第 {bad[0][0]} 行：{bad[0][1].rstrip('。')}{also}")


@dataclass
class Party:
    """The guests of one room, in file order, and the lines they came from."""

    room: str
    lines: list[int] = field(default_factory=list)
    guests: list[TypedIdentity] = field(default_factory=list)


def read_rows(text: str) -> list[csvfiles.Row]:
    """Rows of the list with canonical keys and the line each starts on (header: line 1)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        aliases = {a.lower(): key for key, names in COLUMNS.items() for a in names}
        mapped = [aliases.get(h.strip().lower()) for h in header]
        missing = [f"{COLUMNS[k][1]}（{COLUMNS[k][0]}）" for k in REQUIRED if k not in mapped]
        if missing:
            raise csvfiles.CsvError("第 1 行缺少必需的列：" + "、".join(missing))
        rows: list[csvfiles.Row] = []
        start = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                values = {
                    key: csvfiles.unquote(cells[i]).strip()
                    for i, key in enumerate(mapped)
                    if key and i < len(cells)
                }
                rows.append(csvfiles.Row(start, values, cells, len(cells) - len(header)))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise csvfiles.CsvError(f"第 {reader.line_num} 行无法解析（{exc}）") from None
    if not rows:
        raise csvfiles.CsvError("名单中没有旅客（只有列名）")
    return rows


def guest_of(row: csvfiles.Row, seen: dict[str, int]) -> tuple[str, TypedIdentity]:
    """The room and guest of one line (``seen``: first line of each document), else why not."""
    csvfiles.check_row("persons", row)  # extra cells, blank number/name, controls, widths
    v = row.values
    if not v.get("room") or len(v["room"]) > ROOM_WIDTH:
        raise csvfiles.CsvError(f"房间号应为 1 到 {ROOM_WIDTH} 个字符")
    doc = DOC_TYPES.get(d, d.lower()) if (d := v.get("doc_type")) else None
    try:
        number = parse(v["id_number"], doc)
    except RegistryError as exc:
        raise csvfiles.CsvError(phrase(str(exc)).replace(*DOC_HINT)) from None
    if (first := seen.setdefault(number.key, row.line)) != row.line:
        raise csvfiles.CsvError(
            f"证件号码 {number.masked} 与第 {first} 行重复：每位旅客只能登记一次"
        )
    nationality = v.get("nationality") or None  # a passport needs it
    return v["room"], TypedIdentity(
        number=v["id_number"], name=v["name"], doc_type=doc, nationality=nationality
    )


def parties_of(rows: list[csvfiles.Row]) -> list[Party]:
    """One party per room in order of first appearance; ``BadLines`` names every bad line,
    so the desk can fix them all in one go."""
    parties: dict[str, Party] = {}
    seen: dict[str, int] = {}
    bad: list[tuple[int, str]] = []
    for row in rows:
        try:
            room, guest = guest_of(row, seen)
        except csvfiles.CsvError as exc:
            bad.append((row.line, str(exc)))
            continue
        party = parties.setdefault(room, Party(room))
        party.lines.append(row.line)
        party.guests.append(guest)
    if bad:
        raise BadLines(bad)
    return list(parties.values())


