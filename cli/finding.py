"""``finding list|show|ack``: the open findings, one finding (or a person's) in full, and
closing a finding that is a fact (PH-LATE) once handled."""

from __future__ import annotations

from typing import Any

import click

from cli.app import App
from cli.output import cell, emit, finding_data, joined, json_option, record, table
from registry.identity.ids import mask
from registry.lookup import findings as use_cases
from registry.lookup.refs import short
from registry.matching.checks import CODES

CODE_CHOICE = click.Choice(list(CODES))
REF_HELP = (
    "问题编号（laiqu check、finding list 列出的 8 位编号），或人员（完整证件号码、人员编号、"
    "证件号码末 4 位以上）：此人的问题。"
)

SEVERITY_NAMES = {"low": "低", "medium": "中", "high": "高"}  # text only; JSON keeps the code


@click.group("finding")
def finding() -> None:
    """比对问题：列出、查看，处理后销号（逾期申报 PH-LATE 等事实类问题）。"""


def item_data(item: use_cases.Item) -> dict[str, Any]:
    p = item.person
    return {
        **finding_data(item.finding),
        "resolution": item.finding.resolution,
        "person": f"{p.name} {mask(p.number)}" if p else None,
        "place": item.place,
    }


def _who(item: use_cases.Item) -> str:
    p = item.person
    return f"{p.name} {mask(p.number)} [{short(p.id)}]" if p else ""


def items_table(items: list[use_cases.Item]) -> str:
    return table(
        ["编号", "代码", "问题", "辖区", "人员", "地点", "说明", "发现时间"],
        [
            [
                short(i.finding.id),
                i.finding.code,
                CODES[i.finding.code].label if i.finding.code in CODES else "",
                i.finding.jurisdiction_code,
                _who(i),
                i.place,
                i.finding.detail,
                cell(i.finding.found_at),
            ]
            for i in items
        ],
    )


@finding.command("list")
@click.option("--jurisdiction", "code", metavar="CODE", help="只列出此辖区及其下级的问题。")
@click.option("--code", "finding_code", type=CODE_CHOICE, metavar="CODE", help="只看一种问题。")
@json_option
@click.pass_obj
def finding_list(app: App, code: str | None, finding_code: str | None, as_json: bool) -> None:
    """列出未处理的问题（不重新比对；重新比对用 laiqu check）。"""
    with app.sessions.begin() as session:
        items = use_cases.open_items(session, app.ctx, code, finding_code)
        data = {"count": len(items), "findings": [item_data(i) for i in items]}
    emit(as_json, data, lambda: items_table(items) if items else "没有未处理的问题。")


@finding.command("show")
@click.argument("ref", metavar="REF")
@click.option("--code", "finding_code", type=CODE_CHOICE, metavar="CODE", help="只看一种问题。")
@click.option("--all", "resolved", is_flag=True, help="也列出已处理的问题（查人员时）。")
@json_option
@click.pass_obj
def finding_show(
    app: App, ref: str, finding_code: str | None, resolved: bool, as_json: bool
) -> None:
    """查看一个问题的详情，或一个人的全部未处理问题。

    REF：问题编号（check、finding list 列出的 8 位编号），或人员（完整证件号码、人员编号、
    证件号码末 4 位以上）。每次查看都记入审计日志。
    """
    with app.sessions.begin() as session:
        found = use_cases.find_findings(session, app.ctx, ref, code=finding_code, resolved=resolved)
        data = {
            "person_id": found.person.id if found.person else None,
            "count": len(found.items),
            "findings": [item_data(i) for i in found.items],
        }

    def text() -> str:
        if found.person is None:
            i = found.items[0]
            f = i.finding
            info = CODES.get(f.code)
            return record(
                [
                    ("编号", short(f.id)),
                    ("代码", f.code),
                    ("问题", f"{info.matching} · {info.label}" if info else ""),
                    ("严重程度", SEVERITY_NAMES.get(f.severity, f.severity)),
                    ("辖区", f.jurisdiction_code),
                    ("人员", _who(i) or "（不涉及个人）"),
                    ("地点", i.place),
                    ("说明", f.detail),
                    ("发现时间", cell(f.found_at)),
                    ("处理时间", cell(f.resolved_at) or "未处理"),
                    ("处理说明", f.resolution),
                ]
            )
        p = found.person
        head = f"{p.name} {mask(p.number)} [{short(p.id)}] 的问题："
        return joined(head, items_table(found.items)) if found.items else head + "无"

    emit(as_json, data, text)


@finding.command("ack")
@click.argument("ref", metavar="REF")
@click.option("--note", required=True, help="如何处理的（如：已对房东进行告知）。")
@click.option(
    "--code", "finding_code", type=CODE_CHOICE, metavar="CODE", help="按人员销号时选定问题代码。"
)
@json_option
@click.pass_obj
def finding_ack(app: App, ref: str, note: str, finding_code: str | None, as_json: bool) -> None:
    """处理后销号：关闭逾期申报（PH-LATE）等事实类问题，写明处理情况（记入工作日志）。

    REF：问题编号，或人员（此人只有一个可销号的问题时）。其他问题在情况消除后自动关闭，
    如 PC-DISAGREE 用 laiqu person correct 更正后消除。
    """
    with app.sessions.begin() as session:
        item = use_cases.acknowledge(session, app.ctx, ref, note, code=finding_code)
        data = item_data(item)
    emit(
        as_json,
        data,
        lambda: (
            f"已销号：{item.finding.code} [{short(item.finding.id)}] "
            f"{_who(item) or item.place or ''}（{item.finding.resolution}）"
        ),
    )


COMMANDS = [finding]
