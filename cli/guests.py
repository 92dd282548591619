"""``guests``: who stays at a hotel, or at the hotels of a jurisdiction, now and today."""

from __future__ import annotations

from typing import Any

import click

from cli.app import App
from cli.output import cell, emit, joined, json_option, note, person_data, table
from cli.params import HOTEL_HELP
from registry.identity.ids import mask
from registry.lookup import guests as use_case
from registry.lookup.refs import short


@click.command("guests")
@click.option("--venue", metavar="V", help=HOTEL_HELP)
@click.option(
    "--jurisdiction",
    "code",
    metavar="CODE",
    help="此辖区及其下级所有旅馆的旅客（不给出时为本人权限范围）。",
)
@json_option
@click.pass_obj
def guests(app: App, venue: str | None, code: str | None, as_json: bool) -> None:
    """在住旅客：一家旅馆或一个辖区内各旅馆现在在住的旅客，以及今天入住、今天退房的旅客。

    每行的编号可用于 person show、person history。每次查看都记入审计日志。
    """
    if venue and code:
        raise click.UsageError("--venue 和 --jurisdiction 只能给出一个。")
    with app.sessions.begin() as session:
        found = use_case.guests(session, app.ctx, venue=venue, jurisdiction=code)
        data = {
            "venue": {"id": found.venue.id, "name": found.venue.name} if found.venue else None,
            "jurisdiction": found.jurisdiction,
            "now": [guest_data(g) for g in found.now],
            "arrived_today": [guest_data(g) for g in found.arrived],
            "left_today": [guest_data(g) for g in found.left],
            "truncated": found.truncated,
        }
    if found.truncated:
        note(f"名单过长，每类只列出前 {use_case.LIMIT} 人：请用 --venue 或下级辖区缩小范围。")
    where = found.venue.name if found.venue else (found.jurisdiction or "全部权限范围")
    emit(
        as_json,
        data,
        lambda: joined(
            f"{where}：在住 {len(found.now)} 人，今天入住 {len(found.arrived)} 人，"
            f"今天退房 {len(found.left)} 人。",
            _rows("在住旅客", found.now),
            _rows("今天入住", found.arrived),
            _rows("今天退房", found.left),
        ),
    )


def _rows(title: str, rows: list[use_case.Guest]) -> str:
    if not rows:
        return ""
    return f"{title}：\n" + table(
        ["编号", "姓名", "证件号码", "旅馆", "房间", "入住时间", "退房时间"],
        [
            [
                short(g.person.id),
                g.person.name,
                mask(g.person.number),
                g.venue.name,
                g.stay.room,
                cell(g.stay.checked_in_at),
                cell(g.stay.checked_out_at),
            ]
            for g in rows
        ],
    )


def guest_data(g: use_case.Guest) -> dict[str, Any]:
    return {
        "person": person_data(g.person),
        "stay_id": g.stay.id,
        "venue": {"id": g.venue.id, "name": g.venue.name},
        "room": g.stay.room,
        "checked_in_at": g.stay.checked_in_at,
        "checked_out_at": g.stay.checked_out_at,
        "expected_checkout": g.stay.expected_checkout,
    }


COMMANDS = [guests]
