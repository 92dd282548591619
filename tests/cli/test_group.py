"""checkin-group: a tour group from its rooming list, all or none, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from dbtools import table_counts
from laiqu_helpers import NOW_ENV, Laiqu, build_city, number
from sqlalchemy import Engine

FULL_NUMBER = re.compile(r"\d{17}[\dX]")
# Five synthetic guests in three rooms; room 102 is split across the list on purpose.
GROUP = [
    ("101", number("110105", "19880314", 41), "张三"),
    ("101", number("440106", "19900101", 42), "李四"),
    ("102", number("310104", "19750505", 43), "王五"),
    ("201", number("110105", "19920202", 44), "赵六"),
    ("102", number("320102", "19850707", 45), "钱七"),
]
HEADER = "房间号,证件号码,姓名"


def rooming_list(
    path: Path, rows: list[tuple[str, ...]], header: str = HEADER, encoding: str = "utf-8"
) -> str:
    path.write_bytes((header + "\n" + "".join(",".join(r) + "\n" for r in rows)).encode(encoding))
    return str(path)


@pytest.fixture
def desk(db_url: str) -> Laiqu:
    run = Laiqu(db_url)
    build_city(run)
    return run


def test_a_group_checks_in_room_by_room_with_masked_numbers(
    desk: Laiqu, engine: Engine, tmp_path: Path
) -> None:
    before = table_counts(engine)
    out = desk("checkin-group", "--venue", "天平宾馆", rooming_list(tmp_path / "g.csv", GROUP))
    after = table_counts(engine)
    assert after["persons"] - before["persons"] == 5
    assert after["stays"] - before["stays"] == 5
    lines = out.stdout.splitlines()
    assert lines[0] == "团队入住：天平宾馆，3 间房，5 位旅客（新登记 5 位）"
    assert lines[1] == (
        "  101 房：张三 110105********0410（手工，新登记）、李四 440106********0427（手工，新登记）"
    )
    assert lines[2].startswith("  102 房：王五 310104********") and "、钱七 320102" in lines[2]
    assert lines[3].startswith("  201 房：赵六 110105********")
    assert "发现的问题（5）" in out.stdout and "PC-MANUAL" in out.stdout
    # Each finding says whose it is.
    assert "：张三 110105********0410：" in out.stdout
    assert not FULL_NUMBER.search(out.output)
    stays = desk.json("person", "history", GROUP[4][1])["history"]
    assert [(s["kind"], s["end"]) for s in stays] == [("stay", None)]


def test_gbk_list_with_english_headers_and_json(
    desk: Laiqu, engine: Engine, tmp_path: Path
) -> None:
    rows = [(room, num, name, "身份证", "") for room, num, name in GROUP[:3]]
    rows.append(("102", "E12345678", "JOHN SMITH", "护照", "usa"))  # a passport needs nationality
    header = "room,number,name,doc_type,nationality"
    path = rooming_list(tmp_path / "g.csv", rows, header, "gbk")
    data = desk.json("checkin-group", "--venue", "天平宾馆", "--until", "2026-06-17", path)
    assert [d["room"] for d in data] == ["101", "102"]
    names = [[g["person"]["name"] for g in d["guests"]] for d in data]
    assert names == [["张三", "李四"], ["王五", "JOHN SMITH"]]
    guests = [g for d in data for g in d["guests"]]
    assert all(g["created"] and g["capture"] == "manual" for g in guests)
    assert all("*" in g["person"]["id_number"] for g in guests)
    assert guests[3]["person"]["doc_type"] == "passport"
    assert guests[3]["person"]["nationality"] == "USA"
    assert {f["code"] for d in data for f in d["findings"]} == {"PC-MANUAL"}
    assert table_counts(engine)["stays"] == 4


def _refused(desk: Laiqu, engine: Engine, path: str) -> str:
    """Run a list that must be refused; the database must be as it was."""
    before = table_counts(engine)
    result = desk("checkin-group", "--venue", "天平宾馆", path, ok=False)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and not FULL_NUMBER.search(result.output)
    assert table_counts(engine) == before
    return result.stderr


Case = Callable[[Laiqu, Path], str]


def _missing_column(desk: Laiqu, tmp: Path) -> str:
    return rooming_list(tmp, [(r, n) for r, n, _ in GROUP], "房间号,证件号码")


def _empty_number(desk: Laiqu, tmp: Path) -> str:
    return rooming_list(tmp, [GROUP[0], GROUP[1], ("102", "", "王五"), GROUP[3]])


def _duplicate_number(desk: Laiqu, tmp: Path) -> str:
    return rooming_list(tmp, [*GROUP[:3], ("201", GROUP[1][1], "李四")])


def _unknown_room(desk: Laiqu, tmp: Path) -> str:
    return rooming_list(tmp, [GROUP[0], ("999", GROUP[1][1], "李四"), GROUP[2]])


def _already_here(desk: Laiqu, tmp: Path) -> str:
    desk("checkin", "--venue", "天平宾馆", "--room", "103", "--id", GROUP[2][1], "--name", "王五")
    return rooming_list(tmp, GROUP)


@pytest.mark.parametrize(
    ("case", "said"),
    [
        (_missing_column, "第 1 行缺少必需的列：姓名（name）"),
        (_empty_number, "第 4 行：缺少必填项：id_number（证件号码）"),
        (_duplicate_number, "第 5 行：证件号码 440106********0427 与第 3 行重复"),
        (_unknown_room, "999 房（名单第 3 行）：输入有误：天平宾馆 没有房间“999”"),
        (_already_here, "102 房（名单第 4、6 行）：登记被拒绝：王五（310104********043X）已在"),
    ],
    ids=["missing-column", "empty-number", "duplicate", "unknown-room", "already-checked-in"],
)
def test_a_bad_list_is_refused_whole(
    desk: Laiqu, engine: Engine, tmp_path: Path, case: Case, said: str
) -> None:
    stderr = _refused(desk, engine, case(desk, tmp_path / "g.csv"))
    assert said in stderr
    assert stderr.startswith("错误：") and "全团均未入住" in stderr


def test_several_bad_lines_are_all_listed(desk: Laiqu, engine: Engine, tmp_path: Path) -> None:
    rows = [GROUP[0], ("101", "12345", "坏号"), ("", GROUP[2][1], "王五"), GROUP[0]]
    stderr = _refused(desk, engine, rooming_list(tmp_path / "g.csv", rows))
    assert "第 3 行：" in stderr and "第 4 行：房间号" in stderr and "第 5 行：证件号码" in stderr
    assert "（共 3 行有误，见上）" in stderr
    header_only = _refused(desk, engine, rooming_list(tmp_path / "h.csv", []))
    assert "名单中没有旅客" in header_only


def test_the_real_executable(sqlite_url: str, tmp_path: Path) -> None:
    build_city(Laiqu(sqlite_url))
    exe = shutil.which("laiqu", path=str(Path(sys.executable).parent)) or shutil.which("laiqu")
    assert exe, "the laiqu console script is not installed (pip install -e .)"
    path = rooming_list(tmp_path / "g.csv", GROUP, encoding="gbk")
    done = subprocess.run(
        [exe, "--db", sqlite_url, "checkin-group", "--venue", "天平宾馆", "--json", path],
        capture_output=True,
        text=True,
        env={**os.environ, "LAIQU_NOW": NOW_ENV},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [len(d["guests"]) for d in json.loads(done.stdout)] == [2, 2, 1]
    assert not FULL_NUMBER.search(done.stdout + done.stderr)
