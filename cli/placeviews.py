"""``house list|show`` and ``employer list|show``: the places of the registry with who lives
or works there, now and in the past. Reads are audited (``registry.lookup.places``)."""

from __future__ import annotations

from typing import Any

import click

from cli.app import App
from cli.output import (
    cell,
    emit,
    finding_data,
    findings_text,
    joined,
    json_option,
    person_data,
    record,
    table,
)
from registry.db.models import Employer, House, Person
from registry.identity.codes import INDUSTRY_SECTIONS
from registry.identity.ids import mask
from registry.lookup import places
from registry.lookup.refs import short

USE_NAMES = {"rental": "出租", "owner": "自住", "dormitory": "宿舍", "collective": "集体户"}
RELATIONS = {
    "tenant": "承租人",
    "co-tenant": "合租人",
    "family": "家属",
    "dormitory": "宿舍",
    "owner": "房主",
}


def who(p: Person | None) -> str:
    """A person in a cell: name, masked number and the reference person commands take."""
    return f"{p.name} {mask(p.number)} [{short(p.id)}]" if p else ""


# --- houses ----------------------------------------------------------------------------------


@click.command("list")
@click.option("--jurisdiction", "code", metavar="CODE", help="只列出此辖区及其下级的房屋。")
@json_option
@click.pass_obj
def house_list(app: App, code: str | None, as_json: bool) -> None:
    """列出房屋及现住人数（只含本人权限范围内的房屋）。"""
    with app.sessions.begin() as session:
        rows = places.list_houses(session, app.ctx, code)
        data = {"houses": [{**house_data(r.house), "tenants": r.tenants} for r in rows]}
    emit(
        as_json,
        data,
        lambda: (
            table(
                ["编号", "地址", "辖区", "用途", "核定人数", "现住人数", "备案号"],
                [
                    [
                        short(r.house.id),
                        r.house.address,
                        r.house.jurisdiction_code,
                        USE_NAMES.get(r.house.use, r.house.use),
                        r.house.capacity,
                        r.tenants,
                        r.house.filing_number,
                    ]
                    for r in rows
                ],
            )
            if rows
            else "没有房屋。"
        ),
    )


@click.command("show")
@click.argument("ref", metavar="H")
@json_option
@click.pass_obj
def house_show(app: App, ref: str, as_json: bool) -> None:
    """查看一处房屋：房东、现住人员和曾住人员、托管中介、未处理的问题。

    H：房屋编号（列表中的 8 位编号或完整编号）或门牌编码。每次查看都记入审计日志。
    """
    with app.sessions.begin() as session:
        file = places.house_file(session, app.ctx, ref)
        data = {
            **house_data(file.house),
            "landlord": person_data(file.landlord) if file.landlord else None,
            "intermediaries": [{"id": v.id, "name": v.name} for v in file.intermediaries],
            "tenants": [tenancy_data(t) for t in file.now],
            "past_tenants": [tenancy_data(t) for t in file.past],
            "findings": [finding_data(f) for f in file.findings],
        }
    h = file.house

    def text() -> str:
        head = record(
            [
                ("编号", short(h.id)),
                ("地址", h.address),
                ("辖区", h.jurisdiction_code),
                ("门牌编码", h.door_plate),
                ("用途", USE_NAMES.get(h.use, h.use)),
                ("房间数", h.rooms),
                ("核定人数", h.capacity),
                ("备案号", h.filing_number or "未备案"),
                ("治安责任保证书", h.pledge_signed),
                ("房东", who(file.landlord) or "未登记"),
                ("托管中介", "、".join(v.name for v in file.intermediaries)),
            ]
        )
        return joined(
            head,
            _tenants("现住人员", file.now, past=False),
            _tenants("曾住人员", file.past, past=True),
            findings_text(file.findings, "未处理的问题"),
        )

    emit(as_json, data, text)


def _tenants(title: str, rows: list[places.Tenancy], *, past: bool) -> str:
    if not rows:
        return f"{title}：无"
    headers = ["编号", "姓名", "证件号码", "关系", "迁入日期"] + (["迁出日期"] if past else [])
    return f"{title}（{len(rows)}）：\n" + table(
        headers,
        [
            [
                short(t.person.id),
                t.person.name,
                mask(t.person.number),
                RELATIONS.get(t.residence.relation, t.residence.relation),
                t.residence.valid_from,
                *([t.residence.valid_to] if past else []),
            ]
            for t in rows
        ],
    )


def house_data(h: House) -> dict[str, Any]:
    return {
        "id": h.id,
        "address": h.address,
        "jurisdiction": h.jurisdiction_code,
        "door_plate": h.door_plate,
        "use": h.use,
        "rooms": h.rooms,
        "capacity": h.capacity,
        "filing_number": h.filing_number,
        "pledge_signed": h.pledge_signed,
        "landlord_id": h.landlord_id,
    }


def tenancy_data(t: places.Tenancy) -> dict[str, Any]:
    return {
        "person": person_data(t.person),
        "residence_id": t.residence.id,
        "relation": t.residence.relation,
        "from": t.residence.valid_from,
        "to": t.residence.valid_to,
        "planned_end": t.residence.planned_end,
    }


# --- employers -------------------------------------------------------------------------------


@click.command("list")
@click.option("--jurisdiction", "code", metavar="CODE", help="只列出此辖区及其下级的单位。")
@json_option
@click.pass_obj
def employer_list(app: App, code: str | None, as_json: bool) -> None:
    """列出用工单位及在岗人数（只含本人权限范围内的单位）。"""
    with app.sessions.begin() as session:
        rows = places.list_employers(session, app.ctx, code)
        data = {
            "employers": [{**employer_data(r.employer), "employees": r.employees} for r in rows]
        }
    emit(
        as_json,
        data,
        lambda: (
            table(
                ["编号", "名称", "统一社会信用代码", "辖区", "申报人数", "在岗人数", "已登记"],
                [
                    [
                        short(r.employer.id),
                        r.employer.name,
                        r.employer.uscc,
                        r.employer.jurisdiction_code,
                        r.employer.headcount,
                        r.employees,
                        r.employer.registered,
                    ]
                    for r in rows
                ],
            )
            if rows
            else "没有用工单位。"
        ),
    )


@click.command("show")
@click.argument("ref", metavar="E")
@json_option
@click.pass_obj
def employer_show(app: App, ref: str, as_json: bool) -> None:
    """查看一个用工单位：在岗和已离职的从业人员、未处理的问题。

    E：单位编号（列表中的 8 位编号或完整编号）、统一社会信用代码或名称。每次查看都记入审计日志。
    """
    with app.sessions.begin() as session:
        file = places.employer_file(session, app.ctx, ref)
        data = {
            **employer_data(file.employer),
            "employees": [job_data(j) for j in file.now],
            "past_employees": [job_data(j) for j in file.past],
            "findings": [finding_data(f) for f in file.findings],
        }
    e = file.employer

    def text() -> str:
        head = record(
            [
                ("编号", short(e.id)),
                ("名称", e.name),
                ("统一社会信用代码", e.uscc),
                ("辖区", e.jurisdiction_code),
                ("行业", industry_text(e.industry)),
                ("地址", e.address),
                ("申报人数", e.headcount),
                ("已登记", e.registered),
            ]
        )
        return joined(
            head,
            _jobs("在岗人员", file.now, past=False),
            _jobs("已离职人员", file.past, past=True),
            findings_text(file.findings, "未处理的问题"),
        )

    emit(as_json, data, text)


def _jobs(title: str, rows: list[places.Job], *, past: bool) -> str:
    if not rows:
        return f"{title}：无"
    headers = ["编号", "姓名", "证件号码", "岗位", "上岗日期"] + (["离职日期"] if past else [])
    return f"{title}（{len(rows)}）：\n" + table(
        headers,
        [
            [
                short(j.person.id),
                j.person.name,
                mask(j.person.number),
                j.employment.post,
                j.employment.valid_from,
                *([cell(j.employment.valid_to)] if past else []),
            ]
            for j in rows
        ],
    )


def employer_data(e: Employer) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "uscc": e.uscc,
        "jurisdiction": e.jurisdiction_code,
        "headcount": e.headcount,
        "industry": e.industry,
        "industry_name": INDUSTRY_SECTIONS.get(e.industry) if e.industry else None,
        "address": e.address,
        "registered": e.registered,
    }


def industry_text(code: str | None) -> str | None:
    """An industry section as a person reads it: ``H 住宿和餐饮业`` (GB/T 4754-2017 section
    letter and name); a code outside the table (an old row) as it is."""
    if not code:
        return None
    name = INDUSTRY_SECTIONS.get(code)
    return f"{code} {name}" if name else code


def job_data(j: places.Job) -> dict[str, Any]:
    return {
        "person": person_data(j.person),
        "employment_id": j.employment.id,
        "post": j.employment.post,
        "from": j.employment.valid_from,
        "to": j.employment.valid_to,
    }


def register(house: click.Group, employer: click.Group) -> None:
    """Add ``list`` and ``show`` to the ``house`` and ``employer`` groups."""
    house.add_command(house_list)
    house.add_command(house_show)
    employer.add_command(employer_list)
    employer.add_command(employer_show)
