"""``movein``, ``moveout`` and ``job start|end``: residences (人房) and employments (人岗)."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from cli.app import App
from cli.corrections import WithActions
from cli.output import CAPTURES, emit, finding_data, findings_text, joined, json_option, person_data
from cli.params import (
    DAY,
    EMPLOYER_HELP,
    HOUSE_HELP,
    PERSON,
    PERSON_HELP,
    identity_from,
    identity_options,
    number_or_ref,
    person_of,
    pop_identity,
)
from registry.identity.ids import mask
from registry.movements import employment, residences

RELATION_NAMES = {
    "tenant": "承租人",
    "co-tenant": "合租人",
    "family": "家属",
    "dormitory": "宿舍",
    "owner": "房主",
}
REPORTER_NAMES = {"landlord": "房东", "intermediary": "中介", "employer": "单位", "self": "本人"}


@click.command("movein", cls=WithActions, actions="MOVEIN_ACTIONS")
@click.option("--house", required=True, metavar="H", help=HOUSE_HELP)
@identity_options
@click.option("--on", "day", type=DAY, help="迁入日期 YYYY-MM-DD（默认今天）。")
@click.option(
    "--relation",
    type=click.Choice(residences.RELATIONS),
    default="tenant",
    show_default=True,
    help="与房屋的关系：tenant 承租人、co-tenant 合租人、family 家属、dormitory 宿舍、owner 房主。",
)
@click.option(
    "--reporter",
    type=click.Choice(residences.REPORTERS),
    default="self",
    show_default=True,
    help="申报人：landlord 房东、intermediary 中介、employer 单位、self 本人。",
)
@click.option("--until", "planned_end", type=DAY, help="计划居住至 YYYY-MM-DD。")
@json_option
@click.pass_obj
def movein(
    app: App,
    house: str,
    day: date | None,
    relation: str,
    reporter: str,
    planned_end: date | None,
    as_json: bool,
    **options: Any,
) -> None:
    """租客迁入（居住登记）：--reader 刷卡，或 --id/--name 手工录入。

    已登记的人员只需 --id（沿用登记的姓名）。逾期申报、超过核定人数、未备案等问题会立即显示。
    """
    identity = identity_from(pop_identity(options), registered_name=True)
    with app.sessions.begin() as session:
        done = residences.move_in(
            session,
            app.ctx,
            house,
            identity,
            on=day,
            relation=relation,
            reporter=reporter,
            planned_end=planned_end,
        )
        person = done.guest.person
        data = {
            "house": {"id": done.house.id, "address": done.house.address},
            "residence_id": done.residence.id,
            "person": person_data(person),
            "on": done.residence.valid_from,
            "relation": relation,
            "reporter": reporter,
            "capture": done.guest.capture,
            "report_deadline": done.residence.report_deadline,
            "findings": [finding_data(f) for f in done.findings],
        }
    emit(
        as_json,
        data,
        lambda: joined(
            f"已迁入：{person.name} {mask(person.number)} → {done.house.address}"
            f"（{done.residence.valid_from} 起，{RELATION_NAMES[relation]}，"
            f"{REPORTER_NAMES[reporter]}申报，{CAPTURES[done.guest.capture]}）",
            findings_text(done.findings),
        ),
    )


@click.command("moveout")
@click.option("--house", required=True, metavar="H", help=HOUSE_HELP)
@click.option("--id", "number", required=True, type=PERSON, help=f"迁出人。{PERSON_HELP}")
@click.option("--on", "day", type=DAY, help="迁出日期 YYYY-MM-DD（默认今天）。")
@click.option("--reason", help="迁出原因。")
@json_option
@click.pass_obj
def moveout(
    app: App, house: str, number: str, day: date | None, reason: str | None, as_json: bool
) -> None:
    """租客迁出（注销居住登记，走有核销）。"""
    with app.sessions.begin() as session:
        who = person_of(session, app.ctx, number)
        number = who.number
        done = residences.move_out(session, app.ctx, house, str(who.id), on=day, reason=reason)
        data = {
            "house": {"id": done.house.id, "address": done.house.address},
            "residence_id": done.residence.id,
            "id_number": mask(number),
            "from": done.residence.valid_from,
            "to": done.residence.valid_to,
            "reason": done.residence.end_reason,
            "findings": [finding_data(f) for f in done.findings],
        }
    emit(
        as_json,
        data,
        lambda: joined(
            f"已迁出：{mask(number)} ← {done.house.address}"
            f"（{done.residence.valid_from} 至 {done.residence.valid_to}）",
            findings_text(done.findings),
        ),
    )


@click.group("job")
def job() -> None:
    """就业登记：人员到单位上岗（start）和离职（end）。"""


@job.command("start")
@click.option("--employer", required=True, metavar="E", help=EMPLOYER_HELP)
@click.option(
    "--id",
    "number",
    required=True,
    type=PERSON,
    help="从业人员：" + PERSON_HELP.removeprefix("人员：") + "未登记的人给完整证件号码和 --name。",
)
@click.option("--name", help="姓名（此人尚未登记时必填）。")
@click.option("--on", "day", type=DAY, help="上岗日期 YYYY-MM-DD（默认今天）。")
@click.option("--post", help="岗位。")
@click.option(
    "--jurisdiction",
    "code",
    metavar="CODE",
    help="单位未登记时，记录其所在辖区（会产生“单位未登记”问题）。",
)
@json_option
@click.pass_obj
def job_start(
    app: App,
    employer: str,
    number: str,
    name: str | None,
    day: date | None,
    post: str | None,
    code: str | None,
    as_json: bool,
) -> None:
    """登记一人在某单位上岗。"""
    with app.sessions.begin() as session:
        who = number_or_ref(session, app.ctx, number) or number
        done = employment.start_job(
            session, app.ctx, employer, who, name=name, on=day, post=post, jurisdiction=code
        )
        data = job_data(done)
    emit(
        as_json,
        data,
        lambda: joined(
            f"已上岗：{done.person.name} {mask(done.person.number)} @ {done.employer.name}"
            f"（{done.employment.valid_from} 起）",
            findings_text(done.findings),
        ),
    )


@job.command("end")
@click.option("--employer", required=True, metavar="E", help=EMPLOYER_HELP)
@click.option("--id", "number", required=True, type=PERSON, help=f"从业人员。{PERSON_HELP}")
@click.option("--on", "day", type=DAY, help="离职日期 YYYY-MM-DD（默认今天）。")
@click.option("--reason", help="离职原因。")
@json_option
@click.pass_obj
def job_end(
    app: App, employer: str, number: str, day: date | None, reason: str | None, as_json: bool
) -> None:
    """登记一人从某单位离职。"""
    with app.sessions.begin() as session:
        who = str(person_of(session, app.ctx, number).id)
        done = employment.end_job(session, app.ctx, employer, who, on=day, reason=reason)
        data = job_data(done)
    emit(
        as_json,
        data,
        lambda: joined(
            f"已离职：{done.person.name} {mask(done.person.number)} @ {done.employer.name}"
            f"（{done.employment.valid_from} 至 {done.employment.valid_to}）",
            findings_text(done.findings),
        ),
    )


def job_data(done: employment.Job) -> dict[str, Any]:
    return {
        "employer": {
            "id": done.employer.id,
            "name": done.employer.name,
            "registered": done.employer.registered,
        },
        "employment_id": done.employment.id,
        "person": person_data(done.person),
        "from": done.employment.valid_from,
        "to": done.employment.valid_to,
        "post": done.employment.post,
        "findings": [finding_data(f) for f in done.findings],
    }


COMMANDS = [movein, moveout, job]
