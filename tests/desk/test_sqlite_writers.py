"""Eight processes writing to one SQLite desk file never fail with "database is locked".

Each process does what a desk does, one short transaction per action (check-in, the guests
now, check-out), as fast as it can; the busy ones wait their turn (``BEGIN IMMEDIATE`` and the
busy timeout of ``registry.db.engine``).
"""

from __future__ import annotations

import multiprocessing
import traceback

from laiqu_helpers import Laiqu, number

PROCESSES = 8
CYCLES = 10


def desk_worker(url: str, venue: str, worker: int, out: multiprocessing.Queue) -> None:
    from registry.context import Context
    from registry.db.engine import make_engine, session_factory
    from registry.lookup.desk import desk_view
    from registry.movements import stays
    from registry.people.registration import TypedIdentity

    errors: list[str] = []
    engine = make_engine(url)
    sessions = session_factory(engine)
    ctx = Context(actor="desk-test", terminal=f"w{worker}")
    room = str(worker + 1)
    try:
        for cycle in range(CYCLES):
            guest = TypedIdentity(number=number("110105", "19900101", worker * 100 + cycle),
                                  name=f"测试{worker}号{cycle}")
            try:
                with sessions.begin() as session:
                    stays.check_in(session, ctx, venue, room, [guest])
                with sessions.begin() as session:
                    desk_view(session, ctx, venue)
                with sessions.begin() as session:
                    stays.check_out(session, ctx, venue, room=room)
            except Exception:
                errors.append(traceback.format_exc(limit=3))
    finally:
        engine.dispose()
        out.put((worker, errors))


def test_eight_processes_one_desk_file(desk_db: str) -> None:
    laiqu = Laiqu(desk_db)
    venue = laiqu.json("venue", "add", "八号旅馆", "--kind", "hotel", "--jurisdiction",
                       "31010401", "--rooms", "1-8")["id"]
    spawn = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = spawn.Queue()
    workers = [spawn.Process(target=desk_worker, args=(desk_db, venue, i, out))
               for i in range(PROCESSES)]
    for w in workers:
        w.start()
    results = dict(out.get(timeout=240) for _ in workers)
    for w in workers:
        w.join(30)
    failures = [e for errs in results.values() for e in errs]
    assert not [f for f in failures if "locked" in f or "busy" in f], failures[:2]
    assert not failures, failures[:2]
    assert all(w.exitcode == 0 for w in workers)
    import sqlalchemy as sa

    from registry.db.engine import make_engine

    engine = make_engine(desk_db)
    with engine.connect() as conn:
        done = conn.execute(sa.text(
            "SELECT count(*) FROM stays WHERE checked_out_at IS NOT NULL")).scalar_one()
    engine.dispose()
    assert done == PROCESSES * CYCLES
