"""``person correct``: a coordinator corrects a person's registered data (how PC-DISAGREE, a
chip read that disagrees with the registry, is resolved)."""

from __future__ import annotations

from datetime import date

import click

from cli.app import App
from cli.output import emit, finding_data, findings_text, joined, json_option, person_data
from cli.params import DAY, ETHNICITY, GENDER_CHOICES, PERSON, person_of
from registry.identity.ids import mask

FIELD_NAMES = {
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "phone": "电话",
}


@click.command("correct")
@click.argument("ref", type=PERSON)
@click.option("--name", help="正确的姓名。")
@click.option("--gender", type=click.Choice(list(GENDER_CHOICES)), help="性别：男/女（或 1/2）。")
@click.option("--birth", "birth_date", type=DAY, help="出生日期 YYYY-MM-DD。")
@click.option(
    "--ethnicity", type=ETHNICITY, help="民族：代码（GB/T 3304，如 01）或名称（如 汉族）。"
)
@click.option("--phone", help="联系电话。")
@click.option(
    "--from-card",
    is_flag=True,
    help="未给出的项采用最近一次读卡的信息（姓名、性别、出生日期、民族），用于消除 PC-DISAGREE。",
)
@json_option
@click.pass_obj
def person_correct(
    app: App,
    ref: str,
    name: str | None,
    gender: str | None,
    birth_date: date | None,
    ethnicity: str | None,
    phone: str | None,
    from_card: bool,
    as_json: bool,
) -> None:
    """更正人员的登记信息（协管员）：姓名、性别、出生日期、民族、电话。

    REF：完整证件号码、人员编号（列表中的 8 位编号）或证件号码末 4 位以上。更正记入工作日志
    并重新比对；读卡信息与登记信息不符（PC-DISAGREE）在更正一致后自动消除。
    """
    from registry.people import registration

    with app.sessions.begin() as session:
        who = person_of(session, app.ctx, ref)
        done = registration.correct(
            session,
            app.ctx,
            str(who.id),
            from_card=from_card,
            name=name,
            gender=GENDER_CHOICES[gender] if gender else None,
            birth_date=birth_date,
            ethnicity=ethnicity,
            phone=phone,
        )
        data = {
            "person": person_data(done.person),
            "fields": done.fields,
            "findings": [finding_data(f) for f in done.opened],
            "resolved": [finding_data(f) for f in done.resolved],
        }
    fields = "、".join(FIELD_NAMES.get(f, f) for f in done.fields)
    emit(
        as_json,
        data,
        lambda: joined(
            f"已更正：{done.person.name} {mask(done.person.number)}（{fields}）",
            "\n".join(f"已消除：{f.code} {f.detail}" for f in done.resolved),
            findings_text(done.opened),
        ),
    )


def register(person: click.Group) -> None:
    """Add ``correct`` to the ``person`` group."""
    person.add_command(person_correct)
