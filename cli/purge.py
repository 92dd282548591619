"""``laiqu purge [--dry-run]``: retention periods reached → records de-identified or deleted.

Thin over ``registry.retention.periods``: one transaction, journaled by the core. Should become
admin-only once roles exist (``registry.privacy.access``).
"""

from __future__ import annotations

import click

from cli.app import App
from cli.output import emit, json_option, table
from cli.progress import bar
from registry.retention import periods, plan
from registry.retention import purge as purging

KIND_LABELS = {"stays": "旅馆住宿", "residences": "居住登记", "employments": "就业登记"}


@click.command("purge")
@click.option(
    "--dry-run", is_flag=True, help="只列出将被清除的记录（按类型和辖区计数、脱敏样例），不做改动。"
)
@click.option(
    "--jurisdiction", "code", metavar="CODE", help="只处理此辖区及其下级的记录（默认全部）。"
)
@click.option(
    "--samples",
    type=click.IntRange(0, 100),
    default=3,
    show_default=True,
    help="每类记录显示的脱敏样例数。",
)
@json_option
@click.pass_obj
def purge(app: App, dry_run: bool, code: str | None, samples: int, as_json: bool) -> None:
    """按保存期限清除到期记录（个人信息保护法：到期删除或匿名化）。

    保存期限是按辖区设置的规则（laiqu rule set）：旅馆住宿退房后 retention_stay_years 年
    （默认 3），已注销的居住登记 retention_residence_years 年、已结束的就业登记
    retention_employment_years 年（默认 5）。到期的住宿和居住登记去除身份信息后保留，
    以便历史月报数字不变；就业登记删除；不再有任何记录的人员连同证件一并删除或匿名化。
    全部在一个事务中完成，并记入操作日志。先用 --dry-run 查看。
    """
    with app.sessions.begin() as session:
        if dry_run:
            result = plan.plan(session, app.ctx, jurisdiction=code, samples=samples)
        else:
            with bar("清除到期记录", as_json=as_json) as shown:
                result = purging.purge(
                    session, app.ctx, jurisdiction=code, samples=samples, progress=shown
                )
    data = {"dry_run": dry_run, **result.data()}
    emit(as_json, data, lambda: _text(result, dry_run))


def _text(result: plan.Plan, dry_run: bool) -> str:
    verb = "将清除" if dry_run else "已清除"
    rows = [
        (KIND_LABELS[kind], code, n)
        for kind in periods.KINDS
        for code, n in sorted(result.counts.get(kind, {}).items())
    ]
    if not rows:
        return f"截至 {result.today} 没有到期的记录。" + _kept(result)
    lines = [
        f"截至 {result.today}{verb}：",
        table(["记录类型", "辖区", "条数"], rows),
        "",
        f"人员：匿名化 {result.persons_anonymised} 人，删除 {result.persons_deleted} 人，"
        f"保留身份但移出旧记录 {result.placeholders} 人。",
    ]
    if result.samples:
        lines += [
            "",
            "样例（已脱敏）：",
            table(
                ["记录类型", "辖区", "证件号码", "结束日期"],
                [(KIND_LABELS[s.kind], s.jurisdiction, s.person, s.ended) for s in result.samples],
            ),
        ]
    if dry_run:
        lines += ["", "这是预演，未做任何改动；去掉 --dry-run 执行。"]
    return "\n".join(lines) + _kept(result)


def _kept(result: plan.Plan) -> str:
    parts = []
    if result.held:
        parts.append(f"{result.held} 条因法律保全保留")
    if result.waiting:
        parts.append(f"{result.waiting} 条居住登记与仍保留的居住登记重叠，暂缓")
    return ("\n" + "；".join(parts) + "。") if parts else ""
