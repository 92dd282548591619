"""Draw a ``MonthlyReport`` as an A4 PDF with platypus, in an embedded CJK font.

The renderer knows sections, tables and series, not the domain. Long tables are cut into
chunks (a single huge ``Table`` splits in superlinear time, performance.md §2.7), and every
chunk repeats its header row when it splits across pages. Every page carries the
jurisdiction, the month, the generation time and "page n of m". With ``invariant=True`` the
same report gives byte-identical PDFs (reportlab's invariant mode).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from reports import layout
from reports.figures import NO_DATA, MonthlyReport
from reports.fonts import cjk_font

CHUNK_ROWS = 300  # rows per Table flowable; each still splits across pages with its header
MARGIN = 18 * mm
INK = colors.HexColor("#1f2d3d")
ACCENT = colors.HexColor("#1d4e89")
RULE = colors.HexColor("#b8c4d0")
ZEBRA = colors.HexColor("#f3f6f9")
TOTAL = colors.HexColor("#dde6f0")
SERIES = (colors.HexColor("#1d4e89"), colors.HexColor("#c0504d"), colors.HexColor("#4f9a5a"))


class _Styles:
    def __init__(self, font: str) -> None:
        base = {"fontName": font, "textColor": INK, "wordWrap": "CJK"}
        self.title = ParagraphStyle(
            "title", fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=4, **base
        )
        self.subtitle = ParagraphStyle(
            "subtitle", fontSize=10, leading=15, alignment=TA_CENTER, spaceAfter=10, **base
        )
        self.heading = ParagraphStyle(
            "heading",
            fontSize=13,
            leading=18,
            spaceBefore=10,
            spaceAfter=6,
            **{**base, "textColor": ACCENT},
        )
        self.body = ParagraphStyle("body", fontSize=9, leading=14, spaceAfter=4, **base)
        self.notice = ParagraphStyle(
            "notice",
            fontSize=12,
            leading=18,
            spaceBefore=4,
            spaceAfter=8,
            borderColor=ACCENT,
            borderWidth=0.8,
            borderPadding=6,
            backColor=ZEBRA,
            **base,
        )
        self.cell = ParagraphStyle("cell", fontSize=8, leading=10, **base)
        self._indented: dict[int, ParagraphStyle] = {0: self.cell}
        self.head = ParagraphStyle(
            "head",
            fontSize=8,
            leading=10,
            alignment=TA_CENTER,
            **{**base, "textColor": colors.white},
        )

    def indented(self, depth: int) -> ParagraphStyle:
        if depth not in self._indented:
            self._indented[depth] = ParagraphStyle(
                f"cell{depth}", parent=self.cell, leftIndent=depth * 9
            )
        return self._indented[depth]


def render(report: MonthlyReport, out: str | Path | BinaryIO, *, invariant: bool = False) -> None:
    """Write the report as PDF to a path or a binary file object."""
    font = cjk_font().name
    styles = _Styles(font)
    target: Any = str(out) if isinstance(out, Path) else out
    doc = SimpleDocTemplate(
        target,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN + 4 * mm,
        title=f"{report.title}（{report.month}）",
        author="laiqu 来去",
        subject=f"{report.jurisdiction_name} {report.month} 流动人口居住登记月报",
        creator="laiqu reports.pdf",
        invariant=1 if invariant else 0,
        initialFontName=font,
    )
    story = _story(report, styles, doc.width)
    doc.build(story, canvasmaker=_canvas_class(report, font))


def _story(report: MonthlyReport, styles: _Styles, width: float) -> list[Flowable]:
    first, _last = report.period
    story: list[Flowable] = [
        Paragraph(escape(report.title), styles.title),
        Paragraph(
            escape(
                f"统计月份：{first.year}年{first.month}月　辖区：{report.jurisdiction_name}"
                f"（{report.jurisdiction}）　生成时间：{_stamp(report)}"
            ),
            styles.subtitle,
        ),
    ]
    if report.empty:
        story.append(Paragraph(NO_DATA, styles.notice))
    for section in report.sections:
        story.append(CondPageBreak(60 * mm))
        story.append(Paragraph(escape(section.title), styles.heading))
        for text in section.paragraphs:
            story.append(Paragraph(escape(text), styles.body))
        for table in section.tables:
            story.extend(_tables(table, styles, width))
            story.append(Spacer(1, 4 * mm))
        for series in section.charts:
            story.append(KeepTogether([_chart(series, styles.cell.fontName, width)]))
            story.append(Spacer(1, 4 * mm))
    return story


def _stamp(report: MonthlyReport) -> str:
    offset = report.generated_at.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return f"{report.generated_at:%Y-%m-%d %H:%M}（{zone}）"


def _cell(value: layout.Cell) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _tables(table: layout.Table, styles: _Styles, width: float) -> list[Flowable]:
    weights = table.widths or (1.0,) * len(table.columns)
    scale = width / sum(weights)
    widths = [w * scale for w in weights]
    numeric = [
        all(
            isinstance(row[i], int) or str(row[i]).endswith("%") or row[i] in ("—", "")
            for row in table.rows
        )
        for i in range(len(table.columns))
    ]
    header = [Paragraph(escape(name), styles.head) for name in table.columns]
    out: list[Flowable] = []
    for start in range(0, max(len(table.rows), 1), CHUNK_ROWS):
        rows = table.rows[start : start + CHUNK_ROWS]
        data: list[list[Any]] = [header]
        for offset, row in enumerate(rows):
            index = start + offset
            indent = table.indents[index] if index < len(table.indents) else 0
            data.append(
                [
                    _cell(v)
                    if numeric[i]
                    else Paragraph(escape(_cell(v)), styles.indented(indent if i == 0 else 0))
                    for i, v in enumerate(row)
                ]
            )
        flow = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        flow.setStyle(_table_style(table, numeric, start, len(rows), styles.cell.fontName))
        out.append(flow)
    return out


def _table_style(
    table: layout.Table, numeric: Sequence[bool], start: int, count: int, font: str
) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("TEXTCOLOR", (0, 1), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("BOX", (0, 0), (-1, -1), 0.5, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for i, is_number in enumerate(numeric):
        if is_number:
            commands.append(("ALIGN", (i, 1), (i, -1), "RIGHT"))
    for row in range(1, count + 1):
        if (start + row - 1) in table.total_rows:
            commands.append(("BACKGROUND", (0, row), (-1, row), TOTAL))
        elif row % 2 == 0:
            commands.append(("BACKGROUND", (0, row), (-1, row), ZEBRA))
    return TableStyle(commands)


def _chart(series: layout.Series, font: str, width: float) -> Drawing:
    height = 58 * mm
    drawing = Drawing(width, height)
    drawing.initialFontName = font  # else the renderer selects Helvetica (not embedded)
    drawing.add(String(0, height - 10, series.title, fontName=font, fontSize=9, fillColor=INK))
    chart: Any = VerticalBarChart() if series.kind == "bar" else HorizontalLineChart()
    chart.x, chart.y = 38, 26
    chart.width, chart.height = width - 60, height - 52
    chart.data = [list(values) for _, values in series.lines]
    top = max((v for _, values in series.lines for v in values), default=0)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice(top)
    chart.valueAxis.valueStep = chart.valueAxis.valueMax / 5
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: f"{int(v):,}"
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.gridStrokeWidth = 0.25
    chart.valueAxis.visibleGrid = True
    chart.categoryAxis.categoryNames = list(series.labels)
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 0
    for i in range(len(series.lines)):
        colour = SERIES[i % len(SERIES)]
        if series.kind == "bar":
            chart.bars[i].fillColor = colour
            chart.bars[i].strokeColor = None
        else:
            chart.lines[i].strokeColor = colour
            chart.lines[i].strokeWidth = 1.5
    if series.kind == "bar":
        chart.groupSpacing = 6
        chart.barSpacing = 1
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 10 - 60 * len(series.lines), height - 6
    legend.alignment = "right"
    legend.fontName, legend.fontSize = font, 8
    legend.columnMaximum = 1
    legend.deltax = 60
    legend.colorNamePairs = [
        (SERIES[i % len(SERIES)], name) for i, (name, _) in enumerate(series.lines)
    ]
    drawing.add(legend)
    return drawing


def _nice(top: int) -> float:
    """A round axis maximum at or above ``top`` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return 5.0
    power = 10 ** (len(str(int(top))) - 1)
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= top:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _canvas_class(report: MonthlyReport, font: str) -> type[Canvas]:
    """A canvas that draws the running header and "page n of m" once the count is known."""
    header_left = "来去 · 流动人口居住登记月报"
    header_right = f"{report.jurisdiction_name}（{report.jurisdiction}）　{report.month}"
    footer_left = f"生成时间：{_stamp(report)}"
    footer_right = "内部资料　不含个人身份号码"

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("initialFontName", font)  # no stray Helvetica resource
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFont(font, 8)
            self.setFillColor(INK)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            top = height - MARGIN + 2 * mm
            self.drawString(MARGIN, top, header_left)
            self.drawRightString(width - MARGIN, top, header_right)
            self.line(MARGIN, top - 2 * mm, width - MARGIN, top - 2 * mm)
            bottom = MARGIN - 2 * mm
            self.line(MARGIN, bottom + 4 * mm, width - MARGIN, bottom + 4 * mm)
            self.drawString(MARGIN, bottom, footer_left)
            self.drawCentredString(width / 2, bottom, f"第 {number} 页 / 共 {total} 页")
            self.drawRightString(width - MARGIN, bottom, footer_right)
            self.restoreState()

    return NumberedCanvas
