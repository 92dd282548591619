"""Stays, residences and employments: valid-time intervals, events and refusals."""

from datetime import UTC, date, datetime, timedelta

import pytest
from dbtools import table_counts
from sqlalchemy import func, select

from registry.db.models import Event, Stay
from registry.errors import InvalidInput, NotFound, Refused
from registry.lookup import records
from registry.movements import employment, residences, stays
from registry.people import find
from registry.places import houses, venues
from tests.registry.city import build, card, rid, typed


def test_check_in_party_and_check_out_by_room(sf, ctx):
    city = build(sf, ctx)
    a, b = rid(seq="001"), rid(seq="002")
    with sf.begin() as s:
        result = stays.check_in(s, ctx, "百花旅馆", "101", [card(a, "张三"), typed(b, "李梅")])
        assert len(result.stays) == 2
        assert result.stays[0].party_id == result.stays[1].party_id
        assert {st.capture for st in result.stays} == {"chip", "manual"}
    later = ctx.at(ctx.now() + timedelta(hours=20))
    with sf.begin() as s:
        out = stays.check_out(s, later, city.hotel, room="101")
        assert len(out.stays) == 2
    with sf() as s:
        assert s.scalar(select(func.count()).where(Stay.checked_out_at.is_(None))) == 0
        actions = s.scalars(select(Event.action).order_by(Event.occurred_at)).all()
        assert actions.count("stay.checked_in") == 2 and actions.count("stay.checked_out") == 2


def test_check_out_one_guest_by_id(sf, ctx):
    build(sf, ctx)
    a, b = rid(seq="001"), rid(seq="002")
    with sf.begin() as s:
        stays.check_in(s, ctx, "百花旅馆", "101", [typed(a, "张三"), typed(b, "李梅")])
    with sf.begin() as s:
        out = stays.check_out(s, ctx, "百花旅馆", number=b)
        assert len(out.stays) == 1
    with sf() as s:
        assert s.scalar(select(func.count()).where(Stay.checked_out_at.is_(None))) == 1


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s, c, city: stays.check_out(s, c, "百花旅馆", number=rid(seq="009")),
         NotFound, "no person"),
        (lambda s, c, city: stays.check_out(s, c, "百花旅馆", room="201"), NotFound, "nobody"),
        (lambda s, c, city: stays.check_in(s, c, "百花旅馆", "999", [typed(rid())]),
         InvalidInput, "not a room"),
        (lambda s, c, city: stays.check_in(s, c, "无此旅馆", "1", [typed(rid())]), NotFound,
         "not registered"),
        (lambda s, c, city: residences.move_in(s, c, "无此房屋", typed(rid())), NotFound,
         "not registered"),
        (lambda s, c, city: residences.move_out(s, c, city.house, rid(seq="003")), NotFound,
         "does not live"),
        (lambda s, c, city: residences.move_in(s, c, city.house, typed(rid()),
                                               on=date(2026, 6, 16)), InvalidInput, "future"),
        (lambda s, c, city: residences.move_in(s, c, city.house, typed("110105199001010011")),
         InvalidInput, "check character"),
        (lambda s, c, city: employment.end_job(s, c, city.employer, rid(seq="003")), NotFound,
         "does not work"),
        (lambda s, c, city: employment.start_job(s, c, "无名公司", rid(seq="003")), NotFound,
         "not registered"),
    ],
)
def test_refusals_change_nothing(engine, sf, ctx, call, error, message):
    city = build(sf, ctx)
    with sf.begin() as s:  # someone registered but not checked in / not living there
        residences.move_in(s, ctx, city.house2, typed(rid(seq="003"), "王五"))
    before = table_counts(engine)
    with pytest.raises(error, match=message), sf.begin() as s:
        call(s, ctx, city)
    assert table_counts(engine) == before


def test_checkout_of_someone_not_checked_in_here(engine, sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel2, "8", [typed(rid())])
    before = table_counts(engine)
    with pytest.raises(NotFound, match="not checked in"), sf.begin() as s:
        stays.check_out(s, ctx, city.hotel, number=rid())
    assert table_counts(engine) == before


def test_same_guest_twice_at_one_hotel_refused(engine, sf, ctx):
    build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, "百花旅馆", "101", [typed(rid())])
    before = table_counts(engine)
    with pytest.raises(Refused, match="already checked in"), sf.begin() as s:
        stays.check_in(s, ctx, "百花旅馆", "102", [typed(rid())])
    assert table_counts(engine) == before


def test_overlapping_residence_in_same_house_refused(engine, sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        residences.move_in(s, ctx, city.house, typed(rid()), on=date(2026, 6, 1))
    before = table_counts(engine)
    with pytest.raises(Refused, match="already lives"), sf.begin() as s:
        residences.move_in(s, ctx, city.house, typed(rid()), on=date(2026, 6, 10))
    assert table_counts(engine) == before


def test_move_out_before_move_in_refused(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        residences.move_in(s, ctx, city.house, typed(rid()), on=date(2026, 6, 10))
    with pytest.raises(InvalidInput, match="before the move-in"), sf.begin() as s:
        residences.move_out(s, ctx, city.house, rid(), on=date(2026, 6, 1))


def test_where_did_p_live_and_who_lived_in_h(sf, ctx):
    city = build(sf, ctx)
    a, b = rid(seq="001"), rid(seq="002")
    with sf.begin() as s:
        residences.move_in(s, ctx, city.house, typed(a, "张三"), on=date(2026, 3, 1))
        residences.move_out(s, ctx, city.house, a, on=date(2026, 5, 1), reason="合同到期")
        residences.move_in(s, ctx, city.house2, typed(a, "张三"), on=date(2026, 5, 1))
        residences.move_in(s, ctx, city.house, typed(b, "李梅"), on=date(2026, 5, 2))
    with sf() as s:
        pa = find.find_person(s, a)
        on_march = records.residences_on(s, pa.id, date(2026, 3, 15))
        assert [h.address for _, h in on_march] == ["百花二路3号101"]
        assert [h.address for _, h in records.residences_on(s, pa.id, date(2026, 5, 1))] == [
            "华富路8号2楼"
        ]  # [from, to): the move-out day belongs to the next house
        assert records.residences_on(s, pa.id, date(2026, 2, 28)) == []
        house = houses.resolve_house(s, city.house)
        assert [p.name for _, p in records.residents_on(s, house.id, date(2026, 4, 30))] == ["张三"]
        assert [p.name for _, p in records.residents_on(s, house.id, date(2026, 5, 2))] == ["李梅"]
        assert records.residents_on(s, house.id, date(2026, 5, 1)) == []
        kinds = [line.kind for line in records.history(s, pa.id)]
        assert kinds == ["residence", "residence"]


def test_guests_at_an_instant(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(rid())])
    later = ctx.at(ctx.now() + timedelta(days=1))
    with sf.begin() as s:
        stays.check_out(s, later, city.hotel, room="101")
    with sf() as s:
        venue = venues.resolve_venue(s, city.hotel)
        assert len(records.guests_at(s, venue.id, ctx.now() + timedelta(hours=1))) == 1
        assert records.guests_at(s, venue.id, later.now() + timedelta(hours=1)) == []
        assert records.guests_at(s, venue.id, datetime(2026, 1, 1, tzinfo=UTC)) == []


def test_employment_interval_and_end(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        job = employment.start_job(s, ctx, city.employer, rid(), name="张三",
                                   on=date(2026, 1, 5), post="操作工")
        assert job.employment.valid_to is None
    with sf.begin() as s:
        ended = employment.end_job(s, ctx, "百花电子厂", rid(), on=date(2026, 6, 1))
        assert ended.employment.valid_to == date(2026, 6, 1)
    with pytest.raises(Refused, match="already works"), sf.begin() as s:
        employment.start_job(s, ctx, city.employer, rid(), on=date(2026, 5, 1))
