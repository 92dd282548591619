"""movein, moveout, job start|end, house findings at once."""

from __future__ import annotations

from laiqu_helpers import A, B, C, Laiqu


def test_movein_over_capacity_and_unfiled(laiqu: Laiqu, city) -> None:
    first = laiqu.json(
        "movein",
        "--house",
        city["house"],
        "--id",
        A,
        "--name",
        "张三",
        "--on",
        "2026-06-14",
        "--reporter",
        "landlord",
    )
    assert first["person"]["id_number"] == "110105********0111"
    assert {f["code"] for f in first["findings"]} >= {"PH-UNFILED", "PC-MANUAL"}
    laiqu(
        "movein", "--house", "TP-88-3-201", "--id", B, "--name", "李四", "--relation", "co-tenant"
    )
    third = laiqu("movein", "--house", "TP-88-3-201", "--id", C, "--name", "王五")
    assert "PH-OVER-CAPACITY" in third.stdout and "登记居住 3 人，核定 2 人" in third.stdout
    out = laiqu.json("moveout", "--house", "TP-88-3-201", "--id", C, "--reason", "合同到期")
    assert out["to"] == "2026-06-15" and out["reason"] == "合同到期"
    open_codes = {f["code"] for f in laiqu.json("check")["findings"]}
    assert "PH-OVER-CAPACITY" not in open_codes and "PH-UNFILED" in open_codes


def test_late_movein_is_a_finding(laiqu: Laiqu, city) -> None:
    data = laiqu.json(
        "movein", "--house", city["house"], "--id", A, "--name", "张三", "--on", "2026-06-01"
    )
    assert "PH-LATE" in {f["code"] for f in data["findings"]}


def test_movein_refusals(laiqu: Laiqu, city, counts) -> None:
    before = counts()
    future = laiqu(
        "movein",
        "--house",
        city["house"],
        "--id",
        A,
        "--name",
        "张三",
        "--on",
        "2026-07-01",
        ok=False,
    )
    assert future.exit_code == 1 and "还没到" in future.stderr
    nohouse = laiqu("movein", "--house", "NOPE", "--id", A, "--name", "张三", ok=False)
    assert nohouse.exit_code == 1 and "房屋“NOPE”尚未登记" in nohouse.stderr
    assert counts() == before
    gone = laiqu("moveout", "--house", city["house"], "--id", A, ok=False)
    assert gone.exit_code == 1
    assert laiqu("movein", "--house", city["house"], "--on", "x", ok=False).exit_code == 2


def test_jobs(laiqu: Laiqu, city) -> None:
    started = laiqu.json(
        "job", "start", "--employer", "迅达快递", "--id", A, "--name", "张三", "--post", "快递员"
    )
    assert started["employer"]["name"] == "迅达快递" and started["post"] == "快递员"
    assert "PJ-NO-RESIDENCE" in {f["code"] for f in started["findings"]}
    twice = laiqu("job", "start", "--employer", "91310104MA1FL0001Q", "--id", A, ok=False)
    assert twice.exit_code == 1 and "已在 迅达快递 就业" in twice.stderr
    unknown = laiqu("job", "start", "--employer", "无名作坊", "--id", A, ok=False)
    assert unknown.exit_code == 1 and "--jurisdiction" in unknown.stderr
    side = laiqu.json(
        "job", "start", "--employer", "无名作坊", "--id", A, "--jurisdiction", "310104010101"
    )
    assert side["employer"]["registered"] is False
    assert "PJ-UNKNOWN-EMPLOYER" in {f["code"] for f in side["findings"]}
    ended = laiqu("job", "end", "--employer", city["employer"], "--id", A, "--reason", "辞职")
    assert "已离职：张三" in ended.stdout


def test_reasons_and_notes_are_refused_whole_never_cut(laiqu: Laiqu, city, counts) -> None:
    """A reason or note longer than its column, or holding a control or bidirectional
    character, is refused with what to change; nothing is cut short and nothing changes."""
    long = "合同提前解除" * 34  # 204 characters
    laiqu(
        "movein", "--house", city["house"], "--id", A, "--name", "张三",
        "--on", "2026-01-05", "--until", "2026-03-01",
    )  # fmt: skip
    laiqu("job", "start", "--employer", city["employer"], "--id", A, "--post", "快递员")
    before = counts()
    for args in (
        ("overdue", "cancel", "--id", A, "--reason", long),
        ("overdue", "extend", "--id", A, "--until", "2026-12-31", "--reason", long),
        ("moveout", "--house", city["house"], "--id", A, "--reason", "退租\u202e"),
        ("job", "end", "--employer", city["employer"], "--id", A, "--reason", long),
        ("rule", "set", "movein_days", "5", "--jurisdiction", "310104", "--note", long),
    ):
        refused = laiqu(*args, ok=False)
        assert refused.exit_code == 1, args
        assert refused.stderr.startswith("错误：") and "Traceback" not in refused.stderr
        assert "超过 200 个字" in refused.stderr or "U+202E" in refused.stderr, refused.stderr
    assert counts() == before
    assert len(laiqu.json("overdue", "list")["residences"]) == 1
    # Blanks and line breaks fold to one space; the whole reason is kept.
    reason = "合同\n提前  解除" + "。" * 190
    done = laiqu.json("overdue", "cancel", "--id", A, "--reason", reason)
    assert done["reason"] == "合同 提前 解除" + "。" * 190
