"""Many check-ins in one transaction: one statement per table, the same outcome as one by one."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from dbtools import statements, table_counts
from sqlalchemy import func, select

from registry.db.models import Event, Finding, Person, Stay
from registry.errors import InvalidInput, Refused
from registry.movements import stays
from registry.movements.stays import Arrival
from tests.registry.city import build, card, rid, typed


def arrivals(hotel: str, n: int, start: int = 100) -> list[Arrival]:
    rooms = ("101", "102", "201")
    return [
        Arrival(hotel, rooms[i % 3], [typed(rid(seq=f"{start + i:03d}"), f"旅客{i}")])
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [3, 30])
def test_a_batch_costs_one_insert_per_table_whatever_its_size(sf, ctx, engine, n):
    city = build(sf, ctx)
    with statements(engine) as sent, sf.begin() as s:
        done = stays.check_in_many(s, ctx, arrivals(city.hotel, n))
    assert [len(d.stays) for d in done] == [1] * n
    # Tables INSERTed into, a CTE's included (PostgreSQL writes the events with the audit's).
    seen = Counter(t for q in sent for t in re.findall(r"INSERT INTO (\w+)", q))
    assert {t: seen[t] for t in ("persons", "documents", "stays", "events")} == {
        "persons": 1, "documents": 1, "stays": 1, "events": 1,
    }
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Stay)) == n
        assert s.scalar(select(func.count()).where(Event.action == "stay.checked_in")) == n


def test_known_and_new_guests_parties_and_findings_land_on_their_arrival(sf, ctx):
    city = build(sf, ctx)
    known = rid(seq="001")
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel2, "1", [card(known, "张三")])
    batch = [
        Arrival(city.hotel, "101", [typed(rid(seq="002"), "李梅"), typed(rid(seq="003"), "王五")]),
        Arrival(city.hotel, "102", [card(known, "张三")]),  # still at the other hotel
    ]
    with sf.begin() as s:
        first, second = stays.check_in_many(s, ctx, batch)
        assert [g.created for g in first.guests] == [True, True]
        assert first.stays[0].party_id == first.stays[1].party_id != second.stays[0].party_id
        assert not second.guests[0].created
        assert [f.code for f in second.findings] == ["PC-TWO-PLACES"]
        assert "PC-TWO-PLACES" not in [f.code for f in first.findings]
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 3
        assert s.scalar(select(func.count()).where(Finding.code == "PC-TWO-PLACES")) == 1


def test_one_guest_in_two_arrivals_of_a_batch_is_two_places_at_once(sf, ctx):
    city = build(sf, ctx)
    guest = rid(seq="004")
    batch = [Arrival(city.hotel, "101", [typed(guest)]), Arrival(city.hotel2, "1", [typed(guest)])]
    with sf.begin() as s:
        done = stays.check_in_many(s, ctx, batch)
        assert [g.created for d in done for g in d.guests] == [True, False]
        assert "PC-TWO-PLACES" in [f.code for d in done for f in d.findings]
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (lambda city: Arrival(city.hotel, "999", [typed(rid(seq="050"))]), InvalidInput,
         "arrival 3 of 3: room '999'"),
        (lambda city: Arrival(city.hotel, "101", [typed(rid(seq="100"), "旅客0")]), Refused,
         "arrival 3 of 3: 旅客0"),  # the first arrival's guest, already in this hotel
        (lambda city: Arrival(city.hotel, "101", []), InvalidInput, "arrival 3 of 3: a check-in"),
    ],
)
def test_a_refused_arrival_is_named_and_nothing_of_the_batch_is_written(
    sf, ctx, engine, bad, error, words
):
    city = build(sf, ctx)
    before = table_counts(engine)
    with pytest.raises(error, match=words), sf.begin() as s:
        stays.check_in_many(s, ctx, [*arrivals(city.hotel, 2), bad(city)])
    assert table_counts(engine) == before


def test_a_single_check_in_keeps_its_plain_message(sf, ctx):
    city = build(sf, ctx)
    with pytest.raises(InvalidInput, match=r"^room '999'"), sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "999", [typed(rid())])


def test_an_arrival_keeps_its_own_instant_clerk_and_terminal(sf, ctx):
    """A replayed arrival (a desk's upload at the station) is registered as of then, by them."""
    from datetime import timedelta

    city = build(sf, ctx)
    earlier = ctx.now() - timedelta(hours=3)
    with sf.begin() as s:
        done = stays.check_in_many(
            s,
            ctx,
            [
                Arrival(city.hotel, "101", [typed(rid(seq="301"), "甲")], at=earlier,
                        clerk="clerk-7", terminal="desk-7"),
                Arrival(city.hotel, "102", [typed(rid(seq="302"), "乙")]),
            ],
        )
        first, second = done[0].stays[0], done[1].stays[0]
        assert (first.checked_in_at, first.registered_by, first.terminal) == (
            earlier, "clerk-7", "desk-7",
        )
        assert first.report_deadline >= earlier and first.reported_at == earlier
        assert done[0].guests[0].person.created_at == earlier
        assert (second.checked_in_at, second.registered_by, second.terminal) == (
            ctx.now(), ctx.actor, ctx.terminal,
        )
