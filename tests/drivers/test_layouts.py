"""Card text layouts (protocol doc §2): flag at byte 248, 长期, code tables, round trips."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.emulator.deck import deck_from_json, deck_to_json, default_deck, load_deck
from drivers.errors import BadLayout, ReaderError
from drivers.layouts import decode_text, doc_type_of, encode_text
from registry.identity import codes
from registry.identity.ids import DocType, parse


def _text(**fields: tuple[int, str]) -> bytes:
    buffer = bytearray(" ".encode("utf-16-le") * 128)
    for start, value in fields.values():
        raw = value.encode("utf-16-le")
        buffer[start:start + len(raw)] = raw
    return bytes(buffer)


RESIDENT = _text(name=(0, "张三"), gender=(30, "1"), eth=(32, "01"), birth=(36, "19491231"),
                 addr=(52, "北京市东城区"), number=(122, "11010519491231002X"),
                 issuer=(158, "北京市公安局东城分局"), start=(188, "20100101"), end=(204, "长期"))


def test_resident_card_with_long_term_validity():
    card = decode_text(RESIDENT)
    assert card.doc_type is DocType.RESIDENT
    assert (card.name, card.gender, card.ethnicity) == ("张三", "1", "01")
    assert card.birth_date == date(1949, 12, 31)
    assert card.number == "11010519491231002X"
    assert card.valid_from == date(2010, 1, 1) and card.valid_to is None and card.long_term
    assert RESIDENT[204:208] == bytes.fromhex("7F951F67")
    assert encode_text(card) == RESIDENT


def test_zero_filled_reserved_area_is_still_a_resident_card():
    zeroed = RESIDENT[:220] + bytes(36)
    assert doc_type_of(zeroed) is DocType.RESIDENT
    assert decode_text(zeroed).name == "张三"


def test_2023_card_is_not_read_as_a_resident_card():
    """The 2023 layout reuses resident offsets: branch on byte 248 first (doc §2.5)."""
    text = _text(name=(0, "艾莎"), gender=(30, "2"), renewal=(32, "01"), birth=(36, "19800101"),
                 en1=(52, "KHAN, AISHA MARIAM ABDULLAH BINTE R"),
                 number=(122, "931586198001010028"),
                 start=(188, "20240110"), end=(204, "20340110"), en2=(220, "AHMAN"),
                 nat=(242, "PAK"), flag=(248, "Y"), link=(250, "015"))
    card = decode_text(text)
    assert card.doc_type is DocType.FOREIGN_2023
    assert card.ethnicity is None and card.address is None
    assert card.english_name == "KHAN, AISHA MARIAM ABDULLAH BINTE RAHMAN"
    assert card.nationality == "PAK"
    assert dict(card.extras) == {"renewal_count": "01", "previous_link": "015"}
    # A space exactly at the split between the two English-name fields survives.
    spaced = replace(card, english_name="KHAN, AISHA MARIAM ABDULLAH BINTEH RAHMAN")
    assert decode_text(encode_text(spaced)).english_name == spaced.english_name


def test_2017_card_without_chinese_name_uses_the_english_name():
    text = _text(en=(0, "SMITH, JOHN"), gender=(120, "1"), number=(122, "USA310182061515"),
                 nat=(152, "USA"), start=(188, "20180701"), end=(204, "20280701"),
                 birth=(220, "19820615"), ver=(236, "01"), auth=(240, "3100"), flag=(248, "I"))
    card = decode_text(text)
    assert card.doc_type is DocType.FOREIGN_2017
    assert card.name == card.english_name == "SMITH, JOHN"
    assert card.birth_date == date(1982, 6, 15)
    assert dict(card.extras) == {"card_version": "01", "authority_code": "3100"}


def test_hmt_permit_fields():
    text = _text(name=(0, "陈家乐"), gender=(30, "1"), birth=(36, "19850921"),
                 number=(122, "810000198509210131"), start=(188, "20241001"),
                 end=(204, "20291001"), pass_no=(220, "H60012345"), count=(238, "01"),
                 flag=(248, "J"))
    card = decode_text(text)
    assert card.doc_type is DocType.HMT_PERMIT and card.ethnicity is None
    assert dict(card.extras) == {"pass_number": "H60012345", "issue_count": "01"}


def test_every_deck_card_round_trips_and_is_a_valid_synthetic_number():
    deck = default_deck()
    assert {entry.card.doc_type for entry in deck} == {
        DocType.RESIDENT, DocType.HMT_PERMIT, DocType.FOREIGN_2017, DocType.FOREIGN_2023}
    assert any(entry.card.long_term for entry in deck)
    assert any(entry.card.expired_on(date(2026, 1, 1)) for entry in deck)
    assert {"97", "98"} <= {entry.card.ethnicity for entry in deck}
    for entry in deck:
        card = entry.card
        number = parse(card.number, card.doc_type)
        assert number.warnings == () and number.birth_date == card.birth_date
        assert number.gender == card.gender
        decoded = decode_text(encode_text(card), photo=card.photo,
                              fingerprints=card.fingerprints, chip_serial=card.chip_serial)
        assert decoded == card
        assert len(card.photo or b"") == 1024
    assert deck_from_json(deck_to_json(deck)) == deck


def test_deck_json_file(tmp_path):
    path = tmp_path / "deck.json"
    path.write_text(deck_to_json(default_deck()[:2]), encoding="utf-8")
    assert load_deck(path) == default_deck()[:2]
    assert load_deck(None) == default_deck()


def test_code_tables_include_97_and_98():
    assert codes.ethnicity_name("97") == "其他"
    assert codes.ethnicity_name("98") == "外国血统中国籍人士"
    assert codes.gender_name("9") == "未说明"


@pytest.mark.parametrize("bad", ["2010013", "20101301", "长期"])
def test_bad_dates_are_layout_errors(bad):
    text = RESIDENT[:36] + bad.ljust(8).encode("utf-16-le") + RESIDENT[52:]
    with pytest.raises(BadLayout):
        decode_text(text)


@given(st.binary(min_size=256, max_size=256))
def test_fuzz_text_decoding_raises_only_typed_errors(data):
    with contextlib.suppress(ReaderError):
        decode_text(data)
