"""Issue 18 item 11 through the core: a card read (any driver) and typed data meet the same
text validator, on both engines, before the database sees the values."""

from __future__ import annotations

from dataclasses import replace

import pytest
from dbtools import table_counts

from registry.errors import InvalidInput
from registry.identity.ids import mask
from registry.identity.text import problem, shown
from registry.messages import phrase
from registry.people import registration
from tests.registry.city import CITY, build, card, rid, typed


@pytest.mark.parametrize(
    ("change", "label"),
    [
        ({"name": "张\u202e三"}, "姓名"),
        ({"address": "北京市\x07朝阳区"}, "户籍地址"),
        ({"address": "北京市\n朝阳区"}, "户籍地址"),
        ({"address": "路" * 201}, "户籍地址"),
        ({"issuer": "北京市公安局\u2067朝阳分局"}, "签发机关"),
    ],
)
def test_a_card_read_with_a_bad_field_is_refused(sf, ctx, engine, change, label) -> None:
    build(sf, ctx)
    number = rid("110105", "19900101", "001")
    read = replace(card(number, "张三"), **change)
    before = table_counts(engine)
    with pytest.raises(InvalidInput) as caught, sf.begin() as s:
        registration.register_person(s, ctx, read, city=CITY)
    worded = phrase(str(caught.value))
    assert worded.startswith(label) and number not in worded
    assert table_counts(engine) == before


def test_typed_phone_over_its_column_is_refused_before_the_database(sf, ctx, engine) -> None:
    build(sf, ctx)
    number = rid("110105", "19900101", "001")
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match="phone is longer than 32") as caught, sf.begin() as s:
        registration.register_person(s, ctx, typed(number, phone="1" * 33), city=CITY)
    assert number not in str(caught.value) and mask(number) not in str(caught.value)
    assert table_counts(engine) == before


@pytest.mark.parametrize(
    "char", ["\u2028", "\u2029", "\u3164", "\u115f", "\u2800", "\u034f", "\ufffc"]
)
def test_separators_and_lookalike_blanks_are_refused(sf, ctx, engine, char) -> None:
    """U+2028/U+2029 break a line on any Unicode-aware display; the blanks make two names
    look alike. Refused in a name and an address, escaped when shown."""
    assert problem(f"张{char}三") == f"U+{ord(char):04X}"
    assert char not in shown(f"张{char}三")
    build(sf, ctx)
    number = rid("110105", "19900101", "001")
    before = table_counts(engine)
    for change, label in (
        ({"name": f"张{char}三"}, "姓名"),
        ({"address": f"湖南路{char}1号"}, "户籍地址"),
    ):
        read = replace(card(number, "张三"), **change)
        with pytest.raises(InvalidInput) as caught, sf.begin() as s:
            registration.register_person(s, ctx, read, city=CITY)
        assert phrase(str(caught.value)).startswith(label)
    assert table_counts(engine) == before
