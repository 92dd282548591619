"""Roles and scopes enforced by the core: in scope works, out of scope is refused and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.accounts import users
from registry.context import Context, Principal
from registry.db.access_models import AuditEntry
from registry.db.models import Venue
from registry.lookup import records
from registry.movements import residences, stays
from registry.people import find
from registry.places import houses, jurisdictions, venues
from registry.privacy import access
from registry.privacy.access import OutOfScope
from tests.registry.city import GRID, OTHER_STATION, STATION, build, rid, typed


def as_user(sf, ctx: Context, login: str, role: str, **scope: str) -> Context:
    """Register a user (as the system) and return a context acting as that user."""
    with sf.begin() as s:
        users.add_user(s, ctx, login, role, **scope)
    with sf() as s:
        principal = access.load(s, login)
    assert principal is not None
    return ctx.acting_as(principal)


def refusals(sf) -> list[str]:
    with sf() as s:
        return list(s.scalars(select(AuditEntry.action).where(AuditEntry.kind == "refused")))


def test_desk_sees_only_its_own_venue_and_guests(sf, ctx):
    city = build(sf, ctx)
    a, b = rid(seq="001"), rid(seq="002")
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(a, "张三")])
        residences.move_in(s, ctx, city.house, typed(b, "李梅"))
    desk = as_user(sf, ctx, "desk1", "desk", venue=city.hotel)
    with sf.begin() as s:
        access.bind(s, desk)
        assert venues.resolve_venue(s, city.hotel).name == "百花旅馆"
        assert [p.name for _, p in records.guests_now(s, desk, city.hotel)] == ["张三"]
        assert find.find_person(s, a).name == "张三"
    with sf.begin() as s:
        access.bind(s, desk)
        assert [v.name for v, _ in venues.list_venues(s)] == ["百花旅馆"]  # its own only
    with pytest.raises(OutOfScope), sf.begin() as s:
        access.bind(s, desk)
        venues.resolve_venue(s, city.hotel2)
    with pytest.raises(OutOfScope), sf.begin() as s:
        records.guests_now(s, desk, "华富宾馆")
    with pytest.raises(OutOfScope), sf.begin() as s:
        houses.add_house(s, desk, "某路1号", GRID)
    # Refused twice and rolled back, yet both refusals are in the audit log.
    assert refusals(sf) == ["refused.venue", "refused.venue", "refused.role"]


def test_desk_checks_in_at_its_venue_only(sf, ctx):
    city = build(sf, ctx)
    desk = as_user(sf, ctx, "desk1", "desk", venue=city.hotel)
    with sf.begin() as s:
        stays.check_in(s, desk, city.hotel, "101", [typed(rid(seq="003"), "王五")])
    with pytest.raises(OutOfScope), sf.begin() as s:
        access.bind(s, desk)
        stays.check_in(s, desk, city.hotel2, "1", [typed(rid(seq="004"), "赵六")])
    with sf.begin() as s:
        access.bind(s, desk)
        stays.check_out(s, desk, city.hotel, number=rid(seq="003"))
    # After check-out the guest is no longer the desk's to see.
    with pytest.raises(OutOfScope), sf.begin() as s:
        access.bind(s, desk)
        find.find_person(s, rid(seq="003"))


def test_coordinator_is_held_to_its_subtree(sf, ctx):
    city = build(sf, ctx)
    inside, outside = rid(seq="011"), rid(seq="012")
    with sf.begin() as s:
        residences.move_in(s, ctx, city.house, typed(inside, "张三"))
        residences.move_in(s, ctx, city.house2, typed(outside, "李四"))
    coord = as_user(sf, ctx, "coord", "coordinator", jurisdiction=STATION)
    with sf.begin() as s:
        assert records.read_person(s, coord, inside).name == "张三"
        assert houses.resolve_house(s, city.house).address.startswith("百花")
        houses.add_house(s, coord, "百花二路5号", GRID)
    for attempt in (
        lambda s: records.read_person(s, coord, outside),
        lambda s: houses.resolve_house(s, city.house2),
        lambda s: houses.add_house(s, coord, "华富路1号", OTHER_STATION),
        lambda s: jurisdictions.add_jurisdiction(s, coord, "X1", "某市", "city"),
    ):
        with pytest.raises(OutOfScope), sf.begin() as s:
            access.bind(s, coord)
            attempt(s)
    assert len(refusals(sf)) == 4
    with sf.begin() as s:
        access.bind(s, coord)
        listed = {v.jurisdiction_code for v, _ in venues.list_venues(s)}
        assert listed and OTHER_STATION not in listed  # a list shows the subtree's venues only
    with sf.begin() as s:
        found = records.screen(
            s,
            coord,
            [find.person_by_number(s, inside), find.person_by_number(s, outside)],
            "test.list",
        )
        assert [p.name for p in found] == ["张三"]


def test_intermediary_manages_its_houses_and_analyst_sees_no_one(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        agency = venues.add_venue(s, ctx, "安居中介", "intermediary", GRID)
    agent = as_user(sf, ctx, "agent", "intermediary", venue=str(agency.id))
    with sf.begin() as s:
        own = houses.add_house(s, agent, "百花三路1号", GRID)
        residences.move_in(s, agent, str(own.id), typed(rid(seq="021"), "孙七"))
    with pytest.raises(OutOfScope), sf.begin() as s:
        residences.move_in(s, agent, city.house, typed(rid(seq="022"), "周八"))
    analyst = as_user(sf, ctx, "ana", "analyst")
    with pytest.raises(OutOfScope), sf.begin() as s:
        records.read_person(s, analyst, rid(seq="021"))
    with pytest.raises(OutOfScope), sf.begin() as s:
        records.read_person(s, analyst, rid(seq="021"), reveal_reason="想看")
    with sf.begin() as s:
        assert records.read_person(s, agent, rid(seq="021"), reveal_reason="租约核对").name


def test_unbound_sessions_act_as_the_system(sf, ctx):
    city = build(sf, ctx)
    assert ctx.principal.unrestricted
    with sf() as s:
        assert access.acting(s).principal.role == "system"
        assert isinstance(venues.resolve_venue(s, city.hotel2), Venue)


def test_admin_manages_users_others_may_not(sf, ctx):
    build(sf, ctx)
    coord = as_user(sf, ctx, "coord", "coordinator", jurisdiction=STATION)
    with pytest.raises(OutOfScope), sf.begin() as s:
        users.add_user(s, coord, "x", "admin")
    admin = as_user(sf, ctx, "boss", "admin")
    with sf.begin() as s:
        users.disable_user(s, admin, "coord")
    with sf() as s:
        assert access.load(s, "coord") is None
        with pytest.raises(Exception, match="not a registry user"):
            access.principal_for(s, "coord")
        assert access.principal_for(s, "boss") == Principal("boss", "admin")
