"""``overdue list|cancel|extend``: residences past their planned end (走有核销)."""

from __future__ import annotations

from datetime import date

import click

from cli.app import App
from cli.output import emit, finding_data, findings_text, joined, json_option, table
from cli.params import DAY, HOUSE_HELP, PERSON, PERSON_HELP, person_of
from cli.rules import chinese
from registry.identity.ids import mask
from registry.lookup.refs import short
from registry.movements import overdue as use_cases


@click.group("overdue")
def overdue() -> None:
    """超期未注销的居住登记：列出、注销或延期（每次操作都记录经办人）。"""


@overdue.command("list")
@click.option("--jurisdiction", "code", metavar="CODE", help="只列出此辖区（含下级）。")
@json_option
@click.pass_obj
def overdue_list(app: App, code: str | None, as_json: bool) -> None:
    """计划居住期限已过、仍未迁出的居住登记。"""
    with chinese(), app.sessions() as session:
        rows = use_cases.overdue_residences(session, app.ctx, code)
        data = {
            "residences": [
                {
                    "residence_id": o.residence.id,
                    "person_id": o.person.id,
                    "id_number": mask(o.person.number),
                    "name": o.person.name,
                    "house": {"id": o.house.id, "address": o.house.address},
                    "jurisdiction": o.residence.jurisdiction_code,
                    "from": o.residence.valid_from,
                    "planned_end": o.residence.planned_end,
                    "days_over": o.days_over,
                }
                for o in rows
            ]
        }
    text = (
        table(
            ["编号", "证件号码", "姓名", "房屋", "迁入日期", "计划居住至", "超期天数"],
            [
                [
                    short(d["person_id"]),
                    d["id_number"],
                    d["name"],
                    d["house"]["address"],
                    d["from"],
                    d["planned_end"],
                    d["days_over"],
                ]
                for d in data["residences"]
            ],
        )
        if rows
        else "没有超期未注销的居住登记。"
    )
    emit(as_json, data, lambda: text)


@overdue.command("cancel")
@click.option("--id", "ref", required=True, type=PERSON, help=f"居住人。{PERSON_HELP}")
@click.option("--house", metavar="H", help=HOUSE_HELP + "此人有多处居住登记时必填。")
@click.option("--reason", required=True, help="注销原因（如：已搬离，房东确认）。")
@click.option("--on", "day", type=DAY, help="实际离开日期（默认今天）。")
@json_option
@click.pass_obj
def cancel(
    app: App, ref: str, house: str | None, reason: str, day: date | None, as_json: bool
) -> None:
    """注销超期的居住登记：写明原因和实际离开日期。"""
    with chinese(), app.sessions.begin() as session:
        who = person_of(session, app.ctx, ref)
        number = who.number
        done = use_cases.cancel(session, app.ctx, str(who.id), reason=reason, on=day, house=house)
        data = {
            "residence_id": done.record.id,
            "id_number": mask(number),
            "from": done.record.valid_from,
            "to": done.record.valid_to,
            "reason": done.record.end_reason,
            "findings": [finding_data(f) for f in done.findings],
        }
    emit(
        as_json,
        data,
        lambda: joined(
            f"已注销：{mask(number)}（{data['from']} 至 {data['to']}，原因：{data['reason']}）",
            findings_text(done.findings),
        ),
    )


@overdue.command("extend")
@click.option("--id", "ref", required=True, type=PERSON, help=f"居住人。{PERSON_HELP}")
@click.option("--house", metavar="H", help=HOUSE_HELP + "此人有多处居住登记时必填。")
@click.option("--until", type=DAY, required=True, help="新的计划居住期限 YYYY-MM-DD。")
@click.option("--reason", help="延期原因（如：续租）。")
@json_option
@click.pass_obj
def extend(
    app: App, ref: str, house: str | None, until: date, reason: str | None, as_json: bool
) -> None:
    """延长居住登记的计划居住期限（如续租）。"""
    with chinese(), app.sessions.begin() as session:
        who = person_of(session, app.ctx, ref)
        number = who.number
        done = use_cases.extend(
            session, app.ctx, str(who.id), until=until, reason=reason, house=house
        )
        data = {
            "residence_id": done.record.id,
            "id_number": mask(number),
            "planned_end": done.record.planned_end,
            "findings": [finding_data(f) for f in done.findings],
        }
    emit(as_json, data, lambda: f"已延期：{mask(number)} 计划居住至 {until}")
