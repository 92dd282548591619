"""The station service's monthly PDF with a character no font has (issue 18, item 3): the PDF
is still served, the character drawn as the mark, and the server's log names it, its code
point and its place."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import update

from registry.db.engine import make_engine
from registry.db.models import Jurisdiction
from reports.fonts import MARK, font_chain

STATION = "440304001"
NEWEST = ("\U00031350", "\U0002ebf0", "\U000323af")  # CJK Extensions H and I


def test_the_report_of_a_name_no_font_has(server, tmp_path):
    chain = font_chain()
    odd = next((c for c in NEWEST if chain.font_for(c) is None), None)
    if odd is None:
        pytest.skip("every candidate character has a font on this machine")
    engine = make_engine(server.db_url)
    with engine.begin() as c:
        rename = update(Jurisdiction).where(Jurisdiction.code == STATION)
        c.execute(rename.values(name=f"园{odd}所"))
    engine.dispose()
    with server.client("coord") as coord:
        pdf = coord.get("/api/v1/reports/monthly",
                        params={"month": "2026-06", "jurisdiction": STATION})
    assert pdf.status_code == 200, pdf.text[:300]
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"园{MARK}所" in text and odd not in text
    log = server.log_text()
    assert f"标题中的字符「{odd}」（U+{ord(odd):04X}）" in log, log
    assert "reports.fonts.setter" in log  # through the service's own (masking) formatter
