"""``jurisdiction``, ``venue``, ``house`` and ``employer``: the places of the registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cli import placeedit, placeviews
from cli.app import App
from cli.output import VENUE_KINDS as KIND_NAMES
from cli.output import emit, finding_data, findings_text, joined, json_option, record, table
from cli.params import PERSON, PERSON_HELP, parse_rooms, person_of
from registry.db.idrefs import short
from registry.db.models import Employer, House, Jurisdiction, Venue
from registry.identity.ids import mask
from registry.lookup import places as placelookup
from registry.places import employers, houses, jurisdictions, venues

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Where a venue or house is registered: a station, community or grid (never a city or district).
PLACE_JURISDICTION = click.option(
    "--jurisdiction",
    "code",
    required=True,
    metavar="CODE",
    help="所属派出所、社区或网格的代码（不能是市或区县）。",
)
LANDLORD_HELP = "房东（须已登记）：" + PERSON_HELP.removeprefix("人员：")

LEVEL_NAMES = {
    "city": "市",
    "district": "区县",
    "station": "派出所",
    "community": "社区/村",
    "grid": "网格",
}
USE_NAMES = {"rental": "出租", "owner": "自住", "dormitory": "宿舍", "collective": "集体户"}


@click.group("jurisdiction")
def jurisdiction() -> None:
    """辖区：市 → 区县 → 派出所 → 社区/村 → 网格。"""


@jurisdiction.command("add")
@click.argument("code")
@click.argument("name")
@click.option(
    "--level",
    required=True,
    type=click.Choice(jurisdictions.LEVELS),
    help="级别：city 市、district 区县、station 派出所、community 社区/村、grid 网格。",
)
@click.option(
    "--parent",
    metavar="CODE",
    help="上级辖区代码（市级以外必填）：区县在市下，派出所在区县下（不设区的市在市下），"
    "社区在派出所下，网格在社区或派出所下。",
)
@json_option
@click.pass_obj
def jurisdiction_add(
    app: App, code: str, name: str, level: str, parent: str | None, as_json: bool
) -> None:
    """登记一个辖区，CODE 为代码（区县用 GB/T 2260 代码），NAME 为名称。"""
    with app.sessions.begin() as session:
        node = jurisdictions.add_jurisdiction(session, app.ctx, code, name, level, parent)
        data = jurisdiction_data(node)
    emit(
        as_json, data, lambda: f"已登记辖区：{data['code']} {data['name']}（{LEVEL_NAMES[level]}）"
    )


@jurisdiction.command("list")
@click.option("--under", metavar="CODE", help="只列出此辖区及其下级。")
@json_option
@click.pass_obj
def jurisdiction_list(app: App, under: str | None, as_json: bool) -> None:
    """列出辖区树。"""
    with app.sessions.begin() as session:
        rows = [jurisdiction_data(j) for j in jurisdictions.list_jurisdictions(session, under)]
    emit(
        as_json,
        {"jurisdictions": rows},
        lambda: table(
            ["代码", "名称", "级别", "上级"],
            [
                [
                    "  " * (r["path"].count("/") - 2) + r["code"],
                    r["name"],
                    LEVEL_NAMES[r["level"]],
                    r["parent"],
                ]
                for r in rows
            ],
        ),
    )


def jurisdiction_data(node: Jurisdiction) -> dict[str, Any]:
    return {
        "code": node.code,
        "name": node.name,
        "level": node.level,
        "parent": node.parent_code,
        "path": node.path,
    }


@click.group("venue")
def venue() -> None:
    """场所：旅馆（含房间）、租赁中介、社区服务站。"""


@venue.command("add")
@click.argument("name")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(venues.VENUE_KINDS),
    help="类型：hotel 旅馆、intermediary 中介、station 服务站、employer 单位场所。",
)
@PLACE_JURISDICTION
@click.option("--rooms", metavar="LIST", help="旅馆房间号，逗号分隔，可用范围，如 101-110,201。")
@click.option("--address", help="地址。")
@json_option
@click.pass_obj
def venue_add(
    app: App, name: str, kind: str, code: str, rooms: str | None, address: str | None, as_json: bool
) -> None:
    """登记一个场所；打印的编号可在 --venue 中使用（名称唯一时也可用名称）。"""
    numbers = parse_rooms(rooms)
    with app.sessions.begin() as session:
        found = venues.add_venue(session, app.ctx, name, kind, code, numbers, address)
        data = venue_data(found, numbers)
    emit(
        as_json,
        data,
        lambda: (
            f"已登记{KIND_NAMES[kind]}：{data['name']}，{len(numbers)} 个房间，编号 {data['id']}"
        ),
    )


@venue.command("list")
@click.option("--jurisdiction", "code", metavar="CODE", help="只列出此辖区及其下级的场所。")
@json_option
@click.pass_obj
def venue_list(app: App, code: str | None, as_json: bool) -> None:
    """列出场所；每行的编号可用于 venue show|update|merge|remove 和 --venue。"""
    with app.sessions.begin() as session:
        rows = [venue_data(v, rooms) for v, rooms in venues.list_venues(session, code)]
    emit(
        as_json,
        {"venues": rows},
        lambda: table(
            ["编号", "名称", "类型", "辖区", "房间数"],
            [
                [
                    r["ref"],
                    r["name"],
                    KIND_NAMES.get(r["kind"], r["kind"]),
                    r["jurisdiction"],
                    len(r["rooms"]),
                ]
                for r in rows
            ],
        ),
    )


@venue.command("show")
@click.argument("ref", metavar="V")
@json_option
@click.pass_obj
def venue_show(app: App, ref: str, as_json: bool) -> None:
    """查看一个场所：类型、辖区、地址、房间，租房中介托管的房屋数。

    V：场所名称（重名时写 名称@辖区代码）或编号（列表中的 8 位编号或完整编号）。
    """
    with app.sessions.begin() as session:
        file = placelookup.venue_file(session, app.ctx, ref)
        data = {**venue_data(file.venue, file.rooms), "entrusted_houses": file.entrusted}
    v = file.venue
    emit(
        as_json,
        data,
        lambda: record(
            [
                ("编号", data["ref"]),
                ("名称", v.name),
                ("类型", KIND_NAMES.get(v.kind, v.kind)),
                ("辖区", v.jurisdiction_code),
                ("地址", v.address),
                ("房间", "、".join(file.rooms) or "无"),
                ("托管房屋", file.entrusted if v.kind == "intermediary" else None),
            ]
        ),
    )


def venue_data(found: Venue, rooms: list[str]) -> dict[str, Any]:
    return {
        "id": found.id,
        "ref": short(found.id),
        "name": found.name,
        "kind": found.kind,
        "jurisdiction": found.jurisdiction_code,
        "address": found.address,
        "rooms": sorted(rooms),
    }


@click.group("house")
def house() -> None:
    """房屋：地址、房东、用途、核定居住人数、租赁备案、治安责任保证书。"""


@house.command("add")
@click.option("--address", required=True, help="标准地址。")
@PLACE_JURISDICTION
@click.option("--landlord", type=PERSON, help=LANDLORD_HELP)
@click.option("--capacity", type=int, help="核定居住人数。")
@click.option("--filing", metavar="NO", help="租赁备案号。")
@click.option("--pledge", is_flag=True, help="已签治安责任保证书。")
@click.option(
    "--use",
    type=click.Choice(houses.HOUSE_USES),
    default="rental",
    show_default=True,
    help="用途：rental 出租、owner 自住、dormitory 宿舍、collective 集体户。",
)
@click.option("--rooms", type=int, help="房间数。")
@click.option("--door-plate", metavar="CODE", help="门牌编码（可在 --house 中代替编号使用）。")
@json_option
@click.pass_obj
def house_add(app: App, address: str, code: str, as_json: bool, **details: Any) -> None:
    """登记一处房屋；打印的编号（或门牌编码）可在 --house 中使用。"""
    with app.sessions.begin() as session:
        landlord = _landlord(session, app, details)
        found = houses.add_house(session, app.ctx, address, code, **details)
        session.flush()
        data = house_data(found, landlord)
    emit(as_json, data, lambda: f"已登记房屋：{data['address']}，编号 {data['id']}")


@house.command("update")
@click.argument("ref", metavar="H")
@click.option("--landlord", type=PERSON, help=LANDLORD_HELP)
@click.option("--capacity", type=int, help="核定居住人数。")
@click.option("--filing", metavar="NO", help="租赁备案号（空字符串表示撤销）。")
@click.option("--pledge/--no-pledge", default=None, help="是否已签治安责任保证书。")
@click.option("--address", help="新的标准地址（同一辖区内不能与其他房屋重复）。")
@click.option("--door-plate", metavar="CODE", help="门牌编码（空字符串表示清除）。")
@click.option(
    "--use",
    type=click.Choice(houses.HOUSE_USES),
    help="用途：rental 出租、owner 自住、dormitory 宿舍、collective 集体户。",
)
@click.option("--rooms", type=int, help="房间数。")
@json_option
@click.pass_obj
def house_update(app: App, ref: str, as_json: bool, **changes: Any) -> None:
    """更新房屋 H（编号或其前 8 位以上，或门牌编码）的备案号、保证书、核定人数、房东、地址、
    门牌、用途或房间数，并重新比对。"""
    with app.sessions.begin() as session:
        landlord = _landlord(session, app, changes)
        changed = houses.update_house(session, app.ctx, ref, **changes)
        data = house_data(changed.record, landlord)
        data["findings"] = [finding_data(f) for f in changed.findings]
    emit(
        as_json,
        data,
        lambda: joined(f"已更新房屋：{data['address']}", findings_text(changed.findings)),
    )


@house.command("entrust")
@click.argument("ref", metavar="H")
@click.option("--venue", required=True, metavar="V", help="托管房屋的租房中介（名称或编号）。")
@json_option
@click.pass_obj
def house_entrust(app: App, ref: str, venue: str, as_json: bool) -> None:
    """把房屋 H 托管给租房中介：中介的用户此后可为该房屋登记租客（协管员或管理员操作）。"""
    with app.sessions.begin() as session:
        row = houses.entrust(session, app.ctx, ref, venue)
        data = {"house": row.house_id, "venue": row.venue_id, "since": row.since}
    emit(as_json, data, lambda: f"已托管：房屋 {ref} → 中介 {venue}")


def _landlord(session: Session, app: App, options: dict[str, Any]) -> str | None:
    """The ``--landlord`` reference resolved: a full number goes to the core as it is, any
    other reference (an id, its prefix, last digits) through ``person_of`` and on as the
    person's id; the landlord's number is returned for the output, which masks it."""
    from registry.lookup.refs import is_full_number

    ref = options.get("landlord")
    if not ref or is_full_number(ref):
        return ref
    person = person_of(session, app.ctx, ref)
    options["landlord"] = str(person.id)
    return person.number


def house_data(found: House, landlord: str | None = None) -> dict[str, Any]:
    return {
        "id": found.id,
        "address": found.address,
        "jurisdiction": found.jurisdiction_code,
        "door_plate": found.door_plate,
        "use": found.use,
        "rooms": found.rooms,
        "capacity": found.capacity,
        "filing_number": found.filing_number,
        "pledge_signed": found.pledge_signed,
        "landlord_id": found.landlord_id,
        "landlord": mask(landlord) if landlord else None,
    }


@click.group("employer")
def employer() -> None:
    """用工单位：名称、统一社会信用代码、辖区、申报从业人数。"""


@employer.command("add")
@click.argument("name")
@click.option("--uscc", required=True, metavar="CODE", help="统一社会信用代码（18 位）。")
@click.option("--jurisdiction", "code", required=True, metavar="CODE", help="所属辖区代码。")
@click.option("--headcount", type=int, help="申报从业人数。")
@click.option("--industry", metavar="CODE", help=placeedit.INDUSTRY_HELP)
@click.option("--address", help="地址。")
@json_option
@click.pass_obj
def employer_add(app: App, name: str, uscc: str, code: str, as_json: bool, **details: Any) -> None:
    """登记一个用工单位；打印的编号、信用代码或名称可在 --employer 中使用。"""
    with app.sessions.begin() as session:
        changed = employers.add_employer(session, app.ctx, name, uscc, code, **details)
        data = employer_data(changed.record)
        data["findings"] = [finding_data(f) for f in changed.findings]
    emit(
        as_json,
        data,
        lambda: joined(
            f"已登记单位：{data['name']}（{data['uscc']}），编号 {data['id']}",
            findings_text(changed.findings),
        ),
    )


def employer_data(found: Employer) -> dict[str, Any]:
    return {
        "id": found.id,
        "name": found.name,
        "uscc": found.uscc,
        "jurisdiction": found.jurisdiction_code,
        "headcount": found.headcount,
        "industry": found.industry,
        "address": found.address,
        "registered": found.registered,
    }


placeedit.register(jurisdiction, venue, house, employer)
placeviews.register(house, employer)
COMMANDS = [jurisdiction, venue, house, employer]
