"""What the second and third new users' break tests of issue 19 found (the first:
``test_issue19_breaks``),
each as the user met it: a door plate that reads like another house's id, a finding note with
a terminal escape, a merge across stations, a voided record acted on again, a date that does
not exist, an ethnicity by name, a landlord by last digits, a registered guest without
``--name``.

On both engines (``db_url``) through CliRunner.
"""

from __future__ import annotations

import sqlalchemy as sa
from laiqu_helpers import A, B, Laiqu, build_city
from test_references import refused

from registry.db.engine import make_engine


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_a_door_plate_that_reads_like_an_id_never_takes_another_house(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    prefix = city["house"].replace("-", "")[:8]
    other = run.json(
        "house", "add", "--address", "天平路 90 号", "--jurisdiction", "310104010101",
        "--door-plate", prefix,
    )  # fmt: skip
    line = refused(
        run("movein", "--house", prefix, "--id", A, "--name", "张三", ok=False),
        "对应 2 个房屋",
        "天平路 90 号",
        "天平路 88 弄",
    )
    assert line.count("请") == 1  # one piece of advice, not two
    assert _rows(db_url, "SELECT count(*) FROM residences") == [(0,)]
    # the longer references the refusal lists name each house
    longer = line.split("天平路 90 号 [")[1].split("]")[0]
    done = run.json("movein", "--house", longer, "--id", A, "--name", "张三")
    assert done["house"]["id"] == other["id"]


def test_a_finding_note_is_one_clean_line(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)  # today is 2026-06-15
    run(
        "movein", "--house", city["house"], "--id", A, "--name", "张三", "--on", "2026-05-01",
    )  # fmt: skip
    late = [
        f for f in run.json("check", "--jurisdiction", "310100")["findings"]
        if f["code"] == "PH-LATE"
    ]  # fmt: skip
    ref = late[0]["id"][:8]
    refused(run("finding", "ack", ref, "--note", "\x1b[31m已处理", ok=False), "控制字符")
    refused(run("finding", "ack", ref, "--note", "长" * 201, ok=False), "200")
    assert _rows(db_url, "SELECT count(*) FROM findings WHERE resolved_at IS NOT NULL") == [(0,)]
    run("finding", "ack", ref, "--note", "已约谈房东")


def test_a_merge_across_stations_takes_the_findings_along(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    station = ("31010402", "湖南路派出所", "--level", "station", "--parent", "310104")
    run("jurisdiction", "add", *station)
    there = run.json("venue", "add", "湖南宾馆", "--kind", "hotel", "--jurisdiction", "31010402",
                     "--rooms", "301", "--address", "湖南路 1 号")  # fmt: skip
    run("checkin", "--venue", there["id"], "--room", "301", "--id", B, "--name", "李四")
    guests = "SELECT DISTINCT jurisdiction_code FROM findings WHERE person_id IS NOT NULL"
    assert _rows(db_url, guests) == [("31010402",)]  # PC-MANUAL: typed in
    refused(run("venue", "merge", city["hotel"], there["id"][:8], ok=False), "--across")
    assert _rows(db_url, guests) == [("31010402",)]  # nothing moved
    run("venue", "merge", city["hotel"], there["id"][:8], "--across")
    assert _rows(db_url, guests) == [("31010401",)]
    kept = run.json("venue", "show", city["hotel"][:8])
    assert kept["address"] == "湖南路 1 号"  # the duplicate's address fills the survivor's blank
    assert _rows(db_url, "SELECT DISTINCT jurisdiction_code FROM stays") == [("31010401",)]


def test_a_voided_record_says_so_and_is_never_voided_twice(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    hotel = city["hotel"]

    def at(hour: int) -> None:  # the clerk's clock moves on between the steps
        run.runner.env["LAIQU_NOW"] = f"2026-06-15T{hour:02d}:00:00+08:00"

    at(10)
    run("checkin", "--venue", hotel, "--room", "101", "--id", A, "--name", "张三")
    at(11)
    run("checkout", "--venue", hotel, "--id", A)
    at(12)
    run("checkin", "--venue", hotel, "--room", "102", "--id", A)  # registered: no --name
    at(13)
    run("checkin", "cancel", "--venue", hotel, "--id", A, "--reason", "录错房间")
    for args in (
        ("checkin", "cancel", "--venue", hotel, "--id", A, "--reason", "再来一次"),
        ("checkout", "--venue", hotel, "--id", A),
        ("checkin", "move", "--venue", hotel, "--id", A, "--room", "103"),
    ):
        refused(run(*args, ok=False), "已于", "作废（录错房间）")
    # the earlier, valid stay is untouched: one voided stay, one checked out
    assert _rows(db_url, "SELECT count(*) FROM stays WHERE voided_at IS NOT NULL") == [(1,)]
    history = run.json("person", "history", A)["history"]
    assert len(history) == 2
    text = run("person", "history", A).stdout
    assert "已作废" in text and "至今" not in text
    # once a later stay is closed, the voided one before it is no answer any more
    at(14)
    run("checkin", "--venue", hotel, "--room", "103", "--id", A)
    at(15)
    run("checkout", "--venue", hotel, "--id", A)
    out = run("checkout", "--venue", hotel, "--id", A, ok=False)
    assert out.exit_code == 1 and "作废" not in out.stderr, out.stderr


def test_days_ethnicities_and_landlords_as_people_write_them(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    run("person", "add", "--id", A, "--name", "张三", "--ethnicity", "汉")
    for option, value, said in (
        ("--birth", "1991-02-30", "这一天不存在"),
        ("--birth", "1991/02/03", "不是 YYYY-MM-DD 格式"),
        ("--ethnicity", "火星族", "不认识的民族"),
    ):
        out = run("person", "correct", A, option, value, ok=False)
        assert out.exit_code == 2 and said in out.stderr, out.stderr  # a usage error
    assert run.json("person", "correct", A, "--ethnicity", "蒙古族")["person"]["ethnicity"] == "02"
    updated = run.json("house", "update", city["house"][:8], "--landlord", A[-6:])
    assert updated["landlord"] == A[:6] + "********" + A[-4:]
    gone = run("house", "remove", run.json(
        "house", "add", "--address", "天平路 94 号", "--jurisdiction", "310104010101")["id"],
    ).stdout  # fmt: skip
    assert "天平路 94 号" in gone


# --- the third break test (try19c) ------------------------------------------------------------


def test_the_same_house_or_employer_written_another_way_is_refused(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)  # 天平路 88 弄 3 号 201 室 in grid 310104010101; employer 迅达快递
    refused(
        run("house", "add", "--address", "天平路８８弄３號２０１室", "--jurisdiction",
            "310104010101", ok=False),
        "同一地址",
    )  # fmt: skip
    refused(
        run("employer", "add", "迅达 快递", "--uscc", "91310104MA1FL0002U",
            "--jurisdiction", "310104010101", ok=False),
        "同名单位",
    )  # fmt: skip
    assert _rows(db_url, "SELECT count(*) FROM houses") == [(1,)]
    assert _rows(db_url, "SELECT count(*) FROM employers") == [(1,)]


def test_checkout_and_job_start_take_the_references_lists_print(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    run("checkin", "--venue", city["hotel"], "--room", "101", "--id", A, "--name", "张三")
    guest = run.json("guests", "--venue", city["hotel"])
    ref = A[-4:]
    out = run.json("checkout", "--venue", city["hotel"], "--id", ref)
    assert len(out["stays"]) == 1, guest
    started = run.json("job", "start", "--employer", city["employer"][:8], "--id", ref)
    assert started["person"]["name"] == "张三"
    # a newcomer still comes with a full number and a name
    run("job", "start", "--employer", city["employer"][:8], "--id", B, "--name", "李四")


def test_dates_in_full_width_digits_and_a_report_that_cannot_be_written(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    done = run.json("movein", "--house", city["house"], "--id", A, "--name", "张三",
                    "--on", "２０２６-０６-０１")  # fmt: skip
    assert done["on"] == "2026-06-01"
    refused(
        run("report", "monthly", "--month", "2026-05", "--jurisdiction", "310100",
            "--out", "/proc/laiqu-report.pdf", ok=False),
        "无法写入 /proc/laiqu-report.pdf",
    )  # fmt: skip


def test_two_characters_find_a_venue_by_the_start_of_its_name(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)  # 天平宾馆
    found = run.json("person", "search", "天平")["venues"]
    assert [v["name"] for v in found] == ["天平宾馆"]
    assert run.json("person", "search", "宾馆")["venues"] == []  # not inside, under 3 characters
