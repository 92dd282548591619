"""Check-ins through the core against raw INSERTs of the same rows (performance.md B1).

Two measures: one desk (latency per committed check-in, ABBA rounds in this process) and a
city's desks at once (``desks`` processes, each on its own connection and hotel, started
together behind a barrier: committed check-ins per second across all of them). A first-time
guest per check-in; A validates the number, registers person and document, journals, runs the
incremental matchings and commits; B inserts the same five rows and commits.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.common import Measure, abba, fresh_numbers, raw_connection, timed
from registry import bulk
from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Venue
from registry.people import TypedIdentity
from registry.places import venue_rooms
from registry.stays import check_in

GUEST = "测试客"


@dataclass(frozen=True)
class Hotel:
    id: str
    jurisdiction: str
    rooms: tuple[str, ...]


def hotels(sf: sessionmaker[Session], k: int) -> list[Hotel]:
    with sf() as s:
        venues = s.scalars(sa.select(Venue).where(Venue.kind == "hotel").limit(k)).all()
        return [
            Hotel(str(v.id), v.jurisdiction_code, tuple(venue_rooms(s, v.id)) or ("101",))
            for v in venues
        ]


class RawCheckin:
    """The five INSERTs of a check-in through the DB-API driver, and their rows."""

    def __init__(self, engine: Engine) -> None:
        self.pg = engine.dialect.name == "postgresql"
        self.person_cols = bulk.person_columns()
        mark = "%s" if self.pg else "?"
        self.tables: dict[str, tuple[str, Any]] = {}
        for table, cols in (
            ("persons", self.person_cols),
            ("documents", ("id", "person_id", "doc_type", "number", "long_term", "capture",
                           "created_at")),
            ("stays", ("id", "person_id", "venue_id", "room", "jurisdiction_code", "party_id",
                       "checked_in_at", "capture", "document_id", "registered_by", "terminal",
                       "report_deadline", "reported_at")),
            ("events", ("id", "occurred_at", "actor", "terminal", "action", "subject_kind",
                        "subject_id", "person_id", "jurisdiction_code", "detail")),
        ):
            marks = ", ".join(mark for _ in cols)
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"
            conv = (lambda r: r) if self.pg else bulk.sqlite_row(bulk._table(table), cols)
            self.tables[table] = (sql, conv)

    def rows(self, hotel: Hotel, number: str) -> list[tuple[str, tuple[Any, ...]]]:
        now = datetime.now(UTC)
        pid, did, sid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        person = bulk.person_tuple({"number": number, "doc_type": "resident", "name": GUEST,
                                    "category": "floating", "id": pid}, self.person_cols, now)
        doc = (did, pid, "resident", number, False, "manual", now)
        stay = (sid, pid, uuid.UUID(hotel.id), hotel.rooms[0], hotel.jurisdiction, uuid.uuid4(),
                now, "manual", did, "bench", "bench-desk", now, now)
        ev1 = (uuid.uuid4(), now, "bench", "bench-desk", "person.registered", "person", pid,
               pid, None, {"capture": "manual"})
        ev2 = (uuid.uuid4(), now, "bench", "bench-desk", "stay.checked_in", "stay", sid, pid,
               hotel.jurisdiction, {"room": hotel.rooms[0]})
        out = []
        for table, row in (("persons", person), ("documents", doc), ("stays", stay),
                           ("events", ev1), ("events", ev2)):
            sql, conv = self.tables[table]
            if self.pg:
                row = tuple(json.dumps(v) if isinstance(v, dict) else
                            str(v) if isinstance(v, uuid.UUID) else v for v in row)
            else:
                row = conv(row)
            out.append((sql, row))
        return out


def core_checkin(sf: sessionmaker[Session], ctx: Context, hotel: Hotel, rng: random.Random,
                 number: str) -> None:
    with sf.begin() as session:
        check_in(session, ctx, hotel.id, rng.choice(hotel.rooms),
                 [TypedIdentity(number=number, name=GUEST)])


def measure_checkins(engine: Engine, sf: sessionmaker[Session], rounds: int, per: int,
                     seed: int) -> Measure:
    """One desk: milliseconds per committed check-in, A against B."""
    m = Measure("check-in, one desk (stays.check_in vs raw INSERTs)", "ms")
    rng = random.Random(seed)
    hotel = hotels(sf, 1)[0]
    used: set[str] = set()
    ctx = Context(actor="bench", terminal="bench-desk")
    raw = raw_connection(engine)
    cur = raw.cursor()
    inserts = RawCheckin(engine)

    def a() -> list[float]:
        numbers = fresh_numbers(engine, rng, per, used)
        return timed(lambda n: core_checkin(sf, ctx, hotel, rng, n), numbers)

    def b() -> list[float]:
        prepared = [inserts.rows(hotel, n) for n in fresh_numbers(engine, rng, per, used)]

        def one(rows: list[tuple[str, tuple[Any, ...]]]) -> None:
            for sql, row in rows:
                cur.execute(sql, row)
            raw.commit()
        return timed(one, prepared)

    a(), b()
    abba(rounds, a, b, m)
    raw.close()
    m.note = ("new typed guest per check-in, committed; A validates, registers person and "
              "document, journals, runs the incremental matchings; B inserts the same 5 rows")
    return m


def _desk(side: str, url: str, hotel: Hotel, numbers: list[str], barrier: Any,
          out: Any) -> None:
    """One desk process: warm up, wait for the others, check its guests in, report the span."""
    engine = make_engine(url)
    rng = random.Random(hotel.id)
    if side == "a":
        sf = session_factory(engine)
        ctx = Context(actor="bench", terminal=f"desk-{hotel.id[:8]}")

        def one(n: str) -> None:
            core_checkin(sf, ctx, hotel, rng, n)
    else:
        raw = raw_connection(engine)
        cur = raw.cursor()
        inserts = RawCheckin(engine)

        def one(n: str) -> None:
            for sql, row in inserts.rows(hotel, n):
                cur.execute(sql, row)
            raw.commit()
    warm, timed_numbers = numbers[:10], numbers[10:]
    for n in warm:
        one(n)
    barrier.wait(timeout=120)
    start = time.perf_counter()
    for n in timed_numbers:
        one(n)
    out.put((start, time.perf_counter(), len(timed_numbers)))
    engine.dispose()


def _city_rate(side: str, url: str, desks: list[Hotel], numbers: list[list[str]]) -> float:
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(len(desks)), ctx.Queue()
    procs = [ctx.Process(target=_desk, args=(side, url, h, nums, barrier, out))
             for h, nums in zip(desks, numbers, strict=True)]
    for p in procs:
        p.start()
    spans = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    wall = max(s[1] for s in spans) - min(s[0] for s in spans)
    return sum(s[2] for s in spans) / wall


def measure_throughput(engine: Engine, sf: sessionmaker[Session], url: str, desks: int,
                       per: int, rounds: int, seed: int) -> Measure:
    """``desks`` desks at once: committed check-ins per second across the city, A against B."""
    m = Measure(f"check-ins per second, {desks} desks at once (core vs raw INSERTs)", "/s")
    rng = random.Random(seed + 1)
    chosen = hotels(sf, desks)
    used: set[str] = set()

    def numbers() -> list[list[str]]:
        flat = fresh_numbers(engine, rng, len(chosen) * (per + 10), used)
        return [flat[i::len(chosen)] for i in range(len(chosen))]

    for _ in range(rounds):
        m.a.append(_city_rate("a", url, chosen, numbers()))
        m.b.append(_city_rate("b", url, chosen, numbers()))
        m.b.append(_city_rate("b", url, chosen, numbers()))
        m.a.append(_city_rate("a", url, chosen, numbers()))
    m.note = (f"{len(chosen)} processes, each its own hotel and connection, {per} first-time "
              "guests each after a warm-up; rate = check-ins / wall time across all desks; "
              "ratio = A/B (below 1: slower than raw)")
    return m
