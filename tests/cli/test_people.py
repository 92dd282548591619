"""person add|show|history|search: full numbers only in show, search by every key."""

from __future__ import annotations

import pytest
from laiqu_helpers import A, B, C, Laiqu


@pytest.fixture
def people(laiqu: Laiqu, city: dict[str, str]) -> Laiqu:
    laiqu("person", "add", "--id", A, "--name", "张三", "--phone", "13812345678")
    laiqu("person", "add", "--id", B, "--name", "李四", "--gender", "女")
    laiqu("person", "add", "--id", C, "--name", "曾凡", "--jurisdiction", "310104")
    return laiqu


def test_add_reports_created_and_masks(laiqu: Laiqu, city: dict[str, str]) -> None:
    data = laiqu.json("person", "add", "--id", A, "--name", "张三", "--jurisdiction", "310100")
    assert data["created"] is True and data["capture"] == "manual"
    assert data["person"]["id_number"] == "110105********0111"
    assert data["person"]["category"] == "floating"
    again = laiqu("person", "add", "--id", A, "--name", "张三")
    assert "已核对" in again.stdout


def test_add_needs_reader_or_id(laiqu: Laiqu, city: dict[str, str]) -> None:
    assert laiqu("person", "add", ok=False).exit_code == 2
    assert laiqu("person", "add", "--id", A, ok=False).exit_code == 2


@pytest.mark.parametrize("bad", [A[:-1] + "9", "110105198813400117", "12345"])
def test_add_refuses_bad_numbers(laiqu: Laiqu, city: dict[str, str], bad: str) -> None:
    result = laiqu("person", "add", "--id", bad, "--name", "张三", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：") and len(result.stderr.strip().splitlines()) == 1


def test_show_masks_by_default_and_reveals_with_a_reason(people: Laiqu) -> None:
    text = people("person", "show", A).stdout
    assert A not in text and "110105********0111" in text and "13812345678" not in text
    text = people("person", "show", A, "--reveal", "--reason", "核查 2026-001").stdout
    assert A in text and "13812345678" in text and "PC-MANUAL" not in text
    data = people.json("person", "show", A, "--reveal", "--reason", "核查")
    assert data["id_number"] == A and data["documents"][0]["capture"] == "manual"
    assert people("person", "show", A, "--reveal", ok=False).exit_code == 2


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (A, ["张三"]),  # full number
        ("0111", ["张三"]),  # part of the number
        ("110105", ["张三"]),
        ("李四", ["李四"]),  # Chinese name
        ("李", ["李四"]),
        ("zhangsan", ["张三"]),  # full pinyin
        ("zs", ["张三"]),  # initials
        ("zengfan", ["曾凡"]),  # every reading of a polyphonic surname
        ("cengfan", ["曾凡"]),
        ("13812345678", ["张三"]),  # phone
        ("王", []),
    ],
)
def test_search(people: Laiqu, text: str, names: list[str]) -> None:
    data = people.json("person", "search", text)
    assert [p["name"] for p in data["persons"]] == names
    assert all("*" in p["id_number"] for p in data["persons"])


def test_search_lists_are_masked(people: Laiqu) -> None:
    text = people("person", "search", "zs").stdout
    assert "110105********0111" in text and A not in text
    assert "138****5678" in text
    assert "没有找到" in people("person", "search", "nobody").stdout


def test_history_and_where_on_a_day(people: Laiqu, city: dict[str, str]) -> None:
    people("checkin", "--venue", city["hotel"], "--room", "101", "--id", A, "--name", "张三")
    people("movein", "--house", "TP-88-3-201", "--id", A, "--name", "张三", "--on", "2026-06-01")
    people("job", "start", "--employer", "迅达快递", "--id", A, "--on", "2026-06-02")
    data = people.json("person", "history", A)
    assert [h["kind"] for h in data["history"]] == ["residence", "employment", "stay"]
    assert data["person"]["id_number"] == "110105********0111"
    on_day = people.json("person", "history", A, "--on", "2026-06-01")["history"]
    assert [h["place"] for h in on_day] == ["天平路 88 弄 3 号 201 室"]
    assert people.json("person", "history", A, "--on", "2026-05-31")["history"] == []
    assert "至今" in people("person", "history", A).stdout


def test_show_unknown_person(people: Laiqu) -> None:
    result = people("person", "show", "11010519491231002X", ok=False)
    assert result.exit_code == 1 and "尚未登记" in result.stderr


def test_dot_variants_are_one_name(laiqu: Laiqu) -> None:
    """Issue 18 item 2 from the command line: stored as typed, found and matched by any dot."""
    laiqu("person", "add", "--id", A, "--name", "买买提·艾力")
    laiqu("person", "add", "--id", A, "--name", "买买提•艾力")  # not "another name"
    refused = laiqu("person", "add", "--id", A, "--name", "买买提·艾山", ok=False)
    assert refused.exit_code == 1 and refused.output.startswith("错误：")
    assert "另一个姓名" in refused.output and A not in refused.output
    for text in ("买买提.艾力", "买买提・艾力", "买买提 ． 艾力", "maimaiti"):
        persons = laiqu.json("person", "search", text)["persons"]
        assert [p["name"] for p in persons] == ["买买提·艾力"], text
