"""``audit who-viewed|verify``: who looked at a person; is the audit chain intact (admin)."""

from __future__ import annotations

import click

from cli.app import App
from cli.errors import Refusal
from cli.output import emit, json_option, table
from registry.privacy import audit, auditing

KIND_NAMES = {
    "read": "查看",
    "reveal": "查看完整信息",
    "export": "导出",
    "report": "报表",
    "write": "登记",
    "refused": "越权被拒",
    "admin": "管理",
}


@click.group("audit")
def audit_group() -> None:
    """审计日志：谁查看过某人、日志是否完整未被篡改（管理员）。"""


audit_group.name = "audit"


@audit_group.command("who-viewed")
@click.option("--id", "number", required=True, metavar="IDNO", help="人员的证件号码。")
@json_option
@click.pass_obj
def who_viewed(app: App, number: str, as_json: bool) -> None:
    """列出查看、检索、导出或登记过此人的全部记录（谁、何时、从哪台终端、为何）。"""
    with app.sessions.begin() as session:
        masked, rows = auditing.who_viewed_number(session, app.ctx, number)
    data = {
        "id_number": masked,
        "count": len(rows),
        "entries": [
            {
                "seq": r.seq,
                "at": r.at,
                "user": r.actor,
                "role": r.role,
                "terminal": r.terminal,
                "kind": r.kind,
                "action": r.action,
                "purpose": r.purpose,
            }
            for r in rows
        ],
    }
    emit(
        as_json,
        data,
        lambda: (
            f"{masked}：共 {len(rows)} 条审计记录\n"
            + table(
                ["序号", "时间", "用户", "角色", "终端", "类型", "操作", "理由"],
                [
                    [
                        r.seq,
                        r.at,
                        r.actor,
                        r.role,
                        r.terminal,
                        KIND_NAMES[r.kind],
                        r.action,
                        r.purpose,
                    ]
                    for r in rows
                ],
            )
        ),
    )


@audit_group.command("verify")
@json_option
@click.pass_obj
def verify(app: App, as_json: bool) -> None:
    """逐条核对审计日志的哈希链：发现被删除、篡改或截断的记录时报错（退出码 1）。"""
    with app.sessions.begin() as session:
        verdict = auditing.verify_as(session, app.ctx)
    if not verdict.ok:
        raise Refusal(
            f"审计日志已被篡改：{_problem(verdict)}（已核对 {verdict.entries} 条完好记录）。"
            "请立即保全数据库并报告。"
        )
    emit(
        as_json,
        {"ok": True, "entries": verdict.entries},
        lambda: f"审计日志完好：共 {verdict.entries} 条记录，哈希链连续。",
    )


def _problem(verdict: audit.Verdict) -> str:
    text = verdict.problem or ""
    if "is missing" in text:
        return f"第 {verdict.seq} 条记录缺失（被删除）"
    if "does not follow" in text:
        return f"第 {verdict.seq} 条记录与前一条不衔接"
    if "was altered" in text:
        return f"第 {verdict.seq} 条记录的内容被改动"
    return f"链尾与链头不符，第 {verdict.seq} 条起的记录被截断"
