"""Merging places across jurisdictions: moved rows take the survivor's jurisdiction, the
duplicate's findings go with it, refusals change nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from registry.db.models import Event, Finding, Residence, Stay, Venue
from registry.errors import InvalidInput, Refused
from registry.movements import residences, stays
from registry.places import merging, venues
from tests.registry.city import GRID, build, rid, typed


def test_merged_rows_take_the_survivors_jurisdiction(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel2, "1", [typed(rid(seq="031"), "张三")])
        residences.move_in(s, ctx, city.house2, typed(rid(seq="032"), "李四"))
    # the duplicates are of another station: merged only when the user says so
    with pytest.raises(Refused, match="different jurisdictions"), sf.begin() as s:
        merging.merge_venues(s, ctx, city.hotel, city.hotel2)
    with pytest.raises(Refused, match="different jurisdictions"), sf.begin() as s:
        merging.merge_houses(s, ctx, city.house, city.house2)
    with sf.begin() as s:
        venues.update_venue(s, ctx, city.hotel, add_rooms=["1"])
        done = merging.merge_venues(s, ctx, city.hotel, city.hotel2, across=True)
        assert done.moved["stays"] == 1
        merged = merging.merge_houses(s, ctx, city.house, city.house2, across=True)
        assert merged.moved["residences"] == 1
    with sf() as s:
        assert [st.jurisdiction_code for st in s.scalars(select(Stay))] == [GRID]
        assert {r.jurisdiction_code for r in s.scalars(select(Residence))} == {GRID}
        assert s.scalar(select(Venue).where(Venue.name == "华富宾馆")) is None
        open_about_gone = s.scalars(
            select(Finding.code).where(
                Finding.subject_id == uuid.UUID(city.house2),
                Finding.resolved_at.is_(None),
            )
        ).all()
        assert open_about_gone == []
        actions = set(s.scalars(select(Event.action).where(Event.action.like("%.merged%"))))
        assert actions == {"venue.merged", "venue.merged_away", "house.merged", "house.merged_away"}


def test_merge_refuses_itself_and_other_kinds(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        agency = venues.add_venue(s, ctx, "安居中介", "intermediary", GRID)
        agency_id = str(agency.id)
    for keep, gone in ((city.hotel, city.hotel), (city.hotel, agency_id)):
        with pytest.raises(InvalidInput), sf.begin() as s:
            merging.merge_venues(s, ctx, keep, gone)
    with sf() as s:
        assert len(s.scalars(select(Venue)).all()) == 3
