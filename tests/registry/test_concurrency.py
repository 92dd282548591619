"""Two desks checking the same documents in at the same moment, in real processes.

Each round starts two processes that wait on a barrier and then check the same guest in at two
different hotels, each on its own connection. Exactly one check-in must come back clean and the
other with PC-TWO-PLACES; one person and one open finding at the end, never a crash on the
unique number (PostgreSQL: the document lock) nor "database is locked" (SQLite: a check-in
begins as the writer). Rounds alternate a first-time guest and a guest already registered.
Batches sharing guests take their locks in one order, so they wait for each other instead of
deadlocking.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Finding, Person, Stay
from registry.movements import stays
from registry.movements.stays import Arrival
from registry.people.registration import register
from registry.places.venues import resolve_venue
from tests.registry.city import build, rid, typed

ROUNDS = 4


def _desk(url: str, hotel: str, numbers: list[str], barrier: Any, out: Any) -> None:
    engine = make_engine(url)
    sf = session_factory(engine)
    ctx = Context(actor=f"desk-{hotel[:8]}", terminal="race")
    barrier.wait(timeout=30)
    try:
        with sf.begin() as s:
            done = stays.check_in_many(s, ctx, [Arrival(hotel, "101", [typed(n)]) for n in numbers])
            out.put(("ok", sorted(f.code for d in done for f in d.findings)))
    except Exception as exc:  # reported to the test, which fails with it
        out.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        engine.dispose()


def _race(db_url: str, city: Any, numbers: tuple[list[str], list[str]]) -> list[Any]:
    """Both hotels' desks check their guests in at once; what each got back."""
    mp_ctx = mp.get_context("spawn")
    barrier, out = mp_ctx.Barrier(2), mp_ctx.Queue()
    desks = [
        mp_ctx.Process(target=_desk, args=(db_url, hotel, guests, barrier, out))
        for hotel, guests in zip((city.hotel, city.hotel2), numbers, strict=True)
    ]
    for p in desks:
        p.start()
    results = [out.get(timeout=60) for _ in desks]
    for p in desks:
        p.join(timeout=30)
    assert all(kind == "ok" for kind, _ in results), results
    return results


def test_same_document_at_two_desks_at_once(db_url, sf, ctx):
    city = build(sf, ctx)
    for n in range(ROUNDS):
        number = rid(seq=f"{n + 1:03d}")
        if n % 2:
            with sf.begin() as s:
                register(s, ctx, typed(number))
        results = _race(db_url, city, ([number], [number]))
        codes = sorted(tuple(c for c in found if c == "PC-TWO-PLACES") for _, found in results)
        assert codes == [(), ("PC-TWO-PLACES",)], results
        with sf() as s:
            key = select(Person.id).where(Person.number == number).scalar_subquery()
            assert s.scalar(select(func.count()).where(Person.number == number)) == 1
            assert s.scalar(select(func.count()).where(Stay.person_id == key)) == 2
            two = select(func.count()).where(
                Finding.person_id == key,
                Finding.code == "PC-TWO-PLACES",
                Finding.resolved_at.is_(None),
            )
            assert s.scalar(two) == 1


def test_batches_sharing_guests_at_two_desks_at_once(db_url, sf, ctx):
    city = build(sf, ctx)
    shared = [rid(seq=f"{n:03d}") for n in range(100, 105)]
    own = [[rid(seq=f"{n:03d}") for n in range(base, base + 10)] for base in (200, 300)]
    # Opposite orders: without one lock order the two would deadlock on PostgreSQL.
    results = _race(db_url, city, (own[0] + shared, shared[::-1] + own[1]))
    two = sorted(found.count("PC-TWO-PLACES") for _, found in results)
    assert sum(two) == len(shared)
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 25
        assert s.scalar(select(func.count()).select_from(Stay)) == 30


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_desk_that_read_first_waits_for_the_other_writer_instead_of_failing(db_url, sf, ctx):
    """SQLite: a transaction that read, then writes after another connection wrote, used to
    fail at once with "database is locked"; begun IMMEDIATE, the other one waits for it."""
    city = build(sf, ctx)
    errors: list[BaseException] = []

    def other_desk() -> None:
        try:
            with sf.begin() as s:
                stays.check_in(s, ctx, city.hotel2, "1", [typed(rid(seq="901"))])
        except BaseException as exc:  # reported to the test
            errors.append(exc)

    with sf.begin() as first:
        resolve_venue(first, city.hotel)  # this transaction reads first
        other = threading.Thread(target=other_desk)
        other.start()
        time.sleep(0.3)  # the other desk would commit here, were it not made to wait
        stays.check_in(first, ctx, city.hotel, "101", [typed(rid(seq="900"))])
    other.join(timeout=10)
    assert errors == []
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Stay)) == 2
