"""``permit eligible|issue|endorse|show|due|suspended`` and ``permit study add|end``:
residence permits (居住证) and the study records that make a person eligible.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from cli.app import App
from cli.errors import Refusal
from cli.output import emit, json_option, person_data, record, table
from cli.params import DAY, PERSON, PERSON_HELP, person_of
from cli.rules import chinese
from registry.identity.ids import mask
from registry.lookup.refs import short
from registry.movements import studies
from registry.permits import eligibility, lifecycle

ID_HELP = "持证人（申请人）。"


def eligibility_data(check: eligibility.Eligibility) -> dict[str, Any]:
    return {
        "person": person_data(check.person),
        "on": check.on,
        "city": {"code": check.city.code, "name": check.city.name} if check.city else None,
        "eligible": check.eligible,
        "eligible_from": check.eligible_from,
        "conditions": [
            {
                "code": c.code,
                "label": c.label,
                "required": c.required,
                "holds": c.holds,
                "since": c.since,
                "detail": c.detail,
            }
            for c in check.conditions
        ],
    }


def status_data(st: lifecycle.PermitStatus) -> dict[str, Any]:
    return {
        "number": st.permit.number,
        "person": person_data(st.person),
        "city": st.permit.city_code,
        "jurisdiction": st.permit.jurisdiction_code,
        "issued_on": st.permit.issued_on,
        "status": st.status,
        "status_label": lifecycle.STATUS_LABELS[st.status],
        "due_on": st.permit.due_on,
        "window": {"from": st.window[0], "to": st.window[1]},
        "suspended_from": st.suspended_from,
        "years_from": st.permit.years_from,
        "residence_years": st.residence_years,
        "endorsements": [
            {
                "endorsed_on": e.endorsed_on,
                "anniversary": e.anniversary,
                "late": e.late,
                "suspended_from": e.suspended_from,
                "endorsed_by": e.endorsed_by,
            }
            for e in st.endorsements
        ],
    }


def status_text(st: lifecycle.PermitStatus) -> str:
    pairs: list[tuple[str, object]] = [
        ("居住证号码", st.permit.number),
        ("持证人", f"{st.person.name} {mask(st.person.number)}"),
        ("发证日期", st.permit.issued_on),
        ("状态", lifecycle.STATUS_LABELS[st.status]),
        ("签注期", f"{st.window[0]} 至 {st.window[1]}"),
    ]
    if st.suspended_from:
        pairs.append(("中止日期", f"{st.suspended_from}（签注后恢复）"))
    pairs += [("居住年限起算", st.permit.years_from), ("连续居住年限", f"{st.residence_years} 年")]
    out = record(pairs)
    if st.endorsements:
        out += "\n\n" + table(
            ["签注日期", "对应周年日", "逾期", "中止自", "经办人"],
            [
                [e.endorsed_on, e.anniversary, e.late, e.suspended_from, e.endorsed_by]
                for e in st.endorsements
            ],
        )
    return out


@click.group("permit")
def permit() -> None:
    """居住证：申领条件、签发、年度签注、待签注和已中止名单。"""


@permit.command("eligible")
@click.option("--id", "number", required=True, type=PERSON, help=f"{ID_HELP}{PERSON_HELP}")
@click.option("--on", "day", type=DAY, help="按哪一天判断（默认今天）。")
@click.option("--city", metavar="CODE", help="申领的城市（默认为现居住地所在城市）。")
@json_option
@click.pass_obj
def eligible(app: App, number: str, day: date | None, city: str | None, as_json: bool) -> None:
    """是否符合申领居住证的条件：逐项说明哪些满足、哪些不满足，以及自哪天起符合。"""
    with chinese(), app.sessions() as session:
        who = person_of(session, app.ctx, number)
        number = str(who.id)
        check = eligibility.eligibility(session, app.ctx, number, on=day, city=city)
        data = eligibility_data(check)
        lines = check.lines()
    emit(as_json, data, lambda: "\n".join(lines))


@permit.command("issue")
@click.option("--id", "number", required=True, type=PERSON, help=f"{ID_HELP}{PERSON_HELP}")
@click.option("--on", "day", type=DAY, help="发证日期（默认今天）。")
@click.option("--number", "permit_number", metavar="NO", help="居住证号码（默认自动生成）。")
@click.option("--city", metavar="CODE", help="签发城市（默认为现居住地所在城市）。")
@json_option
@click.pass_obj
def issue(
    app: App,
    number: str,
    day: date | None,
    permit_number: str | None,
    city: str | None,
    as_json: bool,
) -> None:
    """签发居住证（同时登记为证件）；不符合条件时说明原因，不做任何更改。"""
    with chinese(), app.sessions.begin() as session:
        who = person_of(session, app.ctx, number)
        number = str(who.id)
        check = eligibility.eligibility(session, app.ctx, number, on=day, city=city)
        if not check.eligible:
            raise Refusal("不符合申领条件，未签发。\n" + "\n".join(check.lines()))
        done = lifecycle.issue(
            session, app.ctx, number, on=day, permit_number=permit_number, city=city
        )
        st = lifecycle.status_of(done.permit, check.person, done.permit.issued_on)
        data = status_data(st)
        text = status_text(st)
    emit(as_json, data, lambda: f"已签发居住证。\n{text}")


@permit.command("endorse")
@click.option("--id", "number", required=True, type=PERSON, help=f"{ID_HELP}{PERSON_HELP}")
@click.option("--on", "day", type=DAY, help="签注日期（默认今天）。")
@json_option
@click.pass_obj
def endorse(app: App, number: str, day: date | None, as_json: bool) -> None:
    """年度签注：在每个周年日前一个月内办理；逾期签注恢复证件，居住年限自签注日重新计算。"""
    with chinese(), app.sessions.begin() as session:
        who = person_of(session, app.ctx, number)
        number = str(who.id)
        done = lifecycle.endorse(session, app.ctx, number, on=day)
        data = status_data(done.status)
        data["late"] = done.endorsement.late
        text = status_text(done.status)
    lead = (
        f"已逾期签注：证件自 {done.endorsement.suspended_from} 起中止，现已恢复；"
        f"居住年限自 {done.permit.years_from} 起重新计算。"
        if done.endorsement.late
        else f"已签注。下次签注期 {done.status.window[0]} 至 {done.status.window[1]}。"
    )
    emit(as_json, data, lambda: f"{lead}\n{text}")


@permit.command("show")
@click.option("--id", "number", required=True, type=PERSON, help=f"{ID_HELP}{PERSON_HELP}")
@click.option("--on", "day", type=DAY, help="按哪一天显示状态（默认今天）。")
@json_option
@click.pass_obj
def show(app: App, number: str, day: date | None, as_json: bool) -> None:
    """显示居住证：状态、签注期、中止日期、连续居住年限和签注记录。"""
    with chinese(), app.sessions() as session:
        who = person_of(session, app.ctx, number)
        number = str(who.id)
        st = lifecycle.show(session, app.ctx, number, on=day)
        data = status_data(st)
        text = status_text(st)
    emit(as_json, data, lambda: text)


def _list(rows: list[lifecycle.PermitStatus], empty: str) -> str:
    if not rows:
        return empty
    return table(
        ["编号", "居住证号码", "姓名", "证件号码", "辖区", "周年日", "签注期", "状态"],
        [
            [
                short(r.person.id),
                r.permit.number,
                r.person.name,
                mask(r.person.number),
                r.permit.jurisdiction_code,
                r.permit.due_on,
                f"{r.window[0]} 至 {r.window[1]}",
                lifecycle.STATUS_LABELS[r.status],
            ]
            for r in rows
        ],
    )


@permit.command("due")
@click.option("--jurisdiction", "code", metavar="CODE", help="只列出此辖区（含下级）的居住证。")
@click.option("--days", default=30, show_default=True, help="列出周年日在今后多少天内的居住证。")
@json_option
@click.pass_obj
def due(app: App, code: str | None, days: int, as_json: bool) -> None:
    """待签注名单：周年日在今后 30 天内（可用 --days 调整）的居住证，用于提醒持证人。"""
    with chinese(), app.sessions() as session:
        rows = lifecycle.due(session, app.ctx, jurisdiction=code, days=days)
        data = {"permits": [status_data(r) for r in rows]}
        text = _list(rows, f"今后 {days} 天内没有待签注的居住证。")
    emit(as_json, data, lambda: text)


@permit.command("suspended")
@click.option("--jurisdiction", "code", metavar="CODE", help="只列出此辖区（含下级）的居住证。")
@json_option
@click.pass_obj
def suspended(app: App, code: str | None, as_json: bool) -> None:
    """已中止名单：周年日前未签注的居住证（签注后恢复）。"""
    with chinese(), app.sessions() as session:
        rows = lifecycle.suspended(session, app.ctx, jurisdiction=code)
        data = {"permits": [status_data(r) for r in rows]}
        text = _list(rows, "没有已中止的居住证。")
    emit(as_json, data, lambda: text)


@permit.group("study")
def study() -> None:
    """就读记录（连续就读是申领居住证的条件之一）。"""


@study.command("add")
@click.option("--id", "number", required=True, type=PERSON, help=f"学生。{PERSON_HELP}")
@click.option("--school", required=True, help="学校名称。")
@click.option("--jurisdiction", "code", required=True, metavar="CODE", help="学校所在辖区。")
@click.option("--from", "start", type=DAY, required=True, help="入学日期 YYYY-MM-DD。")
@click.option("--to", "end", type=DAY, help="预计毕业（离校）日期 YYYY-MM-DD。")
@json_option
@click.pass_obj
def study_add(
    app: App, number: str, school: str, code: str, start: date, end: date | None, as_json: bool
) -> None:
    """登记一条就读记录（依据学校出具的证明）。"""
    with chinese(), app.sessions.begin() as session:
        who = person_of(session, app.ctx, number)
        number = str(who.id)
        row = studies.record_study(session, app.ctx, number, school, code, start=start, end=end)
        data = {
            "id": row.id,
            "school": row.school,
            "jurisdiction": row.jurisdiction_code,
            "from": row.valid_from,
            "to": row.valid_to,
        }
    until = f" 至 {end}" if end else " 起"
    emit(as_json, data, lambda: f"已登记就读：{mask(who.number)} 在{school}，{start}{until}")


@study.command("end")
@click.option("--id", "number", required=True, type=PERSON, help=f"学生。{PERSON_HELP}")
@click.option("--school", required=True, help="学校名称。")
@click.option("--on", "day", type=DAY, help="离校日期（默认今天）。")
@json_option
@click.pass_obj
def study_end(app: App, number: str, school: str, day: date | None, as_json: bool) -> None:
    """登记离校（毕业、退学、转学）。"""
    with chinese(), app.sessions.begin() as session:
        who = person_of(session, app.ctx, number)
        number = str(who.id)
        row = studies.end_study(session, app.ctx, number, school, on=day)
        data = {"id": row.id, "school": row.school, "from": row.valid_from, "to": row.valid_to}
    emit(as_json, data, lambda: f"已登记离校：{mask(who.number)} 自{school}，{row.valid_to}")
