"""Draw a ``MonthlyReport`` as an A4 PDF with platypus, in the chain of embedded CJK fonts.

The renderer knows sections, tables and series, not the domain. Long tables are cut into
chunks (a single huge ``Table`` splits in superlinear time, performance.md §2.7), and every
chunk repeats its header row when it splits across pages. Every page carries the
jurisdiction, the month, the generation time and "page n of m". With ``invariant=True`` the
same report gives byte-identical PDFs (reportlab's invariant mode).

All text goes through a ``reports.fonts.TextSetter``: each character in the first font of the
chain with its glyph; a character no font has is drawn as a visible mark, and ``render``
returns one Chinese warning per such character and place (also logged, and listed in a note
at the end of the PDF).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

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
from reports.fonts import TextSetter

CHUNK_ROWS = 300  # rows per Table flowable; each still splits across pages with its header
MARGIN = 18 * mm
INK = colors.HexColor("#1f2d3d")
ACCENT = colors.HexColor("#1d4e89")
RULE = colors.HexColor("#b8c4d0")
ZEBRA = colors.HexColor("#f3f6f9")
TOTAL = colors.HexColor("#dde6f0")
SERIES = (colors.HexColor("#1d4e89"), colors.HexColor("#c0504d"), colors.HexColor("#4f9a5a"))


class _Styles:
    def __init__(self, setter: TextSetter) -> None:
        self.setter = setter
        font = setter.font
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


def render(
    report: MonthlyReport,
    out: str | Path | BinaryIO,
    *,
    invariant: bool = False,
    log: bool = True,
) -> tuple[str, ...]:
    """Write the report as PDF to a path or a binary file object.

    Returns the warnings, in Chinese, about characters no font could draw (each drawn as
    ``reports.fonts.MARK``), naming the character, its code point and its place; empty when
    every character was drawn. Raises ``reports.fonts.FontError`` when ``$LAIQU_PDF_FONT``
    names an unusable font. ``log=False``: the warnings are not logged (the caller shows them).
    """
    setter = TextSetter(log=log)
    font = setter.font
    styles = _Styles(setter)
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
    canvas = _canvas_class(report, setter)  # the running texts are checked before the note
    story = _story(report, styles, doc.width)
    doc.build(story, canvasmaker=canvas)
    return setter.warnings()


def _story(report: MonthlyReport, styles: _Styles, width: float) -> list[Flowable]:
    first, _last = report.period
    setter = styles.setter
    story: list[Flowable] = [
        Paragraph(setter.markup(report.title, "标题"), styles.title),
        Paragraph(
            setter.markup(
                f"统计月份：{first.year}年{first.month}月　辖区：{report.jurisdiction_name}"
                f"（{report.jurisdiction}）　生成时间：{_stamp(report)}",
                "副标题",
            ),
            styles.subtitle,
        ),
    ]
    if report.empty:
        story.append(Paragraph(NO_DATA, styles.notice))
    for section in report.sections:
        story.append(CondPageBreak(60 * mm))
        where = f"「{section.title}」"
        story.append(Paragraph(setter.markup(section.title, f"{where}标题"), styles.heading))
        for number, text in enumerate(section.paragraphs, 1):
            story.append(Paragraph(setter.markup(text, f"{where}第{number}段"), styles.body))
        for number, table in enumerate(section.tables, 1):
            place = f"{where}第{number}个表格" if len(section.tables) > 1 else f"{where}表格"
            story.extend(_tables(table, styles, width, place))
            story.append(Spacer(1, 4 * mm))
        for series in section.charts:
            chart = _chart(series, setter, width, f"{where}图表「{series.title}」")
            story.append(KeepTogether([chart]))
            story.append(Spacer(1, 4 * mm))
    if setter.missing:
        story.append(CondPageBreak(30 * mm))
        story.append(Paragraph("缺字说明", styles.heading))
        story.append(Paragraph(_missing_note(setter), styles.body))
    while isinstance(story[-1], Spacer | CondPageBreak):  # a trailing gap that does not fit
        story.pop()  # the foot of a page would start a blank last page of its own
    return story


def _missing_note(setter: TextSetter) -> str:
    """The PDF's own list of characters drawn as the mark (code points only: the characters
    themselves cannot be drawn)."""
    places = "；".join(f"{m.where}：{m.code}" for m in setter.missing)
    return setter.markup(
        f"以下字符没有可用字体能绘制，文中以 {setter.mark} 标出——{places}。"
        "请安装含这些字的字体（如 Debian 的 fonts-hanazono）后重新生成。",
        "缺字说明",
    )


def _stamp(report: MonthlyReport) -> str:
    offset = report.generated_at.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return f"{report.generated_at:%Y-%m-%d %H:%M}（{zone}）"


def _cell(value: layout.Cell) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _tables(table: layout.Table, styles: _Styles, width: float, where: str) -> list[Flowable]:
    setter = styles.setter
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
    header = [
        Paragraph(setter.markup(name, f"{where}表头"), styles.head) for name in table.columns
    ]
    out: list[Flowable] = []
    for start in range(0, max(len(table.rows), 1), CHUNK_ROWS):
        rows = table.rows[start : start + CHUNK_ROWS]
        data: list[list[Any]] = [header]
        fonts: list[tuple[Any, ...]] = []  # plain cells in another font than the style's
        for offset, row in enumerate(rows):
            index = start + offset
            indent = table.indents[index] if index < len(table.indents) else 0
            cells: list[Any] = []
            for i, v in enumerate(row):
                place = f"{where}第{index + 1}行「{table.columns[i]}」列"
                if numeric[i]:
                    font, text = setter.single(_cell(v), place)
                    if font != setter.font:
                        fonts.append(("FONTNAME", (i, offset + 1), (i, offset + 1), font))
                    cells.append(text)
                else:
                    style = styles.indented(indent if i == 0 else 0)
                    cells.append(Paragraph(setter.markup(_cell(v), place), style))
            data.append(cells)
        flow = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        style = _table_style(table, numeric, start, len(rows), styles.cell.fontName)
        for command in fonts:
            style.add(*command)
        flow.setStyle(style)
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


def _chart(series: layout.Series, setter: TextSetter, width: float, where: str) -> Drawing:
    """A chart; each of its texts takes one font (``TextSetter.single``)."""
    height = 58 * mm
    drawing = Drawing(width, height)
    drawing.initialFontName = setter.font  # else the renderer selects Helvetica (not embedded)
    font, title = setter.single(series.title, f"{where}标题")
    drawing.add(String(0, height - 10, title, fontName=font, fontSize=9, fillColor=INK))
    # Axis labels and legend names share one font each: chosen for all of them together.
    font, labels = setter.single("\n".join(series.labels), f"{where}横轴")
    names = [name for name, _ in series.lines]
    legend_font, legend_names = setter.single("\n".join(names), f"{where}图例")
    chart: Any = VerticalBarChart() if series.kind == "bar" else HorizontalLineChart()
    chart.x, chart.y = 38, 26
    chart.width, chart.height = width - 60, height - 52
    chart.data = [list(values) for _, values in series.lines]
    top = max((v for _, values in series.lines for v in values), default=0)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice(top)
    chart.valueAxis.valueStep = chart.valueAxis.valueMax / 5
    chart.valueAxis.labels.fontName = setter.font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: f"{int(v):,}"
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.gridStrokeWidth = 0.25
    chart.valueAxis.visibleGrid = True
    chart.categoryAxis.categoryNames = labels.split("\n") if series.labels else []
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
    legend.fontName, legend.fontSize = legend_font, 8
    legend.columnMaximum = 1
    legend.deltax = 60
    legend.colorNamePairs = [
        (SERIES[i % len(SERIES)], name)
        for i, name in enumerate(legend_names.split("\n") if names else [])
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


def _canvas_class(report: MonthlyReport, setter: TextSetter) -> type[Canvas]:
    """A canvas that draws the running header and "page n of m" once the count is known."""
    font = setter.font
    header_left = "来去 · 流动人口居住登记月报"
    header_right = f"{report.jurisdiction_name}（{report.jurisdiction}）　{report.month}"
    footer_left = f"生成时间：{_stamp(report)}"
    footer_right = "内部资料　不含个人身份号码"
    for text in (header_left, header_right, footer_left, footer_right):
        setter.runs(text, "页眉页脚")  # characters lacking are known before the story's note

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
            setter.draw(self, MARGIN, top, header_left, "页眉页脚", 8)
            setter.draw(self, width - MARGIN, top, header_right, "页眉页脚", 8, "right")
            self.line(MARGIN, top - 2 * mm, width - MARGIN, top - 2 * mm)
            bottom = MARGIN - 2 * mm
            self.line(MARGIN, bottom + 4 * mm, width - MARGIN, bottom + 4 * mm)
            setter.draw(self, MARGIN, bottom, footer_left, "页眉页脚", 8)
            page = f"第 {number} 页 / 共 {total} 页"
            setter.draw(self, width / 2, bottom, page, "页眉页脚", 8, "centre")
            setter.draw(self, width - MARGIN, bottom, footer_right, "页眉页脚", 8, "right")
            self.restoreState()

    return NumberedCanvas
