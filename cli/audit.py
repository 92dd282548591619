"""``audit who-viewed|verify``: who looked at a person; is the audit chain intact (admin)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli.app import App
from cli.errors import Refusal, unwritable
from cli.output import emit, json_option, table
from cli.params import PERSON, PERSON_HELP
from registry.lookup import persons
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
@click.option("--id", "number", required=True, type=PERSON, help=f"人员。{PERSON_HELP}")
@json_option
@click.pass_obj
def who_viewed(app: App, number: str, as_json: bool) -> None:
    """列出查看、检索、导出或登记过此人的全部记录（谁、何时、从哪台终端、为何）。

    已清除的人员仍可用完整证件号码查询。
    """
    with app.sessions.begin() as session:
        masked, rows = persons.who_viewed(session, app.ctx, number)
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
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="同时与 laiqu audit checkpoint 写下的检查点核对：发现链尾被截断或整条链被重算。",
)
@json_option
@click.pass_obj
def verify(app: App, checkpoint_file: Path | None, as_json: bool) -> None:
    """逐条核对审计日志的哈希链：发现被删除、篡改或截断的记录时报错（退出码 1）。"""
    checkpoint = _read_checkpoint(checkpoint_file) if checkpoint_file else None
    with app.sessions.begin() as session:
        verdict = (
            auditing.verify_checkpoint(session, app.ctx, checkpoint)
            if checkpoint is not None
            else auditing.verify_as(session, app.ctx)
        )
    if not verdict.ok:
        raise Refusal(
            f"审计日志已被篡改：{_problem(verdict, checkpoint)}"
            f"（已核对 {verdict.entries} 条完好记录）。请立即保全数据库并报告。"
        )
    against = f"，与检查点（{checkpoint['entries']} 条）相符" if checkpoint else ""
    emit(
        as_json,
        {
            "ok": True,
            "entries": verdict.entries,
            "checkpoint": checkpoint is not None,
            "pending": verdict.pending,
            "oldest_pending": verdict.oldest.isoformat() if verdict.oldest else None,
        },
        lambda: (
            f"审计日志完好：共 {verdict.entries} 条记录，哈希链连续{against}。"
            + _backlog(verdict, app)
        ),
    )


def _backlog(verdict: audit.Verdict, app: App) -> str:
    """The entries found waiting to be chained when the verification began (#16)."""
    if not verdict.pending or verdict.oldest is None:
        return ""
    age = max(0, int((app.ctx.now() - verdict.oldest).total_seconds()))
    return f"核对前有 {verdict.pending} 条记录尚未入链（最早的已等 {age} 秒），已先入链再核对。"


@audit_group.command("checkpoint")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="检查点文件（JSON）；请存放在数据库服务器之外。",
)
@json_option
@click.pass_obj
def checkpoint(app: App, out: Path, as_json: bool) -> None:
    """核对审计日志后写下带签名的检查点（记录条数、链头哈希、时间）。

    日后用 laiqu audit verify --checkpoint FILE 核对，可发现被删除的链尾或被重算的整条链。
    """
    with app.sessions.begin() as session:
        verdict, signed = auditing.make_checkpoint(session, app.ctx)
    if signed is None:
        raise Refusal(
            f"审计日志已被篡改，不能写检查点：{_problem(verdict, None)}。请立即保全数据库并报告。"
        )
    try:
        out.write_text(json.dumps(signed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise unwritable(out, exc) from None
    emit(
        as_json,
        {"file": str(out), "entries": signed["entries"], "head": signed["head"]},
        lambda: f"检查点已写入 {out}：共 {signed['entries']} 条记录，链头 {signed['head'][:16]}…",
    )


def _read_checkpoint(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refusal(f"无法读取检查点文件 {path}：不是 laiqu audit checkpoint 写的文件。") from exc
    if not isinstance(data, dict):
        raise Refusal(f"无法读取检查点文件 {path}：不是 laiqu audit checkpoint 写的文件。")
    return data


def _problem(verdict: audit.Verdict, checkpoint: dict[str, Any] | None) -> str:
    text = verdict.problem or ""
    if "signature is wrong" in text:
        return "检查点文件的签名不对（文件被改动，或不是本数据库、本密钥写下的）"
    if "were cut off" in text and checkpoint is not None:
        return (
            f"第 {verdict.seq} 条起的记录被删除（检查点 {checkpoint.get('at')} 时共有 "
            f"{checkpoint.get('entries')} 条），链头也被改写过"
        )
    if "is not the checkpoint's" in text:
        return f"第 {verdict.seq} 条记录与检查点不符（哈希链被删改后重新计算过）"
    if text.startswith("unchained entry") and "replays" in text:
        replayed = text.rsplit(" ", 1)[-1]
        return f"尚未入链的记录（暂存编号 {_pending_id(text)}）重放了第 {replayed} 条记录"
    if text.startswith("unchained entry"):
        return (
            f"尚未入链的记录（暂存编号 {_pending_id(text)}）的内容被改动或伪造"
            "（与审计密钥不符），未予入链"
        )
    if "is missing" in text:
        return f"第 {verdict.seq} 条记录缺失（被删除）"
    if "does not follow" in text:
        return f"第 {verdict.seq} 条记录与前一条不衔接"
    if "was altered" in text:
        return f"第 {verdict.seq} 条记录的内容被改动或伪造（哈希与审计密钥不符）"
    return f"链尾与链头不符，第 {verdict.seq} 条起的记录被截断"


def _pending_id(problem: str) -> str:
    return problem.split(" ")[2]
