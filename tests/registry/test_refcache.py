"""Reference data cached per process and invalidated by the reference version (issue #16)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from dbtools import statements
from sqlalchemy import Uuid, bindparam, text

from registry.db import refcache
from registry.matching import rules
from registry.movements import stays
from registry.places import venues
from tests.registry.city import DISTRICT, build, rid, typed


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    refcache.clear()
    yield
    refcache.clear()


def test_a_second_check_in_reads_no_reference_data(sf, ctx, engine):
    city = build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(rid(seq="401"), "甲")])
    with statements(engine) as seen, sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "102", [typed(rid(seq="402"), "乙")])
    reads = [q for q in seen if q.startswith("SELECT")]
    reference = [q for q in reads if " FROM rooms" in q or " FROM rules" in q]
    assert reference == [], seen
    assert any("reference_version" in q for q in reads)


def test_a_write_elsewhere_invalidates_the_cache(sf, ctx, engine):
    city = build(sf, ctx)
    with sf.begin() as s:
        assert "909" not in venues.venue_rooms(s, venues.venue_by_ref(s, city.hotel).id)
    with sf() as s:
        venue = venues.venue_by_ref(s, city.hotel).id
    insert = text("INSERT INTO rooms (id, venue_id, number) VALUES (:id, :venue, '909')")
    insert = insert.bindparams(bindparam("id", type_=Uuid), bindparam("venue", type_=Uuid))
    with engine.begin() as conn:  # another writer, not even through the registry
        conn.execute(insert, {"id": uuid.uuid4(), "venue": venue})
    with sf.begin() as s:
        assert "909" in venues.venue_rooms(s, venue)


def test_a_rolled_back_rule_never_reaches_the_cache(sf, ctx):
    build(sf, ctx)
    day = ctx.today()
    with sf.begin() as s:
        before = rules.effective(s, DISTRICT, day).domestic_alert_minutes
    with pytest.raises(RuntimeError), sf.begin() as s:
        rules.set_rule(s, ctx, DISTRICT, "domestic_alert_minutes", before + 5)
        assert rules.effective(s, DISTRICT, day).domestic_alert_minutes == before + 5
        raise RuntimeError("the coordinator changes their mind")
    with sf.begin() as s:
        assert rules.effective(s, DISTRICT, day).domestic_alert_minutes == before


def test_a_committed_rule_is_seen_at_once(sf, ctx):
    build(sf, ctx)
    day = ctx.today()
    with sf.begin() as s:
        before = rules.effective(s, DISTRICT, day).domestic_alert_minutes
    with sf.begin() as s:
        rules.set_rule(s, ctx, DISTRICT, "domestic_alert_minutes", before + 7)
    with sf.begin() as s:
        assert rules.effective(s, DISTRICT, day).domestic_alert_minutes == before + 7
