"""``checkin cancel|move`` and ``movein cancel`` on both engines: a voided record is kept,
journalled and audited, and leaves occupancy, findings and the open-stay checks."""

from __future__ import annotations

import sqlalchemy as sa
from laiqu_helpers import A, B, C, Laiqu, build_city

from registry.db.engine import make_engine


def _rows(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def test_checkin_cancel_voids_keeps_and_audits(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    run("checkin", "--venue", city["hotel"], "--room", "101", "--id", A, "--name", "张三")
    missing = run("checkin", "cancel", "--venue", "天平宾馆", "--id", A, ok=False)
    assert missing.exit_code == 2 and "--reason" in missing.output
    empty = run("checkin", "cancel", "--venue", "天平宾馆", "--id", A, "--reason", " ", ok=False)
    assert empty.exit_code == 1
    assert empty.stderr.startswith("错误：") and "原因" in empty.stderr
    bidi = run(
        "checkin", "cancel", "--venue", "天平宾馆", "--id", A, "--reason", "错\u202e人", ok=False
    )  # fmt: skip
    assert bidi.exit_code == 1 and bidi.stderr.startswith("错误：")
    data = run.json("checkin", "cancel", "--venue", "天平宾馆", "--id", A, "--reason", "登记错了人")
    assert data["reason"] == "登记错了人" and data["room"] == "101"
    assert data["person"]["masked"] != A
    stays = _rows(db_url, "SELECT voided_at, voided_by, void_reason FROM stays")
    assert len(stays) == 1 and stays[0][0] is not None and stays[0][2] == "登记错了人"
    events = _rows(db_url, "SELECT action FROM events WHERE action = 'stay.voided'")
    assert len(events) == 1
    audited = _rows(db_url, "SELECT count(*) FROM audit_log WHERE action = 'stay.voided'")
    assert audited[0][0] == 1
    # The person's history keeps the voided stay, marked; what is current leaves it out.
    lines = run.json("person", "history", A)["history"]
    assert [(i["kind"], i["void_reason"]) for i in lines] == [("stay", "登记错了人")]
    assert lines[0]["voided_at"] is not None
    assert "已作废：登记错了人" in run("person", "history", A).stdout
    assert run.json("person", "show", A)["current"] == []
    # The voided stay is no open stay: checking out refuses, checking in again is allowed.
    out = run("checkout", "--venue", "天平宾馆", "--room", "101", ok=False)
    assert out.exit_code == 1 and "没有在住旅客" in out.stderr
    again = run.json("checkin", "--venue", "天平宾馆", "--room", "102", "--id", A, "--name", "张三")
    assert again["guests"]
    twice = run("checkin", "cancel", "--venue", "天平宾馆", "--id", B, "--reason", "x", ok=False)
    assert twice.exit_code == 1 and "错误：" in twice.stderr
    texts = run("checkin", "cancel", "--venue", "天平宾馆", "--id", A, "--reason", "又错了")
    assert "已作废入住" in texts.stdout and A not in texts.stdout
    assert len(_rows(db_url, "SELECT id FROM stays WHERE voided_at IS NOT NULL")) == 2


def test_checkin_move_changes_room_and_keeps_history(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    run("checkin", "--venue", city["hotel"], "--room", "101", "--id", A, "--name", "张三")
    moved = run.json("checkin", "move", "--venue", "天平宾馆", "--id", A, "--room", "201")
    assert (moved["room_from"], moved["room"]) == ("101", "201")
    assert _rows(db_url, "SELECT room FROM stays") == [("201",)]
    history = _rows(db_url, "SELECT detail FROM events WHERE action = 'stay.moved'")
    assert len(history) == 1 and "101" in str(history[0][0])
    same = run("checkin", "move", "--venue", "天平宾馆", "--id", A, "--room", "201", ok=False)
    assert same.exit_code == 1 and "无需换房" in same.stderr
    bad = run("checkin", "move", "--venue", "天平宾馆", "--id", A, "--room", "999", ok=False)
    assert bad.exit_code == 1 and "没有房间" in bad.stderr
    assert "201" in run("checkout", "--venue", "天平宾馆", "--room", "201").stdout
    helped = run("checkin", "--help").stdout
    assert "checkin cancel" in helped and "checkin move" in helped


def test_movein_cancel_leaves_occupancy_and_findings(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)  # the house is declared for 2
    for number, name in ((A, "张三"), (B, "李四"), (C, "王五")):
        run("movein", "--house", city["house"], "--id", number, "--name", name)
    open_codes = {f["code"] for f in run.json("check", "--jurisdiction", "310100")["findings"]}
    assert "PH-OVER-CAPACITY" in open_codes
    data = run.json("movein", "cancel", "--house", city["house"], "--id", C, "--reason", "误登")
    assert data["reason"] == "误登"
    codes = {f["code"] for f in run.json("check", "--jurisdiction", "310100")["findings"]}
    assert "PH-OVER-CAPACITY" not in codes
    assert len(_rows(db_url, "SELECT id FROM residences")) == 3
    assert _rows(db_url, "SELECT count(*) FROM events WHERE action = 'residence.voided'")[0][0] == 1
    out = run("moveout", "--house", city["house"], "--id", C, ok=False)
    assert out.exit_code == 1 and "作废（误登）" in out.stderr  # not "does not live here"
    run("movein", "--house", city["house"], "--id", C, "--name", "王五")  # again, once


def test_a_voided_move_in_leaves_the_overdue_list(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)  # today is 2026-06-15
    run(
        "movein", "--house", city["house"], "--id", A, "--name", "张三",
        "--on", "2026-05-01", "--until", "2026-06-01",
    )  # fmt: skip
    listed = run.json("overdue", "list")["residences"]
    assert [r["name"] for r in listed] == ["张三"]
    late = {f["code"] for f in run.json("check", "--jurisdiction", "310100")["findings"]}
    assert "PH-LATE" in late  # reported six weeks after moving in
    run("movein", "cancel", "--house", "TP-88-3-201", "--id", A, "--reason", "房号登记错误")
    assert run.json("overdue", "list")["residences"] == []
    assert "PH-LATE" not in {
        f["code"] for f in run.json("check", "--jurisdiction", "310100")["findings"]
    }
