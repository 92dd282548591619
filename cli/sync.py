"""``laiqu sync``: the desk's outbox to the station registry, online or as a file through a gate."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from cli.app import App
from cli.errors import Refusal
from cli.output import cell, emit, joined, json_option, table
from cli.progress import bar
from cli.station import open_station, station_options
from registry.errors import NotFound
from registry.messages import phrase
from registry.sync import files, outbox, rates
from registry.sync.push import BATCH, PushReport, StationRefused, push
from registry.sync.station import UnknownVenue
from reports.ontime import silence

STATES = {"pending": "待上报", "sent": "已发送待确认", "accepted": "已接收", "rejected": "被拒收"}
TABLES = {
    "persons": "人员",
    "documents": "证件",
    "stays": "住宿",
    "residences": "居住",
    "employments": "从业",
    "events": "日志",
    "heartbeat": "心跳",
}
VENUE_HELP = "本前台所属场所（编号或名称）；库中只有一个场所时可省略。"


def age_text(age: timedelta | None) -> str:
    if age is None:
        return "—"
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} 分钟"
    if minutes < 48 * 60:
        return f"{minutes // 60} 小时 {minutes % 60} 分钟"
    return f"{minutes // 1440} 天"


@click.group("sync")
def sync() -> None:
    """上报：前台离线登记的记录上报派出所（在线推送，或经网闸用文件导出导入）。"""


@sync.command("push")
@click.option(
    "--to",
    "url",
    required=True,
    metavar="URL",
    help="派出所服务地址（https://主机:端口）；管理员也可直接给出派出所数据库地址。",
)
@click.option("--venue", metavar="V", help=VENUE_HELP)
@click.option(
    "--batch",
    type=click.IntRange(1, 5000),
    default=BATCH,
    show_default=True,
    help="每批上报的条数。",
)
@click.option(
    "--retry-for",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="连接失败时按退避间隔重试的最长秒数（0 为不重试）。",
)
@station_options
@json_option
@click.pass_obj
def push_command(
    app: App,
    url: str,
    venue: str | None,
    batch: int,
    retry_for: float,
    station_user: str | None,
    token_file: Path | None,
    ca_file: Path | None,
    as_json: bool,
) -> None:
    """把待上报的记录分批推送到派出所；重复推送不会重复登记。

    经派出所服务（https://…）上报时用 --user（密码取自 LAIQU_STATION_PASSWORD）或
    --token-file 登录；派出所繁忙（429/503）或网络中断时按退避间隔重试。
    """
    sessions = app.sessions
    station = open_station(app, url, station_user, token_file, ca_file)
    try:
        with bar("上报", as_json=as_json) as shown:
            report = push(
                sessions,
                station,
                app.ctx,
                venue_ref=venue,
                batch=batch,
                retry_for=retry_for,
                now=True,
                progress=shown,
            )
    except UnknownVenue as exc:
        raise Refusal("派出所尚未登记本场所：请先在派出所登记同名场所后再上报。") from exc
    except StationRefused as exc:
        raise Refusal(f"派出所拒收本批上报（{exc}）。记录仍保存在本机，待处理后再上报。") from exc
    finally:
        if not isinstance(station, str):
            station.close()
    with app.sessions() as session:
        left = outbox.summary(session)
    data = _push_data(report, left)
    emit(as_json, data, lambda: _push_text(report, left))
    if left.waiting and report.errors:
        raise Refusal(
            f"无法连接派出所（{report.errors[-1]}）：还有 {left.waiting} 条待上报，"
            "已保存在本机。请检查网络后再运行 laiqu sync push（可加 --retry-for 秒数，"
            "在这段时间内自动重试）。"
        )


def _push_data(report: PushReport, left: outbox.Summary) -> dict[str, Any]:
    return {
        "batches": report.batches,
        "sent": report.sent,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "duplicates": report.duplicates,
        "seconds": round(report.seconds, 3),
        "per_second": round(report.sent / report.seconds, 1) if report.seconds else None,
        "waiting": left.waiting,
        "errors": report.errors,
        "notices": report.notices,
        "rejections": [{"table": t, "reason": r} for t, r in report.rejections],
    }


def _push_text(report: PushReport, left: outbox.Summary) -> str:
    speed = (
        f"，约 {report.sent / report.seconds:.0f} 条/秒" if report.seconds and report.sent else ""
    )
    lines = [
        f"已上报 {report.sent} 条（接收 {report.accepted}，拒收 {report.rejected}，"
        f"重复 {report.duplicates}），用时 {report.seconds:.1f} 秒{speed}。",
        f"尚待上报 {left.waiting} 条。",
    ]
    if report.rejections:
        lines.append("被拒收的记录（仍保存在本机；详见 laiqu sync status）：")
        grouped = Counter(
            (TABLES.get(t, t), phrase(r) or "未说明原因") for t, r in report.rejections
        )
        lines += [f"  {t} {n} 条：{r}" for (t, r), n in grouped.most_common(10)]
        if len(grouped) > 10:
            lines.append(f"  另有 {len(grouped) - 10} 种原因未列出。")
    lines += [f"派出所比对提示：{n}" for n in report.notices[:20]]
    return "\n".join(lines)


@sync.command("export")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="导出的上报文件。",
)
@click.option("--venue", metavar="V", help=VENUE_HELP)
@click.option(
    "--batch",
    type=click.IntRange(1, 5000),
    default=BATCH,
    show_default=True,
    help="每批的条数。",
)
@json_option
@click.pass_obj
def export_command(app: App, out: Path, venue: str | None, batch: int, as_json: bool) -> None:
    """把全部待上报记录导出为带校验码的文件，经网闸送到派出所导入。"""
    if not out.parent.exists():
        raise Refusal(f"目录 {out.parent} 不存在：请先创建该目录或换一个输出路径。")
    handle, temp = tempfile.mkstemp(prefix=".laiqu-sync-", dir=out.parent)
    try:
        with app.sessions.begin() as session:
            text = files.export(session, app.ctx, venue, batch)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temp, out)  # the outbox says "sent" only once the file exists
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    doc = files.unseal(text)
    data = {"file": str(out), "items": doc["items"], "batches": len(doc["batches"])}
    emit(as_json, data, lambda: f"已导出 {doc['items']} 条（{len(doc['batches'])} 批）：{out}")


@sync.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--receipt",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="在派出所导入时，另写一份回执文件，带回前台导入以更新上报状态。",
)
@json_option
@click.pass_obj
def import_command(app: App, file: Path, receipt: Path | None, as_json: bool) -> None:
    """导入上报文件（派出所）或回执文件（前台）；校验不通过的文件整份拒收，不做任何更改。"""
    try:
        doc = files.unseal(file.read_bytes())
    except files.DamagedFile as exc:
        raise Refusal(
            f"文件 {file.name} 已损坏或被改动（校验不通过）：整份拒收，未做任何更改。"
            "请在前台重新导出后再导入。"
        ) from exc
    if doc["format"] == files.RECEIPT:
        with app.sessions.begin() as session:
            settled = files.apply_receipt(session, doc)
        emit(as_json, {"settled": settled}, lambda: f"已按回执更新 {settled} 条上报状态。")
        return
    try:
        with app.sessions.begin() as session:
            answer = files.apply_upload(session, doc, app.ctx.now())
    except UnknownVenue as exc:
        raise Refusal(
            f"场所“{doc['venue'].get('name')}”尚未在本库登记：整份拒收，未做任何更改。"
        ) from exc
    results = answer["results"]
    if receipt is not None:
        receipt.write_text(files.seal(answer), encoding="utf-8")
    data = {
        "items": len(results),
        "accepted": sum(r["state"] == "accepted" and not r.get("duplicate") for r in results),
        "rejected": sum(r["state"] == "rejected" and not r.get("duplicate") for r in results),
        "duplicates": sum(bool(r.get("duplicate")) for r in results),
    }
    emit(
        as_json,
        data,
        lambda: (
            f"已导入 {data['items']} 条：新接收 {data['accepted']}，拒收 {data['rejected']}，"
            f"此前已导入 {data['duplicates']}。"
        ),
    )


@sync.command("status")
@click.option(
    "--jurisdiction", metavar="CODE", help="给出辖区时，显示该辖区各场所、派出所的按时上报率。"
)
@click.option(
    "--month", metavar="YYYY-MM", help="统计月份（默认本月；须同时给出 --jurisdiction）。"
)
@json_option
@click.pass_obj
def status_command(app: App, jurisdiction: str | None, month: str | None, as_json: bool) -> None:
    """上报状态：待上报条数、最早一条已等待多久、临近时限的住宿、被拒收的记录；或辖区按时上报率。"""
    if jurisdiction:
        _rates(app, jurisdiction, month, as_json)
        return
    if month is not None:  # the month only counts in the rates of a jurisdiction
        raise click.UsageError(
            "--month 只用于辖区按时上报率：请同时用 --jurisdiction 给出辖区代码。"
        )
    now = datetime.now(UTC)
    with app.sessions() as session:
        s = outbox.summary(session)
        due = outbox.due_soon(session, app.ctx.now(), timedelta(hours=2))
        problems = outbox.problems(session)
        data = {
            "counts": s.counts,
            "waiting": s.waiting,
            "oldest_at": s.oldest_at,
            "oldest_age_seconds": (a.total_seconds() if (a := s.oldest_age(now)) else None),
            "last_error": s.last_error,
            "due_soon": [
                {"stay_id": d.stay_id, "room": d.room, "number": d.masked, "deadline": d.deadline}
                for d in due
            ],
            "problems": [
                {
                    "id": p.id,
                    "table": p.table_name,
                    "state": p.state,
                    "reason": p.reason,
                    "notice": p.notice,
                }
                for p in problems
            ],
        }
    emit(as_json, data, lambda: _status_text(s, now, due, problems))


def _status_text(s: outbox.Summary, now: datetime, due: list[Any], problems: list[Any]) -> str:
    head = "；".join(f"{STATES[k]} {v}" for k, v in s.counts.items())
    lines = [f"上报队列：{head}。", f"最早一条待上报已等待：{age_text(s.oldest_age(now))}。"]
    if s.last_error:
        lines.append(f"最近一次上报失败：{phrase(s.last_error)}")
    warn = [f"  {d.room} 房 {d.masked}：上报时限 {cell(d.deadline)}" for d in due]
    issues = [
        f"  {TABLES.get(p.table_name, p.table_name)}：{STATES[p.state]}"
        f"{'，原因：' + phrase(p.reason) if p.reason else ''}"
        f"{'，派出所提示：' + p.notice if p.notice else ''}"
        for p in problems
    ]
    return joined(
        "\n".join(lines),
        ("临近或已过上报时限、尚未上报的住宿：\n" + "\n".join(warn)) if warn else "",
        ("被拒收或有提示的记录：\n" + "\n".join(issues)) if issues else "",
    )


def _month(app: App, month: str | None) -> tuple[date, date]:
    today = app.ctx.today()
    if not month:
        return rates.month_days(today.replace(day=1))
    try:
        first = datetime.strptime(month.strip(), "%Y-%m").date()
    except ValueError as exc:
        raise click.BadParameter(
            "月份请写成 YYYY-MM，例如 2026-06。", param_hint="--month"
        ) from exc
    return rates.month_days(first)


def _rates(app: App, code: str, month: str | None, as_json: bool) -> None:
    first, last = _month(app, month)
    try:
        with app.sessions() as session:
            found = rates.on_time(session, code, first, last, app.ctx)
    except NotFound as exc:
        raise Refusal(f"辖区 {code} 尚未登记：请检查辖区代码。") from exc
    rows = [found.total, *found.stations, *found.venues]
    data = {
        "jurisdiction": found.jurisdiction,
        "name": found.name,
        "first": found.first,
        "last": found.last,
        "rows": [
            {
                **{
                    k: getattr(r, k)
                    for k in (
                        "code",
                        "name",
                        "level",
                        "stays",
                        "reached",
                        "on_time",
                        "days",
                        "silent_days",
                        "venues",
                        "silent_venues",
                    )
                },
                "rate": r.rate,
            }
            for r in rows
        ],
    }
    levels = {"jurisdiction": "辖区合计", "station": "派出所", "venue": "场所"}

    def text() -> str:
        return (
            f"{found.name}（{found.jurisdiction}）{first} 至 {last} 住宿登记按时上报率\n"
            + table(
                ["层级", "名称", "住宿登记", "已到达", "按时", "按时上报率", "无心跳"],
                [
                    [
                        levels[r.level],
                        r.name,
                        r.stays,
                        r.reached,
                        r.on_time,
                        "—" if r.rate is None else f"{100 * r.rate:.1f}%",
                        silence(r),
                    ]
                    for r in rows
                ],
            )
        )

    emit(as_json, data, text)
