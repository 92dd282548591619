"""Issue 18: property tests over dates, encodings and text fields (hypothesis), and the
registry's day under a host in another time zone."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from registry.context import DEFAULT_ZONE
from registry.errors import InvalidInput
from registry.exchange import csvfiles
from registry.identity import dates, text
from registry.identity.ids import parse, ric_check_digit

ROOT = Path(__file__).resolve().parents[2]


def _gb2312_ideographs() -> str:
    found = []
    for lead in range(0xB0, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                found.append(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(found)


COMMON = _gb2312_ideographs()  # the 6,763 characters of GB 2312 (most names)
names = st.text(st.sampled_from(COMMON), min_size=1, max_size=4)
days = st.dates(min_value=date(1880, 1, 1), max_value=date(9998, 12, 31))


# --- dates ------------------------------------------------------------------------------------


@given(days)
def test_every_written_form_of_a_day_reads_back(day: date) -> None:
    y, m, d = day.year, day.month, day.day
    forms = [
        day.isoformat(),
        f"{y}/{m}/{d}",
        f"{y}.{m:02d}.{d:02d}",
        f"{y}{m:02d}{d:02d}",
        f"{y}年{m}月{d}日",
        f"{y}-{m}-{d}",
        f" {y}/{m:02d}/{d:02d} ",
        unicodedata.normalize("NFKC", day.isoformat()).translate(
            str.maketrans("0123456789", "０１２３４５６７８９")
        ),
    ]
    for form in forms:
        assert dates.read_day(form) == day, form
        assert dates.read_valid_to(form) == day


@given(st.text(max_size=20))
def test_any_text_is_a_day_or_a_bad_day(raw: str) -> None:
    try:
        value = dates.read_day(raw)
    except dates.BadDay as exc:
        assert exc.reason in ("shape", "no such day", "too early")
    else:
        assert date(1880, 1, 1) <= value


@given(st.sampled_from(["长期", "長期", " 长期 ", "9999-12-31", "9999/12/31", "99991231"]))
def test_long_term_forms(raw: str) -> None:
    assert dates.read_valid_to(raw) == dates.LONG_TERM


@given(days, st.sampled_from(["-", "/", "."]))
def test_a_bad_cell_is_quoted_as_in_the_file(day: date, sep: str) -> None:
    cell = f"{day.year}{sep}{day.month}{sep}32"
    with pytest.raises(csvfiles.CsvError) as caught:
        csvfiles.parse_day({"birth_date": cell}, "birth_date")
    assert f"“{cell}”" in str(caught.value)


# --- encodings ------------------------------------------------------------------------------


def _csv(rows: list[str]) -> str:
    return "证件号码,姓名\n" + "".join(f"{i:018d},{n}\n" for i, n in enumerate(rows))


@settings(max_examples=300)
@given(st.lists(names, min_size=1, max_size=5))
def test_utf8_chinese_is_always_read_as_utf8(rows: list[str]) -> None:
    content = _csv(rows)
    assert csvfiles.decode(content.encode("utf-8")) == (content, "utf-8")


@settings(max_examples=300)
@given(st.lists(names, min_size=1, max_size=5), st.sampled_from(["gbk", "gb18030"]))
def test_gbk_is_read_as_gbk_or_refused_never_as_mojibake(rows: list[str], encoding: str) -> None:
    content = _csv(rows)
    try:
        decoded, used = csvfiles.decode(content.encode(encoding))
    except csvfiles.CsvError as exc:
        assert "--encoding" in str(exc)
    else:
        assert (decoded, used) == (content, "gb18030")


@settings(max_examples=300)
@given(names)
def test_a_gbk_name_alone_is_read_as_gbk_or_refused(name: str) -> None:
    content = f"1,{name}\n"
    try:
        decoded, _used = csvfiles.decode(content.encode("gbk"))
    except csvfiles.CsvError:
        return
    assert decoded == content


@settings(max_examples=300)
@given(
    st.lists(names, min_size=1, max_size=5),
    st.sampled_from(["°", "×", "😀", "€", "™", "①", "→"]),
    st.integers(min_value=0, max_value=4),
)
def test_utf8_chinese_with_a_stray_symbol_is_read_as_utf8(
    rows: list[str], symbol: str, at: int
) -> None:
    rows[at % len(rows)] += symbol
    content = _csv(rows)
    assert csvfiles.decode(content.encode("utf-8")) == (content, "utf-8")


@settings(max_examples=300)
@given(
    st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), min_size=1),
    st.sampled_from(sorted(text.BIDI | text.INVISIBLE)),
    st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1),
)
def test_a_latin_name_with_a_control_is_read_as_utf8(head: str, control: str, tail: str) -> None:
    """Read as it was written, so the control check can refuse the row (never as mojibake)."""
    content = f"1,{head}{control}{tail}\n"
    assert csvfiles.decode(content.encode("utf-8")) == (content, "utf-8")


def test_the_issue_input_zheng_wei() -> None:
    data = "1,郑伟\n".encode("gbk")
    data.decode("utf-8")  # the trap: valid UTF-8
    assert csvfiles.decode(data) == ("1,郑伟\n", "gb18030")


@given(st.text(max_size=30))
def test_export_encoding_check_agrees_with_the_codec(value: str) -> None:
    from registry.exchange.csvexport import _unencodable

    assume(all(unicodedata.category(c) != "Cs" for c in value))
    row = ["110105********0111", "resident", value]
    try:
        ",".join(row).encode("gbk")
    except UnicodeEncodeError:
        label = _unencodable("persons", row, "gbk")
        assert label is not None and label.startswith("110105********0111")
    else:
        assert _unencodable("persons", row, "gbk") is None


# --- unclosed quotes -----------------------------------------------------------------------


@given(st.lists(names, min_size=2, max_size=6), st.data())
def test_an_unclosed_quote_is_refused_at_its_line(rows: list[str], data: st.DataObject) -> None:
    broken = data.draw(st.integers(0, len(rows) - 2))
    quote = '"'
    lines = [f"{i:018d},{quote if i == broken else ''}{n}" for i, n in enumerate(rows)]
    content = "id_number,name\n" + "\n".join(lines) + "\n"
    with pytest.raises(csvfiles.CsvError) as caught:
        csvfiles.read_rows(content, "persons")
    assert f"第 {broken + 2} 行" in str(caught.value)


@given(st.lists(names, min_size=1, max_size=6))
def test_rows_read_match_the_lines(rows: list[str]) -> None:
    content = "id_number,name\r\n" + "".join(f'{i:018d},"{n}"\r\n' for i, n in enumerate(rows))
    _, read = csvfiles.read_rows(content, "persons")
    assert [r.line for r in read] == list(range(2, len(rows) + 2))
    assert [r.values["name"] for r in read] == rows


# --- text fields ------------------------------------------------------------------------------


@given(st.text(max_size=40))
def test_a_one_line_field_is_clean_or_refused(value: str) -> None:
    try:
        kept = text.line(value, "address", 30)
    except InvalidInput as exc:
        assert str(exc).startswith("the address ")
    else:
        assert kept == value and len(value) <= 30
        assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in value)
        assert not any(c in text.BIDI for c in value)


@given(st.text(max_size=40))
def test_shown_never_holds_a_control(value: str) -> None:
    out = text.shown(value)
    assert not any(unicodedata.category(c) in ("Cc", "Cs") or c in text.BIDI for c in out)
    if text.problem(value) is None:
        assert out == value


@pytest.mark.parametrize(
    "value",
    [
        "\x07",
        "\x08",
        "\x7f",
        "\n",
        "\r",
        "\t",
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2066, 0x206A)),
    ],
)
def test_each_named_control_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="control characters"):
        text.line(f"湖南路{value}1 号", "address", 200)


# --- the registry's day ---------------------------------------------------------------------


def test_parse_uses_the_shanghai_day_whatever_the_host_zone() -> None:
    """A host twelve hours behind UTC is on another day than Shanghai for 20 hours of 24."""
    shanghai = datetime.now(DEFAULT_ZONE).date()
    first17 = f"110105{shanghai:%Y%m%d}011"
    newborn = first17 + ric_check_digit(first17)
    later = f"110105{shanghai + timedelta(days=1):%Y%m%d}011"
    later += ric_check_digit(later)
    script = (
        "import sys\n"
        "from registry.identity.ids import parse\n"
        "from registry.errors import InvalidNumber\n"
        "parse(sys.argv[1])\n"
        "try:\n    parse(sys.argv[2])\nexcept InvalidNumber:\n    print('refused')\n"
    )
    for zone in ("Etc/GMT+12", "Etc/GMT-14", "UTC"):
        env = {**os.environ, "TZ": zone, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script, newborn, later],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "refused", zone
    assert parse(newborn).birth_date == shanghai
