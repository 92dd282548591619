"""``demo``: a sample city in SQLite, emulated card swipes, the findings, the monthly PDF.

Runs on a fresh machine with nothing configured: the database is a new SQLite file in the
output directory (``--db`` is not used), the reader is the shipped emulator on a
pseudo-terminal read through the real serial driver (GA 467 frames at 115200 baud).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cli import democity
from cli.app import App, os_account
from cli.output import cell, emit, finding_data, json_option, note, table
from registry.accounts import users
from registry.db.engine import make_engine, session_factory
from registry.identity.cards import CardRead
from registry.matching import worklist


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("laiqu-demo"),
    show_default=True,
    help="输出目录：演示数据库 laiqu.sqlite 和月报 PDF 写在这里。",
)
@json_option
@click.pass_obj
def demo(app: App, out_dir: Path, as_json: bool) -> None:
    """演示：建一个样例城市，用模拟读卡器刷卡办理入住、退房、迁入、迁出，列出发现的问题，生成月报。

    不需要任何配置；约半分钟完成。之后可用 laiqu --db sqlite:///目录/laiqu.sqlite … 继续查看。
    """
    started = time.monotonic()
    say = note if as_json else click.echo
    out_dir.mkdir(parents=True, exist_ok=True)
    db_file = out_dir.resolve() / "laiqu.sqlite"
    for stale in (
        db_file,
        db_file.with_name("laiqu.sqlite-wal"),
        db_file.with_name("laiqu.sqlite-shm"),
    ):
        stale.unlink(missing_ok=True)
    from registry.db.schema import upgrade

    url = f"sqlite:///{db_file}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        sessions = session_factory(engine)
        say(f"样例城市：{db_file}")
        city = democity.build_city(sessions, app.ctx)
        say(
            f"  {len(democity.JURISDICTIONS)} 个辖区、2 家旅馆、{len(city.houses)} 处出租房屋、"
            f"{len(city.employers)} 家单位"
        )
        with _swipe_cards() as swipe:
            steps = democity.day_at_the_desks(sessions, app.ctx, city, swipe, say)
        with sessions.begin() as session:
            work = worklist.run_check(session, app.ctx, democity.CITY)
            resolved = work.any_resolved
            rows = [finding_data(f) for f, _ in work.findings]
        report = _monthly_report(sessions, app, out_dir)
        with sessions.begin() as session:  # the operator may go on with user add (issue 19)
            users.bootstrap_admin(session, app.ctx, os_account())
    finally:
        engine.dispose()
    seconds = round(time.monotonic() - started, 1)
    counts = Counter(r["code"] for r in rows)
    data = {
        "database": url,
        "steps": steps,
        "findings": rows,
        "counts": dict(sorted(counts.items())),
        "report": str(report) if report else None,
        "seconds": seconds,
    }
    emit(
        as_json,
        data,
        lambda: "\n".join(
            [
                "",
                f"比对结果：未处理的问题 {len(rows)} 个"
                + ("（另有问题已随退房、迁出自动消除）" if resolved else ""),
                table(
                    ["代码", "问题", "辖区", "说明", "发现时间"],
                    [
                        [r["code"], r["label"], r["jurisdiction"], r["detail"], cell(r["found_at"])]
                        for r in rows
                    ],
                ),
                "",
                f"月报：{report}" if report else "月报：报表模块尚未提供，暂不能生成 PDF。",
                f"用时 {seconds} 秒。继续查看：laiqu --db {url} check",
            ]
        ),
    )


@contextmanager
def _swipe_cards() -> Iterator[Any]:
    """Start the reader emulator on a pty and yield ``swipe(card)``: present the card, read
    it through the real serial driver, take it away. ``card`` is a deck index or a CardRead.
    """
    from cli.params import reader_at
    from drivers.emulator import start_emulator

    emulator = start_emulator(process=False)
    try:
        with reader_at(f"serial://{emulator.port}?baud=115200") as reader:

            def swipe(card: int | CardRead) -> CardRead:
                emulator.present(card)
                read = reader.read(timeout=10)
                emulator.remove()
                reader.read(timeout=0)  # the reader sees the empty field: the next card reads
                if read is None:
                    raise click.ClickException("模拟读卡器没有读到证件。")
                return read

            yield swipe
    finally:
        emulator.close()


def _monthly_report(sessions: Any, app: App, out_dir: Path) -> Path | None:
    """The monthly PDF of the city through ``reports`` (content, then rendering), if present."""
    try:
        from reports.content import build_monthly
        from reports.pdf import render
    except ImportError:
        return None
    month = app.ctx.today().strftime("%Y-%m")
    path = out_dir.resolve() / f"月报-{democity.CITY}-{month}.pdf"
    with sessions.begin() as session:
        report = build_monthly(session, democity.CITY, month, ctx=app.ctx)
    for line in render(report, path, log=False):
        click.echo(line, err=True)
    return path


COMMANDS = [demo]
