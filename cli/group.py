"""``checkin-group``: a tour group checks in from the agency's rooming list (团队入住).

The whole list is checked before anything is written, then each room is one ``stays.Arrival``
of a single ``check_in_many``: a bad line or a refused guest leaves the database as it was, so
the desk fixes the list and runs it again instead of undoing half a group.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import click

from cli.app import App
from cli.desk import checkin_data, named
from cli.errors import Refusal, translate
from cli.output import CAPTURES, emit, findings_text, joined, json_option, note
from cli.params import DAY, HOTEL_HELP
from registry.errors import RegistryError
from registry.exchange import csvfiles, rooming
from registry.identity.ids import mask
from registry.messages import phrase
from registry.movements import stays
from registry.places.venues import resolve_venue

ARRIVAL = re.compile(r"^arrival (\d+) of \d+: ")










def refusal(exc: RegistryError, parties: list[rooming.Party]) -> Refusal:
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
        "\n".join(f"注意：{phrase(w)}" for d in done for w in d.warnings),
        findings_text([f for d in done for f in d.findings], who=named(guests)),
    )


@click.command("checkin-group")
@click.option("--venue", required=True, metavar="V", help=HOTEL_HELP)
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
        parties = rooming.parties_of(rooming.read_rows(text))
    except csvfiles.CsvError as exc:
        for line, reason in exc.bad[:50] if isinstance(exc, rooming.BadLines) else []:
            if len(exc.bad) > 1:
                note(f"第 {line} 行：{reason}")
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
