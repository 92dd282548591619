"""check: runs the matchings and lists open findings by code and jurisdiction."""

from __future__ import annotations

from laiqu_helpers import A, B, Laiqu


def test_check_lists_and_filters(laiqu: Laiqu, city) -> None:
    laiqu("checkin", "--venue", "天平宾馆", "--room", "101", "--id", A, "--name", "张三")
    laiqu("job", "start", "--employer", "迅达快递", "--id", B, "--name", "李四")
    data = laiqu.json("check")
    codes = {f["code"] for f in data["findings"]}
    assert {"PC-MANUAL", "PJ-NO-RESIDENCE", "PH-NO-HOUSE"} <= codes
    assert data["count"] == len(data["findings"])
    assert {(s["code"], s["jurisdiction"]) for s in data["summary"]} >= {("PC-MANUAL", "31010401")}
    assert all("*" in (f["person"] or "*") for f in data["findings"])
    only = laiqu.json("check", "--code", "PC-MANUAL")
    assert {f["code"] for f in only["findings"]} == {"PC-MANUAL"}
    grid = laiqu.json("check", "--jurisdiction", "310104010101")
    assert {f["jurisdiction"] for f in grid["findings"]} == {"310104010101"}
    text = laiqu("check").stdout
    assert "比对完成" in text and "张三 110105********0111" in text and A not in text


def test_check_refusals(laiqu: Laiqu, city) -> None:
    assert laiqu("check", "--code", "NOPE", ok=False).exit_code == 2
    unknown = laiqu("check", "--jurisdiction", "404", ok=False)
    assert unknown.exit_code == 1 and "辖区 404 尚未登记" in unknown.stderr
