"""The renderer, checked with poppler: embedded font, text layer, page 1 as PNG, invariance.

Runs once, on SQLite (the content builder is tested on both engines).
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from report_town import CITY, GUESTS, P1, P2, P5, P6, P7, S1, build
from sqlalchemy.orm import Session, sessionmaker

from cli.report import report as report_group
from registry.context import Context
from registry.db.engine import make_engine, session_factory
from reports.content import build_monthly
from reports.figures import NO_DATA, MonthlyReport
from reports.layout import Section, Series, Table
from reports.pdf import render

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


@pytest.fixture(scope="module")
def town(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    from dbtools import NOW

    path = tmp_path_factory.mktemp("town") / "town.sqlite"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    sf = session_factory(engine)
    build(sf, Context(actor="tester", now_fixed=NOW))
    yield sf
    engine.dispose()


@pytest.fixture(scope="module")
def may(town: sessionmaker[Session]) -> MonthlyReport:
    from dbtools import NOW

    with town() as s:
        return build_monthly(s, CITY, "2026-05", ctx=Context(actor="tester", now_fixed=NOW))


def pdf_text(path: Path, *pages: int) -> str:
    args = ["pdftotext", "-layout"]
    if pages:
        args += ["-f", str(pages[0]), "-l", str(pages[-1])]
    return subprocess.run(
        [*args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_font_is_embedded_and_text_layer_has_chinese_and_figures(
    may: MonthlyReport, tmp_path: Path
) -> None:
    out = tmp_path / "may.pdf"
    render(may, out)
    listing = subprocess.run(
        ["pdffonts", str(out)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert listing, "no fonts in the PDF"
    for line in listing:
        assert " yes yes " in line, f"font not embedded: {line}"
    text = pdf_text(out)
    for heading in (
        "深圳市流动人口居住登记月报",
        "一、总体情况",
        "二、各单位情况",
        "三、流动人口构成",
        "四、旅馆业住宿登记",
        "五、人证、人房、人岗比对问题",
        "六、居住证",
        "七、近12个月趋势",
        "园岭派出所",
        "百花一网格",
        "香港特别行政区",
        "超期未注销",
        "PH-OVERDUE-DEPARTURE",
        "应配协管员（按 400:1，名）",
    ):
        assert heading in text, heading
    assert "66.7%" in text  # on-time rate of hotel guests
    assert "2026-06-15 10:00（UTC+08:00）" in text
    flat = "".join(text.split())
    assert "第1页/共" in flat and "深圳市（4403）" in flat
    for who in (P1, P2, P5, P6, P7, *GUESTS):
        assert who.number not in text and who.name not in text


def test_page_one_renders_to_png(may: MonthlyReport, tmp_path: Path) -> None:
    out = tmp_path / "may.pdf"
    render(may, out)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(out), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_invariant_output_is_byte_identical(may: MonthlyReport) -> None:
    first, second = io.BytesIO(), io.BytesIO()
    render(may, first, invariant=True)
    render(may, second, invariant=True)
    assert first.getvalue() == second.getvalue()
    assert first.getvalue().startswith(b"%PDF-")


def test_long_tables_repeat_their_header_on_every_page(may: MonthlyReport, tmp_path: Path) -> None:
    rows = tuple((f"单位{i:04d}", i, f"{i % 100}.0%") for i in range(700))
    long = dataclasses.replace(
        may, sections=(Section("长表", tables=(Table(("单位名称", "人数", "比例"), rows),)),)
    )
    out = tmp_path / "long.pdf"
    render(long, out)
    pages = int(
        next(
            line.split()[-1]
            for line in subprocess.run(
                ["pdfinfo", str(out)], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            if line.startswith("Pages:")
        )
    )
    assert pages >= 15
    for page in range(1, pages + 1):
        text = pdf_text(out, page)
        assert "单位名称" in text and f"第{page}页/共{pages}页" in "".join(text.split())
    assert "单位0699" in pdf_text(out, pages)


def test_month_without_data_says_so(town: sessionmaker[Session], tmp_path: Path) -> None:
    from dbtools import NOW

    with town() as s:
        empty = build_monthly(s, S1, "2025-12", ctx=Context(actor="tester", now_fixed=NOW))
    out = tmp_path / "empty.pdf"
    render(empty, out)
    assert NO_DATA in pdf_text(out)


def test_cli_monthly(town: sessionmaker[Session], tmp_path: Path) -> None:
    from dbtools import NOW

    obj = SimpleNamespace(sessions=town, ctx=Context(actor="tester", now_fixed=NOW))
    runner = CliRunner()
    out = tmp_path / "r.pdf"
    ok = runner.invoke(
        report_group,
        ["monthly", "--month", "2026-05", "--jurisdiction", CITY, "--out", str(out)],
        obj=obj,
    )
    assert ok.exit_code == 0, ok.output
    assert "已生成 深圳市（4403）2026-05 月报" in ok.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert not list(tmp_path.glob(".laiqu-report-*"))
    unknown = runner.invoke(
        report_group,
        [
            "monthly",
            "--month",
            "2026-05",
            "--jurisdiction",
            "9999",
            "--out",
            str(tmp_path / "x.pdf"),
        ],
        obj=obj,
    )
    assert unknown.exit_code == 1 and "辖区 9999 尚未登记" in unknown.output
    bad = runner.invoke(
        report_group,
        ["monthly", "--month", "2026-5", "--jurisdiction", CITY, "--out", str(tmp_path / "x.pdf")],
        obj=obj,
    )
    assert bad.exit_code == 1 and "格式不正确" in bad.output and "YYYY-MM" in bad.output
    future = runner.invoke(
        report_group,
        ["monthly", "--month", "2027-01", "--jurisdiction", CITY, "--out", str(tmp_path / "x.pdf")],
        obj=obj,
    )
    assert future.exit_code == 1 and "尚未到来" in future.output
    assert not (tmp_path / "x.pdf").exists()
    helped = runner.invoke(report_group, ["monthly", "--help"])
    assert helped.exit_code == 0 and "月报" in helped.output


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(x.split()[-1] for x in info.stdout.splitlines() if x.startswith("Pages:")))


def test_no_blank_last_page(may: MonthlyReport, tmp_path: Path) -> None:
    """issue 19: whatever the length of the last section, its last page carries some of it
    (the space after the last table or chart used to spill onto a page of its own)."""
    blank = []
    for n in range(1, 120):  # some of these lengths end the table at the foot of a page
        rows = tuple((f"单位{i:04d}", i) for i in range(n))
        chart = Series("各单位人数", ("甲", "乙"), (("人数", (1, 2)),), kind="bar")
        last = Section("末节", tables=(Table(("单位名称", "人数"), rows),), charts=(chart,))
        report = dataclasses.replace(may, sections=(last,))
        out = tmp_path / f"last-{n}.pdf"
        render(report, out)
        pages = _pages(out)
        body = [
            line
            for line in pdf_text(out, pages).splitlines()
            if line.strip() and "流动人口居住登记月报" not in line and "生成时间" not in line
        ]
        if not body:
            blank.append(n)
    assert blank == []
