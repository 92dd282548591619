"""The desk's HTTP side against a real ``laiqu desk``: the slip of a long name, refusals in
Chinese, the on-time rate before anything is due."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from desk_helpers import DeskProcess, start_desk, stop_desk
from laiqu_helpers import A, B, Laiqu
from test_desk_guard import NO_READER, page_token

LONG_NAME = "阿卜杜勒克里木买买提艾力阿布都热合曼吐尔逊古丽努尔麦麦提明江"[:30]


@pytest.fixture
def desk(desk_db, tmp_path) -> Iterator[tuple[DeskProcess, httpx.Client]]:
    started = start_desk(desk_db, NO_READER, tmp_path)
    with httpx.Client(base_url=started.url,
                      headers={"X-Desk-Token": page_token(started.url)}) as client:
        yield started, client
    stop_desk(started)
    assert "Traceback" not in started.output()


def test_a_long_name_wraps_on_the_slip(desk, tmp_path) -> None:
    _process, client = desk
    assert len(LONG_NAME) == 30
    done = client.post("/api/checkin", json={"room": "101", "guests": [
        {"number": A, "name": LONG_NAME}, {"number": B, "name": "李四"}]})
    assert done.status_code == 200, done.text
    pdf = client.get(done.json()["slip"])
    assert pdf.status_code == 200
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert LONG_NAME in "".join(text.split()), text
    assert "110105********0111" in text and "李四" in text and A not in text
    # The name's column ends before the number's begins (nothing runs over), within the page.
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                           text=True, check=True).stdout
    words = [(float(x0), float(x1), w) for x0, x1, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
        boxes)]
    number_at = min(x0 for x0, _x1, w in words if w.startswith("110105"))
    name_parts = [(x0, x1) for x0, x1, w in words if w and set(w) <= set(LONG_NAME)]
    assert name_parts and all(x1 <= number_at for _x0, x1 in name_parts), (words, number_at)
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.M), pages


def test_refusals_are_said_in_chinese(desk) -> None:
    _process, client = desk
    late = client.post("/api/checkin", json={"room": "101", "expected": "2026-06-01",
                                             "guests": [{"number": A, "name": "张三"}]})
    assert late.status_code == 400 and "预计退房日期早于今天" in late.json()["error"]
    long = client.post("/api/checkin", json={"room": "101",
                                             "guests": [{"number": A, "name": "张" * 101}]})
    assert long.status_code == 400 and "姓名超过 100 个字" in long.json()["error"]
    for said in (late.json()["error"], long.json()["error"]):
        assert not any(word in said for word in ("the ", "expected", "longer"))


def test_the_on_time_rate_counts_only_what_is_due(desk) -> None:
    _process, client = desk
    done = client.post("/api/checkin", json={"room": "101",
                                             "guests": [{"number": A, "name": "张三"}]})
    assert done.status_code == 200, done.text
    today = client.get("/api/upload").json()["today"]
    assert today["stays"] == 1 and today["due"] == 0 and today["rate"] is None


def test_the_desk_sees_no_finding_about_another_hotel(desk_db, tmp_path) -> None:
    """A guest typed in at another hotel (PC-MANUAL on that stay) and then here: the desk
    lists this hotel's PC-MANUAL and the person's own finding, never the other hotel's."""
    run = Laiqu(desk_db)
    run("venue", "add", "湖滨旅社", "--kind", "hotel", "--jurisdiction", "31010401",
        "--rooms", "1-3")
    run("checkin", "--venue", "湖滨旅社", "--room", "1", "--id", A, "--name", "张三")
    started = start_desk(desk_db, NO_READER, tmp_path)
    try:
        client = httpx.Client(base_url=started.url,
                              headers={"X-Desk-Token": page_token(started.url)})
        done = client.post("/api/checkin", json={"room": "101",
                                                 "guests": [{"number": A, "name": "张三"}]})
        assert done.status_code == 200, done.text
        for findings in (done.json()["findings"], client.get("/api/house").json()["findings"]):
            codes = [f["code"] for f in findings]
            assert codes.count("PC-MANUAL") == 1, findings
            assert "PC-TWO-PLACES" in codes, findings
            assert not any("湖滨" in f["detail"] for f in findings)
        client.close()
    finally:
        stop_desk(started)
