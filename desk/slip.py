"""The printable registration slip (旅客住宿登记单): one A5 page per check-in, with the
embedded CJK font of the monthly report (``reports.fonts.cjk_font``). Numbers are masked."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from registry.context import Context
from registry.identity.ids import mask
from registry.lookup.desk import Guest
from reports.fonts import cjk_font

CAPTURES = {"chip": "读卡核验", "manual": "手工录入"}
GENDERS = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}


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
    pdf.setFont(font, 10)
    pdf.drawString(15 * mm, y, "序号  姓名          性别  证件号码                核验方式")
    y -= 2 * mm
    pdf.line(15 * mm, y, width - 15 * mm, y)
    y -= 6 * mm
    for i, g in enumerate(party, 1):
        gender = GENDERS.get(g.person.gender or "", "")
        pdf.drawString(15 * mm, y, f"{i}")
        pdf.drawString(24 * mm, y, g.person.name)
        pdf.drawString(50 * mm, y, gender)
        pdf.drawString(60 * mm, y, mask(g.person.number))
        pdf.drawString(106 * mm, y, CAPTURES.get(g.stay.capture, g.stay.capture))
        y -= 7 * mm
    y -= 10 * mm
    pdf.drawString(15 * mm, y, "旅客签名：______________")
    pdf.drawString(80 * mm, y, "经办人：______________")
    y -= 8 * mm
    pdf.setFont(font, 8)
    pdf.drawString(15 * mm, y, "来有登记、走有核销。本单不含完整证件号码，请妥善保管。")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
