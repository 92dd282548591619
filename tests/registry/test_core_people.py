"""Registering persons from a card read or typed data."""

from datetime import date

import pytest
from dbtools import table_counts
from sqlalchemy import select

from registry.db.models import Document, Event, Person
from registry.errors import InvalidInput, InvalidNumber, Refused
from registry.people import find, registration
from tests.registry.city import CITY, build, card, rid, typed


def test_register_from_card_keeps_photo_hash_and_chip_data(sf, ctx):
    build(sf, ctx)
    number = rid("110105", "19900101", "001")
    with sf.begin() as s:
        reg = registration.register_person(s, ctx, card(number, "张三"), city=CITY)
        assert reg.created and reg.capture == "chip"
    with sf() as s:
        person = s.scalar(select(Person))
        assert (person.name, person.gender, person.category) == ("张三", "1", "floating")
        assert person.name_initials == "|zs|"
        doc = s.scalar(select(Document))
        assert doc.photo_sha256 and len(doc.photo or b"") == 1024
        assert doc.card_name == "张三" and doc.capture == "chip"
        event = s.scalar(select(Event).where(Event.action == "person.registered"))
        assert event.actor == "tester" and event.terminal == "test-desk"
        assert number not in str(event.detail)  # never the full number in the journal


def test_local_person_is_categorised_local(sf, ctx):
    build(sf, ctx)
    with sf.begin() as s:
        reg = registration.register_person(s, ctx, typed(rid("440304"), "李四"), city=CITY)
        assert reg.person.category == "local"


def test_second_read_identifies_the_same_person(sf, ctx):
    build(sf, ctx)
    number = rid()
    with sf.begin() as s:
        registration.register_person(s, ctx, card(number), city=CITY)
    with sf.begin() as s:
        again = registration.register_person(s, ctx, card(number), city=CITY)
        assert not again.created
        assert len(s.scalars(select(Person)).all()) == 1


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        (typed("110105199001010011"), "check character"),
        (typed(rid(), gender="2"), "gender"),
        (typed(rid(), birth_date=date(1990, 1, 2)), "birth date"),
        (typed(rid(), name=" "), "name"),
        (typed(rid(), ethnicity="99"), "ethnicity"),
        (typed("E1234567", doc_type="passport"), "nationality"),
    ],
)
def test_bad_identity_refused_and_nothing_changes(engine, sf, ctx, identity, message):
    build(sf, ctx)
    before = table_counts(engine)
    with pytest.raises((InvalidInput, InvalidNumber), match=message), sf.begin() as s:
        registration.register_person(s, ctx, identity, city=CITY)
    assert table_counts(engine) == before


def test_typed_name_must_match_the_registry(engine, sf, ctx):
    build(sf, ctx)
    number = rid()
    with sf.begin() as s:
        registration.register_person(s, ctx, typed(number, "张三"), city=CITY)
    before = table_counts(engine)
    with pytest.raises(Refused, match="another name"), sf.begin() as s:
        registration.register_person(s, ctx, typed(number, "张山"), city=CITY)
    assert table_counts(engine) == before


def test_foreign_and_hmt_categories(sf, ctx):
    build(sf, ctx)
    with sf.begin() as s:
        hmt = registration.register_person(
            s, ctx, typed(rid("810000", "19940823", "002"), "陈大文")
        )
        foreign = registration.register_person(
            s, ctx, typed("E12345678", "JOHN SMITH", doc_type="passport", nationality="usa")
        )
        assert hmt.person.category == "hmt"
        assert foreign.person.category == "foreign" and foreign.person.nationality == "USA"


def test_find_person_masks_in_message(sf, ctx):
    build(sf, ctx)
    with pytest.raises(Exception, match=r"110105\*+") as info, sf() as s:
        find.find_person(s, rid())
    assert rid() not in str(info.value)
