"""The printable registration slip (旅客住宿登记单): one A5 page per check-in, in the chain of
embedded CJK fonts of the monthly report (``reports.fonts``): a name with a character beyond
the shipped font (CJK Extension B, say) is drawn in the system font that has it; one no font
has is drawn as a visible mark and logged. Numbers are masked."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from registry.context import Context
from registry.identity.ids import mask
from registry.lookup.desk import Guest
from reports.fonts import TextSetter

CAPTURES = {"chip": "读卡核验", "manual": "手工录入"}
GENDERS = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
COLUMNS = (10, 36, 12, 40, 20)  # mm: the 118 mm between the margins of A5


def render_slip(venue: str, party: Sequence[Guest], ctx: Context,
                invariant: bool = False) -> bytes:
    """The slip of one check-in (the party sharing a room), as PDF bytes.

    Characters no font could draw are logged (``reports.fonts.setter``) with their place."""
    setter = TextSetter()
    font = setter.font
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A5, invariant=int(invariant), initialFontName=font)
    pdf.setTitle("旅客住宿登记单")
    width, height = A5
    y = height - 20 * mm
    setter.draw(pdf, width / 2, y, "旅客住宿登记单", "登记单标题", 16, "centre")
    y -= 10 * mm
    first = party[0].stay if party else None
    lines = [("旅馆", venue)]
    if first is not None:
        lines += [
            ("房间", first.room),
            ("入住时间", f"{first.checked_in_at.astimezone(ctx.zone):%Y-%m-%d %H:%M}"),
            ("预计退房", f"{first.expected_checkout or '未填'}"),
        ]
    for label, value in lines:
        setter.draw(pdf, 15 * mm, y, f"{label}：{value}", f"登记单{label}", 11)
        y -= 7 * mm
    y -= 3 * mm
    # The guests as a table whose cells wrap (a long name grows its row, never runs over the
    # next column or off the page).
    cell = ParagraphStyle("cell", fontName=font, fontSize=10, leading=13, wordWrap="CJK")
    heads = ("序号", "姓名", "性别", "证件号码", "核验方式")
    rows = [[Paragraph(h, cell) for h in heads]]
    for i, g in enumerate(party, 1):
        rows.append([Paragraph(setter.markup(text, f"登记单第{i}位旅客的{head}"), cell)
                     for head, text in zip(heads, (
            str(i), g.person.name, GENDERS.get(g.person.gender or "", ""),
            mask(g.person.number), CAPTURES.get(g.stay.capture, g.stay.capture)), strict=True)])
    table = Table(rows, colWidths=[c * mm for c in COLUMNS], repeatRows=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), font),  # else the cells' canvas state names Helvetica
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    _w, used = table.wrapOn(pdf, width - 30 * mm, y - 30 * mm)
    table.drawOn(pdf, 15 * mm, y - used)
    y -= used
    y -= 10 * mm
    setter.draw(pdf, 15 * mm, y, "旅客签名：______________", "登记单签名栏", 11)
    setter.draw(pdf, 80 * mm, y, "经办人：______________", "登记单签名栏", 11)
    y -= 8 * mm
    setter.draw(pdf, 15 * mm, y, "来有登记、走有核销。本单不含完整证件号码，请妥善保管。",
                "登记单脚注", 8)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
