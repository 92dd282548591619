"""``laiqu report``: the monthly residence-registration PDF, a thin wrapper over ``reports``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from cli.errors import unwritable
from cli.output import emit, json_option
from cli.progress import bar
from registry.errors import InvalidInput, NotFound


@click.group("report")
def report() -> None:
    """报表：流动人口居住登记月报（PDF）。"""


@report.command("monthly")
@click.option("--month", required=True, metavar="YYYY-MM", help="统计月份，例如 2026-05。")
@click.option("--jurisdiction", required=True, metavar="CODE", help="辖区代码（含下属单位）。")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE.pdf",
    help="输出的 PDF 文件。",
)
@json_option
def monthly(month: str, jurisdiction: str, out: Path, as_json: bool) -> None:
    """生成辖区某月的流动人口居住登记月报 PDF。

    内容：月末登记流动人口、本月来与走、户籍地与年龄性别构成、出租房屋、旅馆住宿登记及按时上报率、
    三项比对问题、居住证、协管员配备，以及近12个月趋势图。报表不含任何身份号码。
    """
    # reportlab loads in a tenth of a second: only the command that draws pays for it.
    from reports.content import build_monthly
    from reports.fonts import FontError
    from reports.pdf import render

    app = click.get_current_context().obj
    try:
        # commits the audit entry of the report; the figures, then the PDF, each with a bar
        with app.sessions.begin() as session, bar("统计月报数据", as_json=as_json) as shown:
            content = build_monthly(session, jurisdiction, month, ctx=app.ctx)
            if shown is not None:
                shown(1, 1)
    except NotFound as exc:
        raise click.ClickException(
            f"辖区 {jurisdiction} 尚未登记：请检查辖区代码，"
            "或先用 laiqu jurisdiction add 登记该辖区。"
        ) from exc
    except InvalidInput as exc:
        if "future" in str(exc):
            raise click.ClickException(f"月份 {month} 尚未到来：请指定本月或之前的月份。") from exc
        raise click.ClickException(
            f"月份 {month!r} 格式不正确：请写成 YYYY-MM，例如 2026-05。"
        ) from exc
    if not out.parent.exists():
        raise click.ClickException(f"目录 {out.parent} 不存在：请先创建该目录或换一个输出路径。")
    # Write next to the target and rename, so a failure never leaves half a PDF behind.
    try:
        handle, temp = tempfile.mkstemp(prefix=".laiqu-report-", suffix=".pdf", dir=out.parent)
    except OSError as exc:
        raise unwritable(out, exc) from None
    try:
        with os.fdopen(handle, "wb") as stream, bar("绘制月报 PDF", as_json=as_json) as drawn:
            warnings = render(content, stream, log=False)
            if drawn is not None:
                drawn(1, 1)
        os.replace(temp, out)
    except OSError as exc:
        raise unwritable(out, exc) from None
    except FontError as exc:
        raise click.ClickException(
            f"报表字体不可用（{exc}）：请把 LAIQU_PDF_FONT 设为一个中文 TrueType 字体文件，"
            "或取消该设置以使用内置字体。"
        ) from exc
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    for line in warnings:
        click.echo(line, err=True)
    note = "（本月无数据）" if content.empty else ""
    where = f"{content.jurisdiction_name}（{content.jurisdiction}）"
    data = {
        "file": str(out),
        "jurisdiction": content.jurisdiction,
        "jurisdiction_name": content.jurisdiction_name,
        "month": content.month,
        "empty": content.empty,
    }
    emit(as_json, data, lambda: f"已生成 {where}{content.month} 月报{note}：{out}")
