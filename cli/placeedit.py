"""Editing places: ``venue update|merge|remove``, ``house merge|remove``,
``employer update|merge|remove`` and ``jurisdiction rename``.

The commands join the groups of ``cli.places`` (``register``); each calls one use case of
``registry.places`` and prints one Chinese line, or ``--json``.
"""

from __future__ import annotations

from typing import Any

import click

from cli.app import App
from cli.output import emit, finding_data, findings_text, joined, json_option
from cli.params import parse_rooms
from registry.db.idrefs import short
from registry.identity.codes import INDUSTRY_SECTIONS
from registry.places import employers, jurisdictions, merging, venues

MOVED_NAMES = {
    "rooms": "房间",
    "stays": "住宿登记",
    "entrusted": "托管关系",
    "users": "用户",
    "residences": "居住登记",
    "employments": "从业登记",
}
KIND_WORDS = {"venue": "场所", "house": "房屋", "employer": "单位"}
INDUSTRY_HELP = "行业门类（GB/T 4754）：" + "、".join(
    f"{k} {v}" for k, v in INDUSTRY_SECTIONS.items()
)


@click.command("rename")
@click.argument("code")
@click.argument("name")
@json_option
@click.pass_obj
def jurisdiction_rename(app: App, code: str, name: str, as_json: bool) -> None:
    """把辖区 CODE 改名为 NAME（代码、级别和上下级不变）。"""
    with app.sessions.begin() as session:
        node = jurisdictions.rename_jurisdiction(session, app.ctx, code, name)
        data = {"code": node.code, "name": node.name, "level": node.level}
    emit(as_json, data, lambda: f"已改名：辖区 {data['code']} 现名为 {data['name']}")


@click.command("update")
@click.argument("ref", metavar="V")
@click.option("--name", help="新名称（同一辖区内不能与其他场所重名）。")
@click.option("--address", help="新地址（空字符串表示清除）。")
@click.option("--add-rooms", metavar="LIST", help="增加房间号，逗号分隔，可用范围，如 301-310。")
@json_option
@click.pass_obj
def venue_update(
    app: App,
    ref: str,
    name: str | None,
    address: str | None,
    add_rooms: str | None,
    as_json: bool,
) -> None:
    """修改场所 V（名称、名称@辖区、编号或其前 8 位以上）的名称、地址，或增加房间。"""
    with app.sessions.begin() as session:
        found = venues.update_venue(
            session,
            app.ctx,
            ref,
            name=name,
            address=address,
            add_rooms=parse_rooms(add_rooms, "--add-rooms"),
        )
        rooms = venues.venue_rooms(session, found.id)
        data = {
            "id": found.id,
            "ref": short(found.id),
            "name": found.name,
            "kind": found.kind,
            "jurisdiction": found.jurisdiction_code,
            "address": found.address,
            "rooms": sorted(rooms),
        }
    emit(as_json, data, lambda: f"已更新场所：{data['name']}（{len(rooms)} 个房间）")


def _merge_command(kind: str, use_case: Any, ref_help: str) -> click.Command:
    word = KIND_WORDS[kind]

    @click.command(
        "merge",
        help=f"先写要保留的{word} KEEP，再写重复的{word} DUPLICATE：把 DUPLICATE 并入 KEEP。"
        f"{ref_help}所有引用改指 KEEP，重复的{word}删除，日志和审计日志留痕。"
        f"两者不在同一辖区时须加 --across，登记随 KEEP 转到其辖区。",
    )
    @click.argument("keep", metavar="KEEP")
    @click.argument("duplicate", metavar="DUPLICATE")
    @click.option(
        "--across", is_flag=True, help="确认合并不同辖区的记录（登记随 KEEP 转到其辖区）。"
    )
    @json_option
    @click.pass_obj
    def merge(app: App, keep: str, duplicate: str, across: bool, as_json: bool) -> None:
        with app.sessions.begin() as session:
            done = use_case(session, app.ctx, keep, duplicate, across=across)
            data = {
                "kind": kind,
                "kept": {"id": done.survivor_id, "name": done.survivor_name},
                "merged": done.gone_id,
                "moved": done.moved,
                "findings": [finding_data(f) for f in done.findings],
            }
        moved = "、".join(f"{MOVED_NAMES.get(k, k)} {n} 条" for k, n in done.moved.items() if n)
        emit(
            as_json,
            data,
            lambda: joined(
                f"已合并{word}：并入 {done.survivor_name}（{done.survivor_id.hex[:8]}）"
                + (f"，转移 {moved}" if moved else "，无需转移登记"),
                findings_text(done.findings),
            ),
        )

    return merge


def _remove_command(kind: str, use_case: Any, ref_help: str) -> click.Command:
    word = KIND_WORDS[kind]

    @click.command(
        "remove",
        help=f"删除没有任何登记引用的{word} REF（{ref_help.rstrip('；')}）；"
        "有引用时拒绝，请改用 merge 合并。",
    )
    @click.argument("ref", metavar="REF")
    @json_option
    @click.pass_obj
    def remove(app: App, ref: str, as_json: bool) -> None:
        with app.sessions.begin() as session:
            gone = use_case(session, app.ctx, ref)
            label = gone.address if kind == "house" else gone.name
            data = {"kind": kind, "id": gone.id, "name": label, "removed": True}
        emit(as_json, data, lambda: f"已删除{word}：{label}（{data['id'].hex[:8]}）")

    return remove


@click.command("update")
@click.argument("ref", metavar="E")
@click.option("--name", help="新名称。")
@click.option("--headcount", type=int, help="申报从业人数。")
@click.option("--industry", metavar="CODE", help=INDUSTRY_HELP)
@click.option("--address", help="新地址（空字符串表示清除）。")
@json_option
@click.pass_obj
def employer_update(app: App, ref: str, as_json: bool, **changes: Any) -> None:
    """修改单位 E（编号或其前 8 位以上、信用代码或名称）的名称、申报人数、行业或地址，
    并重新比对。"""
    with app.sessions.begin() as session:
        changed = employers.update_employer(session, app.ctx, ref, **changes)
        e = changed.record
        data = {
            "id": e.id,
            "name": e.name,
            "uscc": e.uscc,
            "headcount": e.headcount,
            "industry": e.industry,
            "address": e.address,
            "findings": [finding_data(f) for f in changed.findings],
        }
    emit(
        as_json,
        data,
        lambda: joined(f"已更新单位：{data['name']}", findings_text(changed.findings)),
    )


VENUE_REF = "名称、名称@辖区或编号前 8 位；"
HOUSE_REF = "编号（列表中的 8 位编号或完整编号）或门牌编码；"
EMPLOYER_REF = "编号（列表中的 8 位编号或完整编号）、信用代码或名称；"


def register(
    jurisdiction: click.Group, venue: click.Group, house: click.Group, employer: click.Group
) -> None:
    """Add the editing commands to the groups of ``cli.places``."""
    jurisdiction.add_command(jurisdiction_rename)
    venue.add_command(venue_update)
    venue.add_command(_merge_command("venue", merging.merge_venues, VENUE_REF))
    venue.add_command(_remove_command("venue", merging.remove_venue, VENUE_REF))
    house.add_command(_merge_command("house", merging.merge_houses, HOUSE_REF))
    house.add_command(_remove_command("house", merging.remove_house, HOUSE_REF))
    employer.add_command(employer_update)
    employer.add_command(_merge_command("employer", merging.merge_employers, EMPLOYER_REF))
    employer.add_command(_remove_command("employer", merging.remove_employer, EMPLOYER_REF))
