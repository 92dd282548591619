"""Two desks checking the same document in at the same moment, on PostgreSQL, in real processes.

Each round starts two processes that wait on a barrier and then check the same guest in at two
different hotels, each on its own connection. Exactly one check-in must come back clean and the
other with PC-TWO-PLACES; one person and one open finding at the end, never a crash on the
unique number. Rounds alternate a first-time guest and a guest already registered.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

import pytest
from sqlalchemy import func, select

from registry import stays
from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Finding, Person, Stay
from registry.people import register
from tests.registry.city import build, rid, typed

ROUNDS = 4


def _desk(url: str, hotel: str, number: str, barrier: Any, out: Any) -> None:
    engine = make_engine(url)
    sf = session_factory(engine)
    ctx = Context(actor=f"desk-{hotel[:8]}", terminal="race")
    barrier.wait(timeout=30)
    try:
        with sf.begin() as s:
            result = stays.check_in(s, ctx, hotel, "101", [typed(number, "王五")])
            out.put(("ok", sorted(f.code for f in result.findings)))
    except Exception as exc:  # reported to the test, which fails with it
        out.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_same_document_at_two_desks_at_once(db_url, sf, ctx):
    city = build(sf, ctx)
    mp_ctx = mp.get_context("spawn")
    for n in range(ROUNDS):
        number = rid(seq=f"{n + 1:03d}")
        if n % 2:
            with sf.begin() as s:
                register(s, ctx, typed(number, "王五"))
        barrier, out = mp_ctx.Barrier(2), mp_ctx.Queue()
        desks = [
            mp_ctx.Process(target=_desk, args=(db_url, hotel, number, barrier, out))
            for hotel in (city.hotel, city.hotel2)
        ]
        for p in desks:
            p.start()
        results = [out.get(timeout=60) for _ in desks]
        for p in desks:
            p.join(timeout=30)
        assert all(kind == "ok" for kind, _ in results), results
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
