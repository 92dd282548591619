"""Issue 18, items 4–9 and 11: encodings, dates, unclosed quotes, the registry's day, region
codes, control characters and lengths, each with the input the issue gives. Every refusal is
one ``错误：`` line, exit 1, nothing written, no full ID number anywhere in the output."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from laiqu_helpers import A, B, Laiqu, number

from cli.main import cli
from registry.db.engine import make_engine


def refused(result, *needles: str, numbers: tuple[str, ...] = (A, B)) -> str:
    """The one ``错误：`` line of a refused command, checked for needles and full numbers."""
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("错误：")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in errors[0], errors[0]
    for full in numbers:
        assert full not in result.output
    return errors[0]


def documents(url: str) -> list[tuple[object, bool]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r) for r in conn.execute(sa.text("SELECT valid_to, long_term FROM documents"))
            ]
    finally:
        engine.dispose()


# --- 4. exports that cannot be encoded ------------------------------------------------------


def test_gbk_export_of_a_name_gbk_cannot_hold_is_refused_before_writing(
    laiqu: Laiqu, tmp_path: Path
) -> None:
    laiqu("person", "add", "--id", A, "--name", "𠮷祥")
    laiqu("person", "add", "--id", B, "--name", "李四")
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "persons.csv"
    out.write_text("the previous export\n", encoding="utf-8")
    result = laiqu("export", "persons", "--out", str(out), "--encoding", "gbk", ok=False)
    line = refused(result, "gbk", "110105********0111 𠮷祥", "gb18030")
    assert "李四" not in line  # only the records GBK cannot hold are named
    assert out.read_text(encoding="utf-8") == "the previous export\n"  # untouched
    assert sorted(p.name for p in folder.iterdir()) == ["persons.csv"]  # no part left
    # The same export with the suggested encoding holds everything.
    fresh = folder / "new.csv"
    assert (
        laiqu.json("export", "persons", "--out", str(fresh), "--encoding", "gb18030")["rows"] == 2
    )
    assert "𠮷祥" in fresh.read_text(encoding="gb18030")
    assert sorted(p.name for p in folder.iterdir()) == ["new.csv", "persons.csv"]


def test_full_id_export_refusal_masks_the_number(laiqu: Laiqu, tmp_path: Path) -> None:
    laiqu("person", "add", "--id", A, "--name", "䶮")
    result = laiqu(
        "export",
        "persons",
        "--out",
        str(tmp_path / "p.csv"),
        "--encoding",
        "gbk",
        "--full-ids",
        ok=False,
    )
    refused(result, "110105********0111")


# --- 5. GBK taken for UTF-8 -----------------------------------------------------------------


def test_gbk_file_whose_bytes_are_valid_utf8_is_read_as_gbk(laiqu: Laiqu, tmp_path: Path) -> None:
    data = f"id_number,name\n{A},郑伟\n".encode("gbk")
    # The trap of the issue: the file is valid UTF-8 (Hebrew and Greek, no Chinese).
    assert data.decode("utf-8") != data.decode("gbk")
    path = tmp_path / "gbk.csv"
    path.write_bytes(data)
    result = laiqu("import", "persons", str(path))
    assert "编码 gb18030（自动识别）" in result.stderr
    assert laiqu.json("person", "show", A)["name"] == "郑伟"
    chinese_header = tmp_path / "zh.csv"
    chinese_header.write_bytes(f"证件号码,姓名\n{B},郑伟\n".encode("gbk"))
    assert "编码 gb18030" in laiqu("import", "persons", str(chinese_header)).stderr
    assert laiqu.json("person", "show", B)["name"] == "郑伟"


def test_utf8_file_with_a_bidi_override_is_read_as_utf8_and_its_row_refused(
    laiqu: Laiqu, tmp_path: Path, counts
) -> None:
    # Valid UTF-8; its GB18030 reading (Ali鈥瓸aba) needs two ideographs outside GB 2312.
    path = tmp_path / "p.csv"
    path.write_bytes(f"id_number,name\n{B},张三\n{A},Ali\u202eBaba\n".encode())
    before = counts()
    result = laiqu("import", "persons", str(path), ok=False)
    refused(result, "第 3 行")
    assert "编码 utf-8（自动识别）" in result.stderr
    assert "第 3 行：" in result.stderr and "U+202E" in result.stderr
    assert "鈥" not in result.stderr
    assert counts() == before


def test_utf8_chinese_file_with_a_stray_symbol_is_read_as_utf8(
    laiqu: Laiqu, tmp_path: Path
) -> None:
    path = tmp_path / "p.csv"
    rows = f"id_number,name,hukou_address\n{A},张三,湖南路 5° 号\n{B},李四,湖南路 6×2 号😀\n"
    path.write_bytes(rows.encode())
    result = laiqu("import", "persons", str(path))
    assert "编码 utf-8（自动识别）" in result.stderr
    assert "已导入人员 2 条" in result.stderr + result.stdout
    assert laiqu.json("person", "show", A)["name"] == "张三"
    assert laiqu.json("person", "show", B)["name"] == "李四"


def test_file_both_readings_fit_is_refused_with_advice(
    laiqu: Laiqu, tmp_path: Path, counts
) -> None:
    # "José" in UTF-8 is "Jos茅" in GBK: both readings are text; nothing says which.
    path = tmp_path / "p.csv"
    path.write_bytes(f"id_number,name\n{A},José\n".encode())
    before = counts()
    refused(laiqu("import", "persons", str(path), ok=False), "无法确定文件编码", "--encoding")
    assert counts() == before
    data = laiqu.json("import", "persons", str(path), "--encoding", "utf-8")
    assert data["imported"] == 1
    assert laiqu.json("person", "show", A)["name"] == "José"


# --- 6. dates as spreadsheets and cards write them --------------------------------------------


def test_dates_as_spreadsheets_write_them(laiqu: Laiqu, sqlite_url: str, tmp_path: Path) -> None:
    c = number("320102", "19940102", 31)
    path = tmp_path / "p.csv"
    path.write_text(
        "id_number,name,birth_date,valid_to\n"
        f"{number('320102', '19940101', 21)},甲,1994/1/1,2034.01.07\n"
        f"{c},乙,19940102,长期\n"
        f"{B},丙,,9999-12-31\n",
        encoding="utf-8",
    )
    assert laiqu.json("import", "persons", str(path))["imported"] == 3
    assert laiqu.json("person", "show", c)["birth_date"] == "1994-01-02"
    stored = sorted(documents(sqlite_url), key=str)
    assert stored.count((None, True)) == 2  # 长期 and 9999-12-31: long-term, as a card says
    assert any(str(v) == "2034-01-07" and not t for v, t in stored)


def test_long_term_typed_on_the_command_line(laiqu: Laiqu, sqlite_url: str) -> None:
    laiqu("person", "add", "--id", A, "--name", "张三", "--valid-to", "长期")
    laiqu("person", "add", "--id", B, "--name", "李四", "--valid-to", "2034/1/7")
    stored = sorted(documents(sqlite_url), key=str)
    assert (None, True) in stored and any(str(v) == "2034-01-07" for v, _ in stored)


def test_a_bad_date_is_quoted_as_it_is_in_the_file(laiqu: Laiqu, tmp_path: Path, counts) -> None:
    path = tmp_path / "p.csv"
    path.write_text(f"id_number,name,valid_to\n{A},张三,2034/02/30\n", encoding="utf-8")
    before = counts()
    result = laiqu("import", "persons", str(path), ok=False)
    refused(result)
    assert "第 2 行：有效期至的“2034/02/30”不是存在的日期" in result.stderr
    assert counts() == before


def test_a_disagreeing_date_is_quoted_as_written(laiqu: Laiqu, tmp_path: Path, counts) -> None:
    born = number("110105", "19940101", 15)
    path = tmp_path / "p.csv"
    path.write_text(
        f"id_number,name,birth_date,gender\n{born},错日,1994/1/2,男\n", encoding="utf-8"
    )
    before = counts()
    result = laiqu("import", "persons", str(path), ok=False)
    refused(result)
    assert "出生日期 1994/1/2 与证件号码" in result.stderr and "1994-01-02" not in result.stderr
    assert born not in result.output
    assert counts() == before


def test_a_spreadsheet_date_time_at_midnight_is_a_day(laiqu: Laiqu, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        f"id_number,name,birth_date,valid_to\n{A},张三,1988/03/14 00:00:00,2034/01/07 00:00:00\n",
        encoding="utf-8",
    )
    laiqu("import", "persons", str(path))
    assert laiqu.json("person", "show", A)["birth_date"] == "1988-03-14"


# --- 7. an unclosed quote -----------------------------------------------------------------


def test_unclosed_quote_refuses_the_file_with_its_line(
    laiqu: Laiqu, tmp_path: Path, counts
) -> None:
    path = tmp_path / "p.csv"
    path.write_text(f'id_number,name\n{A},"未闭合引号\n{B},李四\n', encoding="utf-8")
    before = counts()
    line = refused(laiqu("import", "persons", str(path), ok=False), "第 2 行", "引号没有闭合")
    assert "李四" not in line
    assert counts() == before


# --- 8. today is the registry's day -----------------------------------------------------------


def test_newborn_of_the_shanghai_day_under_a_utc_host(sqlite_url: str) -> None:
    # 18:00 UTC on 15 June is already 16 June in Shanghai: a child born on the 16th exists.
    newborn = number("110105", "20260616", 11)
    runner = CliRunner(
        env={"LAIQU_NOW": "2026-06-15T18:00:00+00:00", "TZ": "UTC", "LAIQU_TERMINAL": "t"}
    )
    ok = runner.invoke(
        cli, ["--db", sqlite_url, "person", "add", "--id", newborn, "--name", "新生"]
    )
    assert ok.exit_code == 0, ok.output
    tomorrow = number("110105", "20260617", 21)
    bad = runner.invoke(
        cli, ["--db", sqlite_url, "person", "add", "--id", tomorrow, "--name", "未生"]
    )
    refused(bad, numbers=(tomorrow,))


def foreign_2017(born: str) -> str:
    """A 2017 foreign permanent-resident number (3 letters, 12 digits) born ``YYMMDD``."""
    from registry.identity.ids import _mrz_check

    first = f"USA1100{born}1"
    return first + _mrz_check(first)


@pytest.mark.parametrize(
    ("doc", "raw", "extra"),
    [
        ("foreign_2017", foreign_2017("260616"), ["--nationality", "USA"]),
        ("foreign_2023", "9" + number("110105", "20260616", 11)[1:-1], []),
        ("resident", number("110105", "20260616", 11), []),
        ("passport", "E12345678", ["--nationality", "USA", "--birth", "2026-06-16"]),
    ],
)
def test_future_birth_refused_for_every_document_type(laiqu: Laiqu, doc, raw, extra) -> None:
    # The fixed clock is 15 June 2026, 10:00 in Shanghai; every number says 16 June 2026.
    if doc == "foreign_2023":
        from registry.identity.ids import ric_check_digit

        raw += ric_check_digit(raw)
    args = ["person", "add", "--id", raw, "--name", "Future", "--doc-type", doc, *extra]
    refused(laiqu(*args, ok=False), numbers=(raw,))
    assert laiqu.json("person", "search", "Future")["count"] == 0
    yesterday = foreign_2017("260614")
    data = laiqu.json(
        "person",
        "add",
        "--id",
        yesterday,
        "--name",
        "Past",
        "--doc-type",
        "foreign_2017",
        "--nationality",
        "USA",
    )
    assert data["person"]["birth_date"] == "2026-06-14"


# --- 9. region codes ------------------------------------------------------------------------


def test_region_codes_warn_only_when_never_valid(laiqu: Laiqu) -> None:
    for code, born in (("330106", "19700101"), ("310115", "19850101")):
        data = laiqu.json("person", "add", "--id", number(code, born, 11), "--name", "老住户")
        assert data["warnings"] == []  # valid codes, only younger than the holder
    never = number("119900", "19800101", 11)
    data = laiqu.json("person", "add", "--id", never, "--name", "王某")
    assert len(data["warnings"]) == 1
    warning = data["warnings"][0]
    assert "地区代码 119900" in warning and "王某" in warning and "119900********" in warning
    assert never not in warning


# --- 11. control characters, bidi controls, lengths, invalid UTF-8 ---------------------------


@pytest.mark.parametrize(
    ("option", "value", "label"),
    [
        ("--name", "张\x07三", "姓名"),
        ("--name", "张\u202e三", "姓名"),
        ("--address", "湖南路\x08 1 号", "户籍地址"),
        ("--address", "湖南路\n1 号", "户籍地址"),
        ("--address", "湖南路\u2066 1 号", "户籍地址"),
        ("--address", "湖南路\x7f1 号", "户籍地址"),
        ("--name", "张\u2028三", "姓名"),
        ("--address", "湖南路\u2029 1 号", "户籍地址"),
        ("--name", "张\u3164三", "姓名"),
        ("--phone", "1" * 33, "电话"),
        ("--address", "路" * 201, "户籍地址"),
    ],
)
def test_person_fields_refused_from_the_command_line(
    laiqu: Laiqu, counts, option: str, value: str, label: str
) -> None:
    before = counts()
    result = laiqu("person", "add", "--id", A, "--name", "张三", option, value, ok=False)
    refused(result, label)
    assert counts() == before


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("name", "张\u202e三"),
        ("hukou_address", "湖南路\x07"),
        ("phone", "1" * 33),
        ("name", "张\u2028三"),
        ("hukou_address", "湖南\u2029路"),
    ],
)
def test_person_fields_refused_from_csv(
    laiqu: Laiqu, tmp_path: Path, counts, column, value
) -> None:
    cells = {"id_number": A, "name": "张三", column: value}
    path = tmp_path / "p.csv"
    path.write_text(",".join(cells) + "\n" + ",".join(cells.values()) + "\n", encoding="utf-8")
    before = counts()
    result = laiqu("import", "persons", str(path), ok=False)
    refused(result)
    assert "第 2 行：" in result.stderr
    assert counts() == before


def test_place_names_refused(laiqu: Laiqu, counts) -> None:
    laiqu("jurisdiction", "add", "310100", "上海市", "--level", "city")
    before = counts()
    refused(
        laiqu(
            "jurisdiction",
            "add",
            "310104",
            "徐汇\u202e区",
            "--level",
            "district",
            "--parent",
            "310100",
            ok=False,
        ),
        "辖区名称",
    )
    refused(
        laiqu(
            "venue", "add", "天平\x07宾馆", "--kind", "hotel", "--jurisdiction", "310100", ok=False
        ),
        "场所名称",
    )
    assert counts() == before


def test_invalid_utf8_on_the_command_line(laiqu: Laiqu, counts) -> None:
    # What Python makes of the bytes b"\xd6\xa3" in argv under a UTF-8 locale (PEP 383).
    broken = b"\xd6\xa3\xb0".decode("utf-8", "surrogateescape")
    laiqu("jurisdiction", "add", "310100", "上海市", "--level", "city")
    before = counts()
    refused(
        laiqu(
            "jurisdiction",
            "add",
            "310104",
            broken,
            "--level",
            "district",
            "--parent",
            "310100",
            ok=False,
        ),
        "辖区名称不是有效的 UTF-8",
    )
    refused(
        laiqu("user", "add", "clerk", "--role", "admin", "--name", broken, ok=False),
        "用户姓名不是有效的 UTF-8",
    )
    assert counts() == before


def test_person_show_never_prints_controls_raw(laiqu: Laiqu, sqlite_url: str) -> None:
    laiqu("person", "add", "--id", A, "--name", "张三", "--address", "湖南路 1 号")
    engine = make_engine(sqlite_url)  # a row stored before the validator existed
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE persons SET hukou_address = :a"), {"a": "湖南\x1b[2J路\u202e"})
    engine.dispose()
    shown = laiqu("person", "show", A, "--reveal", "--reason", "核查").stdout
    assert "\x1b" not in shown and "\u202e" not in shown
    assert "\\x1b[2J" in shown and "\\u202e" in shown


def test_lengths_refused_on_each_engine(db_url: str, tmp_path: Path) -> None:
    run = Laiqu(db_url)
    for option, value in (("--phone", "1" * 33), ("--address", "路" * 201)):
        result = run("person", "add", "--id", A, "--name", "张三", option, value, ok=False)
        refused(result)
    path = tmp_path / "p.csv"
    path.write_text(f"id_number,name,phone\n{A},张三,{'1' * 33}\n", encoding="utf-8")
    refused(run("import", "persons", str(path), ok=False))
    assert run.json("person", "search", "zs")["count"] == 0
    run("jurisdiction", "add", "310100", "上海市", "--level", "city")
    long_room = run(
        "venue",
        "add",
        "锦江宾馆",
        "--kind",
        "hotel",
        "--jurisdiction",
        "310100",
        "--rooms",
        "101," + "1" * 40,
        ok=False,
    )
    refused(long_room, "房间号应为 1 到 32 个字符")
    assert "DataError" not in long_room.output
    assert run.json("venue", "list")["venues"] == []


def test_unclosed_quote_in_a_rooming_list(laiqu: Laiqu, city, tmp_path: Path, counts) -> None:
    path = tmp_path / "g.csv"
    path.write_text(f'房间号,证件号码,姓名\n101,{A},"未闭合引号\n102,{B},李四\n', encoding="utf-8")
    before = counts()
    result = laiqu("checkin-group", "--venue", "天平宾馆", str(path), ok=False)
    refused(result, "第 2 行的引号没有闭合", "全团均未入住")
    assert counts() == before


# --- free text that skipped the validator: reasons, room numbers, device names ---------------


def test_free_text_fields_are_validated(laiqu: Laiqu, city, counts) -> None:
    laiqu("checkin", "--venue", city["hotel"], "--room", "101", "--id", A, "--name", "张三")
    laiqu("movein", "--house", "TP-88-3-201", "--id", B, "--name", "李四")
    me = getpass.getuser()
    laiqu("user", "add", me, "--role", "admin", "--name", "王前台")
    before = counts()
    refused(
        laiqu("moveout", "--house", "TP-88-3-201", "--id", B, "--reason", "到期\x07", ok=False),
        "原因",
        "U+0007",
    )
    refused(
        laiqu(
            "checkin",
            "cancel",
            "--venue",
            "天平宾馆",
            "--id",
            A,
            "--reason",
            "错\u202e了",
            ok=False,
        ),
        "原因",
        "U+202E",
    )
    refused(
        laiqu(
            "venue",
            "add",
            "锦江宾馆",
            "--kind",
            "hotel",
            "--jurisdiction",
            "31010401",
            "--rooms",
            "101,1\a02",
            ok=False,
        ),
        "房间号",
        "U+0007",
    )
    too_long = laiqu(
        "venue",
        "add",
        "锦江宾馆",
        "--kind",
        "hotel",
        "--jurisdiction",
        "31010401",
        "--rooms",
        "1" * 40,
        ok=False,
    )
    refused(too_long, "房间号应为 1 到 32 个字符")
    refused(
        laiqu("user", "token", me, "--device", "前台\u20281号机", ok=False),
        "设备名称",
        "U+2028",
    )
    assert counts() == before


def test_a_card_read_with_a_bidi_name_is_shown_escaped_and_refused(
    laiqu: Laiqu, city, counts
) -> None:
    from dataclasses import replace

    from drivers.emulator import start_emulator
    from drivers.emulator.deck import default_deck

    emulator = start_emulator(process=False)
    try:
        emulator.present(replace(default_deck()[0].card, name="卡\u202e人"))
        before = counts()
        result = laiqu(
            "checkin",
            "--venue",
            "天平宾馆",
            "--room",
            "201",
            "--reader",
            f"serial://{emulator.port}?baud=115200",
            "--timeout",
            "10",
            ok=False,
        )
    finally:
        emulator.close()
    assert "\u202e" not in result.output
    assert "已读卡：卡\\u202e人" in result.stderr
    message = refused(result, "姓名（读卡所得）", "U+202E", "手工登记")
    assert "请删除后重新输入" not in message
    assert counts() == before


# --- English inside 错误 lines ---------------------------------------------------------------


def test_errors_are_chinese(laiqu: Laiqu, tmp_path: Path, counts) -> None:
    broken = b"\xff\xfe".decode("utf-8", "surrogateescape")
    refused(laiqu("person", "search", broken, ok=False), "搜索内容不是有效的 UTF-8")
    for codec in ("rot13", "idna"):
        result = laiqu(
            "export", "persons", "--encoding", codec, "--out", str(tmp_path / "x.csv"), ok=False
        )
        assert result.exit_code == 2 and "错误：" in result.stderr
        assert "导出 CSV 可用的编码" in result.stderr and "Error" not in result.stderr
        assert not (tmp_path / "x.csv").exists()
    missing = tmp_path / "nonexistent" / "x.csv"
    assert "目录不存在" in refused(laiqu("export", "persons", "--out", str(missing), ok=False))
    bare_cr = tmp_path / "cr.csv"
    bare_cr.write_bytes(f"证件号码,姓名\r{A},张三\r".encode())
    laiqu("import", "persons", str(bare_cr))
    assert laiqu.json("person", "show", A)["name"] == "张三"
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(f"证件号码,姓名\n{B},李\r四\n".encode())
    before = counts()
    message = refused(laiqu("import", "persons", str(mixed), ok=False))
    assert "new-line" not in message
    chinese_header = tmp_path / "zh.csv"
    chinese_header.write_text(f"证件号码,姓名\n{B},李\u202e四\n", encoding="utf-8")
    result = laiqu("import", "persons", str(chinese_header), ok=False)
    refused(result)
    assert "第 2 行：姓名含有控制字符" in result.stderr and "name" not in result.stderr
    assert counts() == before
