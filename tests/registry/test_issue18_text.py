"""Issue 18 item 11 through the core: a card read (any driver) and typed data meet the same
text validator, on both engines, before the database sees the values."""

from __future__ import annotations

from dataclasses import replace

import pytest
from dbtools import table_counts

from registry.errors import InvalidInput
from registry.identity.ids import mask
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
