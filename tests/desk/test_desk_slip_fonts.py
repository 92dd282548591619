"""The slip of a real ``laiqu desk`` draws names through the PDFs' font chain (issue 18, item 3):
a name with CJK Extension B prints whole when a font has it; a character no font has is drawn
as the mark and the desk's log names it, its code point and the guest's row."""

from __future__ import annotations

import re
import subprocess

import httpx
from desk_helpers import start_desk, stop_desk
from laiqu_helpers import A, B
from test_desk_guard import NO_READER, page_token

from reports.fonts import MARK, font_chain

JI = "\U00020bb7"  # 𠮷, CJK Extension B
NEWEST = ("\U00031350", "\U0002ebf0", "\U000323af")  # Extensions H and I


def test_names_beyond_the_shipped_font_on_the_slip(desk_db, tmp_path) -> None:
    chain = font_chain()
    odd = next((c for c in NEWEST if chain.font_for(c) is None), None)
    started = start_desk(desk_db, NO_READER, tmp_path)
    try:
        with httpx.Client(base_url=started.url,
                          headers={"X-Desk-Token": page_token(started.url)}) as client:
            guests = [{"number": A, "name": f"{JI}祥"}]
            if odd is not None:
                guests.append({"number": B, "name": f"李{odd}"})
            done = client.post("/api/checkin", json={"room": "101", "guests": guests})
            assert done.status_code == 200, done.text
            pdf = client.get(done.json()["slip"])
            assert pdf.status_code == 200
    finally:
        stop_desk(started)
    path = tmp_path / "slip.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes yes " in line for line in fonts), fonts
    log = started.output()
    assert "Traceback" not in log
    if chain.font_for(JI) is not None:
        assert f"{JI}祥" in text, text
        assert "U+20BB7" not in log
    if odd is not None:
        assert f"李{MARK}" in text and odd not in text
        said = f"位旅客的姓名中的字符「{odd}」（U+{ord(odd):04X}）"
        assert re.search(f"登记单第[12]{re.escape(said)}", log), log  # in the desk's order
