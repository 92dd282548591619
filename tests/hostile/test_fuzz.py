"""Property-based fuzz of the ID parsers and the CSV importers (modest example counts).

The parsers may refuse anything, but only with ``InvalidInput``/``InvalidNumber``; numbers
built by the rules round-trip. The CSV path may refuse a file or a row, but only with
``CsvError`` or a rejected row, and a refused import leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import shutil
from datetime import date

import pytest
from dbtools import table_counts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.errors import InvalidInput
from registry.exchange import csvfiles, csvimport
from registry.identity import ids

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REGIONS = ("110105", "310104", "440106", "510107", "650102", "130102")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ID_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789Xx -\n\t１２３４５６７８９０٣", min_size=14, max_size=20),
    st.from_regex(r"[A-Z]{3}[0-9]{12}", fullmatch=True),
    st.from_regex(r"9[0-9]{16}[0-9X]", fullmatch=True),
    st.from_regex(r"(81|82|83)0000[0-9]{11}[0-9X]\n?", fullmatch=True),
)


@FAST
@given(
    raw=ID_TEXT, kind=st.one_of(st.none(), st.sampled_from(list(ids.DocType)), st.text(max_size=12))
)
def test_parse_only_refuses_with_invalid_input(raw: str, kind: object) -> None:
    try:
        got = ids.parse(raw, kind)  # type: ignore[arg-type]
    except InvalidInput:
        return
    assert got.number.isascii() and got.number == ids.compact(got.number)
    assert ids.parse(got.number, got.doc_type) == got  # normalised numbers parse to themselves
    assert got.number not in repr(got)


@FAST
@given(raw=ID_TEXT)
def test_detect_and_upgrade_only_refuse_with_invalid_input(raw: str) -> None:
    for call in (ids.detect, ids.upgrade15, ids.validate_uscc, ids.nationality):
        with contextlib.suppress(InvalidInput):
            call(raw)
    ids.mask(raw)
    ids.is_valid(raw)


@FAST
@given(
    region=st.sampled_from(REGIONS),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    seq=st.integers(0, 999),
)
def test_valid_numbers_round_trip(region: str, born: date, seq: int) -> None:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    number = first17 + ids.ric_check_digit(first17)
    got = ids.parse(number.lower())
    assert (got.number, got.birth_date, got.doc_type) == (number, born, ids.DocType.RESIDENT)
    assert got.gender == ("1" if seq % 2 else "2")
    assert ids.parse(" ".join(number)).number == number
    assert (
        ids.parse(number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))) == got
    )
    if born.year < 2000 and born.year >= 1900:
        legacy = f"{region}{born:%y%m%d}{seq:03d}"
        assert ids.upgrade15(legacy) == number
        assert ids.parse(legacy).number == number


@FAST
@given(
    first=st.sampled_from(USCC_ALPHABET),
    second=st.sampled_from(USCC_ALPHABET),
    region=st.from_regex(r"[0-9]{6}", fullmatch=True),
    rest=st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)
def test_valid_credit_codes_round_trip(first: str, second: str, region: str, rest: str) -> None:
    from stdnum.cn import uscc

    body = first + second + region + rest
    code = body + uscc.calc_check_digit(body)
    assert ids.validate_uscc(code.lower()) == code


CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["=1+1", "'; DROP TABLE persons;--", "%", "_", "\\", "0000-00-00", "2026-02-30"]
    ),
)


@FAST
@given(data=st.binary(max_size=300), kind=st.sampled_from(csvfiles.KINDS))
def test_reading_bytes_only_refuses_with_csv_error(data: bytes, kind: str) -> None:
    try:
        text, _ = csvfiles.decode(data)
        _, rows = csvfiles.read_rows(text, kind)
    except csvfiles.CsvError:
        return
    for row in rows:
        with contextlib.suppress(csvfiles.CsvError):
            csvfiles.check_row(kind, row)


@pytest.fixture(scope="module")
def fuzz_db(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kind=st.sampled_from(csvfiles.KINDS),
    cells=st.lists(st.lists(CELL, min_size=1, max_size=6), min_size=1, max_size=4),
)
def test_importing_rows_never_raises(fuzz_db, kind: str, cells: list[list[str]]) -> None:
    header = list(csvfiles.REQUIRED[kind]) + ["birth_date", "capacity", "headcount"][:1]
    text = "\n".join(
        ",".join(csvfiles.neutralise(c).replace(",", "，") for c in row) for row in cells
    )
    before = table_counts(fuzz_db)
    try:
        _, rows = csvfiles.read_rows(",".join(header) + "\n" + text, kind)
    except csvfiles.CsvError:
        return
    sessions = session_factory(fuzz_db)
    ctx = Context(actor="fuzz", terminal="fuzz")
    with sessions.begin() as session:
        outcome = csvimport.import_rows(session, ctx, kind, rows)
        assert outcome.imported + len(outcome.rejected) == len(rows)
        session.rollback()
    assert table_counts(fuzz_db) == before
