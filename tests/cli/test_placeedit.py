"""Editing places on both engines: duplicates refused, level order, industry sections,
update, merge (references move) and remove (only while unreferenced), jurisdiction rename."""

from __future__ import annotations

from laiqu_helpers import A, B, Laiqu, build_city


def test_duplicates_levels_and_industry_are_refused(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    same = run(
        "venue", "add", "天平 宾馆", "--kind", "hotel", "--jurisdiction", "31010401", ok=False
    )
    assert same.exit_code == 1 and "已有同名场所" in same.stderr
    wide = run(
        "house", "add", "--address", "天平路　８８ 弄 3 号 201 室",
        "--jurisdiction", "310104010101", ok=False,
    )  # fmt: skip
    assert wide.exit_code == 1 and "同一地址的房屋" in wide.stderr
    run("house", "add", "--address", "天平路 88 弄 3 号 202 室", "--jurisdiction", "310104010101")
    grid = run(
        "jurisdiction", "add", "G01", "某网格", "--level", "grid", "--parent", "310100", ok=False
    )
    assert grid.exit_code == 1 and "层级为 市 > 区县 > 派出所 > 社区 > 网格" in grid.stderr
    industry = run(
        "employer", "add", "某公司", "--uscc", "91310104MA1FL0002U",
        "--jurisdiction", "310104010101", "--industry", "ZZ", ok=False,
    )  # fmt: skip
    assert industry.exit_code == 1
    ok = run("employer", "update", "迅达快递", "--industry", "ZZ", ok=False)
    assert ok.exit_code == 1 and "A–T" in ok.stderr and "H 住宿和餐饮业" in ok.stderr
    assert run.json("employer", "update", "迅达快递", "--industry", "g")["industry"] == "G"


def test_venue_update_merge_and_remove(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    other = run.json(
        "venue", "add", "天平旅社", "--kind", "hotel", "--jurisdiction", "31010401",
        "--rooms", "101,301",
    )  # fmt: skip
    run("checkin", "--venue", other["id"], "--room", "301", "--id", A, "--name", "张三")
    refused = run("venue", "remove", other["id"], ok=False)
    assert refused.exit_code == 1 and "merge" in refused.stderr
    taken = run("venue", "update", other["id"], "--name", "天平宾馆", ok=False)
    assert taken.exit_code == 1 and "已有同名场所" in taken.stderr
    renamed = run.json("venue", "update", "天平宾馆", "--name", "天平大酒店", "--add-rooms", "202")
    assert renamed["name"] == "天平大酒店" and "202" in renamed["rooms"]
    merged = run.json("venue", "merge", city["hotel"], other["id"])
    assert merged["moved"]["stays"] == 1 and merged["moved"]["rooms"] == 1
    rooms = {v["name"]: v["rooms"] for v in run.json("venue", "list")["venues"]}
    assert rooms == {"天平大酒店": ["101", "102", "103", "201", "202", "301"]}
    assert "301" in run("checkout", "--venue", "天平大酒店", "--room", "301").stdout
    spare = run.json("venue", "add", "空置旅馆", "--kind", "hotel", "--jurisdiction", "31010401")
    assert run.json("venue", "remove", spare["id"])["removed"] is True
    gone = run("venue", "remove", spare["id"], ok=False)
    assert gone.exit_code == 1 and "错误：" in gone.stderr


def test_house_and_employer_merge_remove_and_rename(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    dup = run.json(
        "house", "add", "--address", "天平路 88 弄 3 号 201", "--jurisdiction", "310104010101"
    )
    run("movein", "--house", dup["id"], "--id", A, "--name", "张三")
    assert "merge" in run("house", "remove", dup["id"], ok=False).stderr
    merged = run.json("house", "merge", city["house"], dup["id"])
    assert merged["moved"]["residences"] == 1
    out = run("moveout", "--house", city["house"], "--id", A)
    assert "张三" in out.stdout or out.exit_code == 0
    same = run("house", "update", city["house"], "--address", "天平路 88 弄 3 号 201 室 ", ok=False)
    assert same.exit_code == 1 and "没有要修改的内容" in same.stderr
    moved = run.json("house", "update", city["house"], "--address", "天平路 88 弄 3 号 201A 室")
    assert moved["address"] == "天平路 88 弄 3 号 201A 室"
    spare = run.json("house", "add", "--address", "天平路 90 号", "--jurisdiction", "310104010101")
    assert run.json("house", "remove", spare["id"])["removed"] is True

    second = run.json(
        "employer", "add", "迅达快递分部", "--uscc", "91310104MA1FL0002U",
        "--jurisdiction", "310104010101", "--industry", "G",
    )  # fmt: skip
    run("job", "start", "--employer", second["id"], "--id", B, "--name", "李四")
    assert "merge" in run("employer", "remove", second["id"], ok=False).stderr
    done = run.json("employer", "merge", city["employer"], second["id"])
    assert done["moved"]["employments"] == 1
    updated = run.json(
        "employer", "update", city["employer"], "--name", "迅达物流", "--headcount", "1"
    )
    assert updated["name"] == "迅达物流"

    renamed = run.json("jurisdiction", "rename", "310104010101", "天平一网格")
    assert renamed["name"] == "天平一网格"
    same = run("jurisdiction", "rename", "310104010101", "天平一网格", ok=False)
    assert same.exit_code == 1 and "错误：" in same.stderr


def test_a_door_plate_is_refused_twice_in_one_jurisdiction(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    first = run.json(
        "house", "add", "--address", "天平路 70 号", "--door-plate", "天平路70号",
        "--jurisdiction", "310104010101", "--json",
    )  # fmt: skip
    again = run(
        "house", "add", "--address", "天平路 72 号", "--door-plate", "天平路70号",
        "--jurisdiction", "310104010101", ok=False,
    )  # fmt: skip
    assert again.exit_code == 1 and "门牌号相同的房屋" in again.stderr
    assert first["id"][:8] in again.stderr
    second = run.json(
        "house", "add", "--address", "天平路 72 号", "--jurisdiction", "310104010101", "--json"
    )
    moved = run("house", "update", second["id"], "--door-plate", "天平路70号", ok=False)
    assert moved.exit_code == 1 and "门牌号相同的房屋" in moved.stderr
    run("house", "update", first["id"], "--door-plate", "天平路70号")  # its own plate again


def test_edits_go_through_the_text_validator(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    house = run.json(
        "house", "add", "--address", "天平路 74 号", "--jurisdiction", "310104010101", "--json"
    )  # fmt: skip
    bad = "天平路\u202e74 号"
    for args in (
        ("jurisdiction", "rename", "31010401", bad),
        ("venue", "update", "天平 宾馆", "--address", bad),
        ("employer", "update", "迅达快递", "--name", bad),
        ("house", "update", house["id"], "--address", bad),
    ):
        result = run(*args, ok=False)
        assert result.exit_code == 1 and result.stderr.startswith("错误："), args
        assert "\u202e" not in run("jurisdiction", "list").stdout + run("venue", "list").stdout
