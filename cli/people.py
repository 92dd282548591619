"""``person add|show|history|search``: who someone is, where they stay, live and work."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from cli import correct
from cli.app import App
from cli.output import (
    CAPTURES,
    PERSON_HEADERS,
    VENUE_KINDS,
    emit,
    finding_data,
    findings_text,
    joined,
    json_option,
    mask_address,
    mask_phone,
    person_data,
    person_row,
    record,
    table,
)
from cli.params import DAY, PERSON, identity_from, identity_options, person_of, pop_identity
from registry.db.models import Document, Person, Venue
from registry.identity.codes import ethnicity_name, gender_name
from registry.identity.ids import DocType, mask
from registry.lookup import persons, placesearch, records
from registry.lookup.refs import short
from registry.messages import phrase

KINDS = {"stay": "住宿", "residence": "居住", "employment": "就业"}


@click.group("person")
def person() -> None:
    """人员：登记、查看（完整证件号码）、轨迹、查找。"""


@person.command("add")
@identity_options
@click.option(
    "--jurisdiction", "code", metavar="CODE", help="登记地辖区；用于区分本地人口与流动人口。"
)
@json_option
@click.pass_obj
def person_add(app: App, code: str | None, as_json: bool, **options: Any) -> None:
    """登记一个人：用 --reader 刷卡，或用 --id 和 --name 手工录入。"""
    from registry.people import registration
    from registry.places.jurisdictions import city_code

    identity = identity_from(pop_identity(options))
    with app.sessions.begin() as session:
        city = city_code(session, code) if code else None
        reg = registration.register_person(session, app.ctx, identity, city=city)
        data = {
            "person": person_data(reg.person),
            "created": reg.created,
            "capture": reg.capture,
            "warnings": [phrase(w) for w in reg.warnings],
            "findings": [finding_data(f) for f in reg.findings],
        }
    verb = "已登记" if reg.created else "已核对（此前已登记）"
    emit(
        as_json,
        data,
        lambda: joined(
            f"{verb}：{reg.person.name} {mask(reg.person.number)}（{CAPTURES[reg.capture]}）",
            "\n".join(f"注意：{phrase(w)}" for w in reg.warnings),
            findings_text(reg.findings),
        ),
    )


@person.command("show")
@click.argument("ref", type=PERSON)
@click.option(
    "--reveal", is_flag=True, help="显示完整证件号码、电话和户籍地址（须 --reason，记入审计日志）。"
)
@click.option("--reason", metavar="TEXT", help="查看完整信息的理由（如案件编号、核查事由）。")
@json_option
@click.pass_obj
def person_show(app: App, ref: str, reveal: bool, reason: str | None, as_json: bool) -> None:
    """查看一个人的登记信息；证件号码、电话、地址默认脱敏，--reveal --reason 显示完整信息。

    REF：完整证件号码、人员编号（列表中的 8 位编号或完整编号），或证件号码末 4 位以上
    （在本人权限范围内唯一时）。每次查看都记入审计日志（谁、何时、哪台终端、理由）。
    """
    if reveal and not (reason and reason.strip()):
        raise click.UsageError("--reveal 必须同时用 --reason 说明理由")
    if reason and not reveal:
        raise click.UsageError("--reason 只和 --reveal 一起使用")
    with app.sessions.begin() as session:
        number = str(person_of(session, app.ctx, ref).id)
        file = persons.person_file(session, app.ctx, number, reveal_reason=reason)
        found, documents, current, open_findings = (
            file.person,
            file.documents,
            file.current,
            file.findings,
        )
        data = person_data(found, reveal=reveal)
        data["documents"] = [document_data(d) for d in documents]
        data["current"] = [interval_data(i) for i in current]
        data["findings"] = [finding_data(f) for f in open_findings]
    shown_number = found.number if reveal else mask(found.number)
    shown_phone = found.phone if reveal else mask_phone(found.phone)
    shown_address = found.hukou_address if reveal else mask_address(found.hukou_address)
    emit(
        as_json,
        data,
        lambda: joined(
            record(
                [
                    ("编号", short(found.id)),
                    ("姓名", found.name),
                    ("证件类型", DocType(found.doc_type).label),
                    ("证件号码", shown_number),
                    ("性别", gender_name(found.gender)),
                    ("出生日期", found.birth_date),
                    ("民族", ethnicity_name(found.ethnicity)),
                    ("国籍", found.nationality),
                    ("类别", person_row(found)[5]),
                    ("电话", shown_phone),
                    ("户籍地址", shown_address),
                ]
            ),
            table(
                ["证件", "采集", "有效期至", "签发机关"],
                [
                    [
                        DocType(d.doc_type).label,
                        CAPTURES.get(d.capture, d.capture),
                        "长期" if d.long_term else d.valid_to,
                        d.issuer,
                    ]
                    for d in documents
                ],
            ),
            "当前：\n"
            + table(
                ["类型", "地点", "开始", "说明"],
                [[KINDS[i.kind], i.place, i.start, _detail(i.kind, i.detail)] for i in current],
            )
            if current
            else "当前：无在住、居住或就业登记",
            findings_text(open_findings, "未处理的问题"),
        ),
    )


@person.command("history")
@click.argument("ref", type=PERSON)
@click.option("--on", "day", type=DAY, help="只看这一天住在哪里（YYYY-MM-DD）。")
@json_option
@click.pass_obj
def person_history(app: App, ref: str, day: date | None, as_json: bool) -> None:
    """一个人的住宿、居住、就业轨迹（按时间先后）；--on 查某天住在哪里。

    REF：完整证件号码、人员编号或证件号码末 4 位以上（见 person show）。
    """
    with app.sessions.begin() as session:
        number = str(person_of(session, app.ctx, ref).id)
        found, lines = records.read_history(session, app.ctx, number, day)
        data = {
            "person": person_data(found),
            "on": day,
            "history": [interval_data(i) for i in lines],
        }
    emit(
        as_json,
        data,
        lambda: joined(
            f"{found.name} {mask(found.number)}" + (f"，{day} 的居住地：" if day else " 的轨迹："),
            table(
                ["类型", "地点", "开始", "结束", "说明", "辖区"],
                [
                    [
                        KINDS[i.kind],
                        i.place,
                        i.start,
                        i.end or ("已作废" if i.voided_at else "至今"),
                        _detail(i.kind, i.detail)
                        + (f"（已作废：{i.void_reason}）" if i.voided_at else ""),
                        i.jurisdiction,
                    ]
                    for i in lines
                ],
            )
            if lines
            else "（无记录）",
        ),
    )


@person.command("search")
@click.argument("text")
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="最多列出多少人。"
)
@json_option
@click.pass_obj
def person_search(app: App, text: str, limit: int, as_json: bool) -> None:
    """查找人员、房屋和场所：证件号码（完整、部分或末几位）、中文姓名、全拼、拼音首字母（如 zs
    找张三）、电话，或地址、场所名称的一部分。

    列表中的证件号码和电话已脱敏；每行的编号可直接用于 person show、person history、
    house show 等命令。找到的房屋列出现住人员。
    """
    if not text.strip():
        raise click.BadParameter("查找内容不能为空", param_hint="TEXT")
    with app.sessions.begin() as session:
        found = persons.search_all(session, app.ctx, text, limit)
        rows = [{**person_data(p), "match": how} for p, how in found.persons]
        houses = [house_hit_data(h) for h in found.houses]
        venues = [venue_hit_data(v) for v in found.venues]
    emit(
        as_json,
        {
            "query": persons.shown_query(text),
            "count": len(rows),
            "persons": rows,
            "houses": houses,
            "venues": venues,
        },
        lambda: search_text(found),
    )


def search_text(found: persons.Found) -> str:
    """Persons, then houses with their tenants, then venues; each row with its reference."""
    if not (found.persons or found.houses or found.venues):
        return "没有找到匹配的人员、房屋或场所。"
    parts = []
    if found.persons:
        parts.append(
            table(
                ["编号", *PERSON_HEADERS], [[short(p.id), *person_row(p)] for p, _ in found.persons]
            )
        )
    if found.houses:
        parts.append(
            "房屋：\n"
            + table(
                ["编号", "地址", "辖区", "现住人员"],
                [
                    [
                        short(h.house.id),
                        h.house.address,
                        h.house.jurisdiction_code,
                        "、".join(who(t.person) for t in h.tenants) or "（无）",
                    ]
                    for h in found.houses
                ],
            )
        )
    if found.venues:
        parts.append(
            "场所：\n"
            + table(
                ["编号", "名称", "类型", "辖区", "地址"],
                [
                    [
                        short(v.id),
                        v.name,
                        VENUE_KINDS.get(v.kind, v.kind),
                        v.jurisdiction_code,
                        v.address,
                    ]
                    for v in found.venues
                ],
            )
        )
    return joined(*parts)


def who(p: Person) -> str:
    """A person in a list cell: name, masked number and reference."""
    return f"{p.name} {mask(p.number)} [{short(p.id)}]"


def house_hit_data(hit: placesearch.HouseHit) -> dict[str, Any]:
    return {
        "id": hit.house.id,
        "address": hit.house.address,
        "jurisdiction": hit.house.jurisdiction_code,
        "match": hit.match,
        "tenants": [
            {
                **person_data(t.person),
                "residence_id": t.residence.id,
                "from": t.residence.valid_from,
                "relation": t.residence.relation,
            }
            for t in hit.tenants
        ],
    }


def venue_hit_data(v: Venue) -> dict[str, Any]:
    return {
        "id": v.id,
        "name": v.name,
        "kind": v.kind,
        "jurisdiction": v.jurisdiction_code,
        "address": v.address,
    }


# --- plain data ----------------------------------------------------------------------------


def document_data(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "doc_type": doc.doc_type,
        "capture": doc.capture,
        "issuer": doc.issuer,
        "valid_from": doc.valid_from,
        "valid_to": doc.valid_to,
        "long_term": doc.long_term,
        "reader_id": doc.reader_id,
        "read_at": doc.read_at,
        "photo_sha256": doc.photo_sha256,
    }


def interval_data(interval: records.Interval) -> dict[str, Any]:
    """A line of a history. A house's address is the place's (shown to whoever may see the
    house), not the person's own address, which stays masked (``mask_address``)."""
    return {
        "kind": interval.kind,
        "place": interval.place,
        "start": interval.start,
        "end": interval.end,
        "detail": interval.detail,
        "jurisdiction": interval.jurisdiction,
        "voided_at": interval.voided_at,
        "void_reason": interval.void_reason,
    }


correct.register(person)
COMMANDS = [person]


def _detail(kind: str, detail: str | None) -> str | None:
    """The detail of a history line as shown: a residence's relation code in words
    (``tenant`` → 承租人); JSON keeps the code."""
    if kind == "residence" and detail:
        from cli.housing import RELATION_NAMES

        return RELATION_NAMES.get(detail, detail)
    return detail
