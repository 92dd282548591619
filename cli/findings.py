"""``check``: run the three matchings (人证、人房、人岗) and list the open findings."""

from __future__ import annotations

from collections import Counter

import click

from cli.app import App
from cli.output import cell, emit, finding_data, joined, json_option, note, table
from cli.progress import bar, wanted
from registry.db.models import Person
from registry.identity.ids import mask
from registry.lookup.refs import short
from registry.matching import checks, worklist

CODE_HELP = "、".join(checks.CODES)


@click.command("check")
@click.option("--jurisdiction", "code", metavar="CODE", help="只比对此辖区及其下级。")
@click.option(
    "--code",
    "finding_code",
    type=click.Choice(list(checks.CODES)),
    metavar="CODE",
    help=f"只看一种问题：{CODE_HELP}。",
)
@json_option
@click.pass_obj
def check(app: App, code: str | None, finding_code: str | None, as_json: bool) -> None:
    """运行人证、人房、人岗比对，按问题代码和辖区列出未处理的问题。

    每个问题列出所涉人员和地点（房屋地址、单位名称、旅馆和房间）；问题编号用于
    laiqu finding show|ack，人员编号用于 laiqu person show。比对记入审计日志。
    """
    sessions = app.sessions
    if wanted(as_json):  # a terminal only: piped or JSON output gets nothing on stderr
        note("正在比对…")
    with sessions.begin() as session, bar("比对", as_json=as_json) as shown:
        work = worklist.run_check(session, app.ctx, code, finding_code, shown)
        opened = work.opened
        rows = [
            {**finding_data(f), "person": _who(person), "place": work.places.get(f.id)}
            for f, person in work.findings
        ]
        refs = {f.id: short(person.id) if person else "" for f, person in work.findings}
    counts = Counter((r["code"], r["jurisdiction"]) for r in rows)
    summary = [{"code": c, "jurisdiction": j, "count": n} for (c, j), n in sorted(counts.items())]
    data = {"opened": len(opened), "count": len(rows), "summary": summary, "findings": rows}
    emit(
        as_json,
        data,
        lambda: joined(
            f"比对完成：新发现 {len(opened)} 个问题，未处理共 {len(rows)} 个。",
            table(
                ["代码", "问题", "辖区", "数量"],
                [
                    [s["code"], checks.CODES[s["code"]].label, s["jurisdiction"], s["count"]]
                    for s in summary
                ],
            )
            if summary
            else "",
            table(
                ["编号", "代码", "辖区", "人员", "人员编号", "地点", "说明", "发现时间"],
                [
                    [
                        short(r["id"]),
                        r["code"],
                        r["jurisdiction"],
                        r["person"],
                        refs[r["id"]],
                        r["place"],
                        r["detail"],
                        cell(r["found_at"]),
                    ]
                    for r in rows
                ],
            )
            if rows
            else "",
        ),
    )


def _who(person: Person | None) -> str | None:
    return f"{person.name} {mask(person.number)}" if person else None


COMMANDS = [check]
