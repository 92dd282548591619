"""Tables count East Asian wide characters as two columns; JSON is one UTF-8 document."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

from cli.output import cell, dumps, mask_phone, record, table, text_width


def test_width_counts_wide_and_full_width_as_two() -> None:
    assert text_width("张三") == 4
    assert text_width("ＡＢ") == 4  # full-width Latin
    assert text_width("abc") == 3
    assert text_width("e\u0301") == 1  # combining accent takes no column
    assert text_width("（）") == 4


def test_table_aligns_chinese_columns() -> None:
    text = table(["姓名", "城市"], [["张三", "上海"], ["Smith, John", "北京"], ["欧阳娜娜", "x"]])
    lines = text.splitlines()
    starts = {
        text_width(line[: line.index(city)])
        for line, city in zip(lines[2:], ["上海", "北京", "x"], strict=True)
    }
    assert starts == {13}  # "Smith, John" is 11 columns, plus two spaces
    assert lines[1] == "-----------  ----"
    assert all(line == line.rstrip() for line in lines)


def test_record_and_cells() -> None:
    assert record([("姓名", "张三"), ("证件号码", "1")]) == "姓名      张三\n证件号码  1"
    assert cell(True) == "是" and cell(None) == ""
    assert cell(datetime(2026, 6, 15, 2, 0, tzinfo=UTC)) == "2026-06-15 10:00"  # Shanghai


def test_json_is_utf8_with_iso_dates() -> None:
    key = uuid.uuid4()
    doc = json.loads(dumps({"id": key, "on": date(2026, 6, 1), "name": "张三"}))
    assert doc == {"id": str(key), "on": "2026-06-01", "name": "张三"}
    assert "张三" in dumps({"name": "张三"})  # not \\u escapes


def test_phone_mask() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) is None
