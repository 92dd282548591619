"""The printable registration slip (旅客住宿登记单): one A5 page per check-in, with the
embedded CJK font of the monthly report (``reports.fonts.cjk_font``). Numbers are masked."""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from registry.context import Context
from registry.identity.ids import mask
from registry.lookup.desk import Guest
from reports.fonts import cjk_font

CAPTURES = {"chip": "读卡核验", "manual": "手工录入"}
GENDERS = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
COLUMNS = (10, 36, 12, 40, 20)  # mm: the 118 mm between the margins of A5


def render_slip(venue: str, party: Sequence[Guest], ctx: Context,
                invariant: bool = False) -> bytes:
    """The slip of one check-in (the party sharing a room), as PDF bytes."""
    font = cjk_font().name
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A5, invariant=int(invariant))
    pdf.setTitle("旅客住宿登记单")
    width, height = A5
    y = height - 20 * mm
    pdf.setFont(font, 16)
    pdf.drawCentredString(width / 2, y, "旅客住宿登记单")
    y -= 10 * mm
    first = party[0].stay if party else None
    lines = [f"旅馆：{venue}"]
    if first is not None:
        lines += [
            f"房间：{first.room}",
            f"入住时间：{first.checked_in_at.astimezone(ctx.zone):%Y-%m-%d %H:%M}",
            f"预计退房：{first.expected_checkout or '未填'}",
        ]
    pdf.setFont(font, 11)
    for line in lines:
        pdf.drawString(15 * mm, y, line)
        y -= 7 * mm
    y -= 3 * mm
    # The guests as a table whose cells wrap (a long name grows its row, never runs over the
    # next column or off the page).
    cell = ParagraphStyle("cell", fontName=font, fontSize=10, leading=13, wordWrap="CJK")
    rows = [[Paragraph(h, cell) for h in ("序号", "姓名", "性别", "证件号码", "核验方式")]]
    for i, g in enumerate(party, 1):
        rows.append([Paragraph(escape(text), cell) for text in (
            str(i), g.person.name, GENDERS.get(g.person.gender or "", ""),
            mask(g.person.number), CAPTURES.get(g.stay.capture, g.stay.capture))])
    table = Table(rows, colWidths=[c * mm for c in COLUMNS], repeatRows=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    _w, used = table.wrapOn(pdf, width - 30 * mm, y - 30 * mm)
    table.drawOn(pdf, 15 * mm, y - used)
    y -= used
    y -= 10 * mm
    pdf.drawString(15 * mm, y, "旅客签名：______________")
    pdf.drawString(80 * mm, y, "经办人：______________")
    y -= 8 * mm
    pdf.setFont(font, 8)
    pdf.drawString(15 * mm, y, "来有登记、走有核销。本单不含完整证件号码，请妥善保管。")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
