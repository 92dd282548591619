"""``checkin-group``: a tour group checks in from the agency's rooming list (团队入住).

The whole list is checked before anything is written, then each room is one ``stays.Arrival``
of a single ``check_in_many``: a bad line or a refused guest leaves the database as it was, so
the desk fixes the list and runs it again instead of undoing half a group.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click

from cli.app import App
from cli.desk import checkin_data, named
from cli.errors import Refusal, translate
from cli.output import CAPTURES, emit, findings_text, joined, json_option, note
from cli.params import DAY
from registry.db.models import Stay
from registry.errors import RegistryError
from registry.exchange import csvfiles
from registry.identity.ids import DocType, mask, parse
from registry.messages import phrase
from registry.movements import stays
from registry.people.registration import TypedIdentity
from registry.places.venues import resolve_venue

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
ARRIVAL = re.compile(r"^arrival (\d+) of \d+: ")


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
    """One party per room in order of first appearance; every bad line is listed on stderr and
    the first one refuses the file, so the desk can fix them all in one go."""
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
    for line, reason in bad[:50] if len(bad) > 1 else []:
        note(f"第 {line} 行：{reason}")
    if bad:
        also = f"（共 {len(bad)} 行有误，见上）" if len(bad) > 1 else ""
        raise csvfiles.CsvError(f"第 {bad[0][0]} 行：{bad[0][1].rstrip('。')}{also}")
    return list(parties.values())


def refusal(exc: RegistryError, parties: list[Party]) -> Refusal:
    """The core's refusal of arrival K (of one arrival: unlabelled) as a sentence naming the
    room and lines of party K; a refusal of the whole batch stays as the core said it."""
    found = ARRIVAL.match(str(exc))
    said = translate(type(exc)(str(exc)[found.end() :]) if found else exc)
    message = f"{said.message if said else exc}全团均未入住。"
    if found is None and len(parties) > 1:
        return Refusal(message)
    party = parties[int(found.group(1)) - 1 if found else 0]
    return Refusal(f"{party.room} 房（名单第 {'、'.join(map(str, party.lines))} 行）：{message}")


def group_text(done: list[stays.CheckIn]) -> str:
    """One line per room (numbers masked), then warnings and findings of the whole group."""
    guests = [g for d in done for g in d.guests]
    new = sum(g.created for g in guests)
    head = f"团队入住：{done[0].venue.name}，{len(done)} 间房，{len(guests)} 位旅客"
    lines = [f"{head}（新登记 {new} 位）"]
    for d in done:
        names = "、".join(
            f"{g.person.name} {mask(g.person.number)}"
            f"（{CAPTURES[g.capture]}{'，新登记' if g.created else ''}）"
            for g in d.guests
        )
        lines.append(f"  {d.room} 房：{names}")
    return joined(
        "\n".join(lines),
        "\n".join(f"注意：{w}" for d in done for w in d.warnings),
        findings_text([f for d in done for f in d.findings], who=named(guests)),
    )


@click.command("checkin-group")
@click.option("--venue", required=True, metavar="V", help="旅馆编号或名称。")
@click.option("--until", "expected", type=DAY, help="预计退房日期 YYYY-MM-DD（全团相同）。")
@json_option
@click.argument(
    "path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.pass_obj
def checkin_group(app: App, venue: str, expected: date | None, path: Path, as_json: bool) -> None:
    """团队入住：按旅行社的团队名单（CSV）一次登记全团。

    FILE 首行为列名：房间号、证件号码、姓名，可选证件类型、国籍（护照须填三字母代码）。

    英文列名：room、number、name、doc_type、nationality。UTF-8 或 GBK 编码。

    同一房间号的旅客同住一间。整份名单先全部检查，任何一行有误或任何一位旅客被拒绝，全团都不登记。
    """
    try:
        text, _ = csvfiles.decode(path.read_bytes())
        parties = parties_of(read_rows(text))
    except csvfiles.CsvError as exc:
        why = str(exc).replace("，或用 --encoding 指定编码", "")  # no --encoding here
        raise Refusal(
            f"团队名单 {path.name} 有误：{why}。请改正后重新办理，全团均未入住。"
        ) from None
    with app.sessions.begin() as session:
        hotel = str(resolve_venue(session, venue).id)
        arrivals = [stays.Arrival(hotel, p.room, p.guests, expected) for p in parties]
        try:
            done = stays.check_in_many(session, app.ctx, arrivals)
        except RegistryError as exc:
            raise refusal(exc, parties) from exc
        data = [checkin_data(d) for d in done]
    emit(as_json, data, lambda: group_text(done))


COMMANDS = [checkin_group]
