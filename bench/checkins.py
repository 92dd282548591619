"""Check-ins through the core against raw INSERTs of the same rows (performance.md B1).

Two measures: one desk (latency per committed check-in, ABBA rounds in this process) and a
city's desks at once (``desks`` processes, each on its own connection and hotel, started
together behind a barrier: committed check-ins per second across all of them), with one
check-in per transaction or ``batch`` of them (``stays.check_in_many``, as for a tour group's
rooming list). A first-time guest per check-in; A validates the number, registers person and
document, journals, runs the incremental matchings and commits; B inserts the same five rows
and commits after as many check-ins as A does.
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
from bench.intake_common import POLL, Deaths, drain
from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Venue
from registry.exchange import bulk
from registry.movements.stays import Arrival, check_in_many
from registry.people.registration import TypedIdentity
from registry.places.venues import venue_rooms

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


def core_checkins(sf: sessionmaker[Session], ctx: Context, hotel: Hotel, rng: random.Random,
                  numbers: list[str]) -> None:
    """One transaction: a first-time guest per number, each a party of their own."""
    with sf.begin() as session:
        check_in_many(session, ctx, [
            Arrival(hotel.id, rng.choice(hotel.rooms), [TypedIdentity(number=n, name=GUEST)])
            for n in numbers
        ])


def raw_checkins(cur: Any, raw: Any, inserts: RawCheckin, hotel: Hotel,
                 numbers: list[str]) -> None:
    """One transaction: the same rows as ``core_checkins``, INSERTed through the driver."""
    for n in numbers:
        for sql, row in inserts.rows(hotel, n):
            cur.execute(sql, row)
    raw.commit()


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
        return timed(lambda n: core_checkins(sf, ctx, hotel, rng, [n]), numbers)

    def b() -> list[float]:
        numbers = fresh_numbers(engine, rng, per, used)
        return timed(lambda n: raw_checkins(cur, raw, inserts, hotel, [n]), numbers)

    a(), b()
    abba(rounds, a, b, m)
    raw.close()
    m.note = ("new typed guest per check-in, committed; A validates, registers person and "
              "document, journals, runs the incremental matchings; B inserts the same 5 rows")
    return m


def _desk(desk: int, side: str, url: str, hotel: Hotel, numbers: list[str], batch: int,
          barrier: Any, out: Any) -> None:
    """One desk process: warm up, wait for the others, check its guests in, report the span.

    A failure (SQLite's 'database is locked' when a writer waits past the busy timeout, a lost
    connection) is reported to the parent with its error and breaks the barrier, so the other
    desks stop waiting for this one."""
    try:
        out.put(("ok", desk, _desk_run(side, url, hotel, numbers, batch, barrier)))
    except BaseException as exc:  # every failure goes back to the parent, none hangs it
        barrier.abort()
        out.put(("error", desk,
                 f"desk {hotel.id[:8]}: {type(exc).__name__}: {str(exc)[:200]}"))


def _desk_run(side: str, url: str, hotel: Hotel, numbers: list[str], batch: int,
              barrier: Any) -> tuple[float, float, int]:
    engine = make_engine(url)
    rng = random.Random(hotel.id)
    if side == "a":
        sf = session_factory(engine)
        ctx = Context(actor="bench", terminal=f"desk-{hotel.id[:8]}")

        def one(ns: list[str]) -> None:
            core_checkins(sf, ctx, hotel, rng, ns)
    else:
        raw = raw_connection(engine)
        cur = raw.cursor()
        inserts = RawCheckin(engine)

        def one(ns: list[str]) -> None:
            raw_checkins(cur, raw, inserts, hotel, ns)
    chunks = [numbers[i : i + batch] for i in range(0, len(numbers), batch)]
    one(chunks[0])  # warm-up
    barrier.wait(timeout=120)
    start = time.perf_counter()
    for chunk in chunks[1:]:
        one(chunk)
    span = (start, time.perf_counter(), len(numbers) - len(chunks[0]))
    engine.dispose()
    return span


WAIT = 600.0  # seconds all desks together may take, at most


def _city_rate(side: str, url: str, desks: list[Hotel], numbers: list[list[str]],
               batch: int) -> tuple[float, list[str]]:
    """Check-ins per second across the desks that finished, and the errors of those that
    did not (each wait bounded: a desk process that dies is noticed within half a second,
    said on stderr and the barrier broken, so the others stop waiting for it; a stuck one is
    terminated)."""
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(len(desks)), ctx.Queue()
    procs = [ctx.Process(target=_desk, args=(i, side, url, h, nums, batch, barrier, out),
                         daemon=True)
             for i, (h, nums) in enumerate(zip(desks, numbers, strict=True))]
    started = time.time()
    for p in procs:
        p.start()
    done: dict[int, tuple[float, float, int]] = {}
    failed: dict[int, str] = {}

    def take(message: tuple[str, int, Any]) -> None:
        kind, desk, data = message
        (done if kind == "ok" else failed)[desk] = data

    deaths = Deaths(procs, started, f"{side.upper()} desk")
    deadline = time.monotonic() + WAIT
    while len(done) + len(failed) < len(procs) and time.monotonic() < deadline:
        for message in drain(out, POLL):
            take(message)
        before = len(failed)
        deaths.check(out, lambda i: i in done or i in failed, take, failed)
        if len(failed) > before:
            barrier.abort()  # the others would wait at the barrier for a desk that is gone
    spans, errors = list(done.values()), list(failed.values())
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.terminate()
            p.join(timeout=5)
    missing = len(procs) - len(spans) - len(errors)
    errors += ["a desk died without a report or did not finish in time"] * missing
    if not spans:
        return float("nan"), errors
    wall = max(s[1] for s in spans) - min(s[0] for s in spans)
    return sum(s[2] for s in spans) / wall, errors


def measure_throughput(engine: Engine, sf: sessionmaker[Session], url: str, desks: int,
                       per: int, rounds: int, seed: int, batch: int = 1) -> Measure:
    """``desks`` desks at once: committed check-ins per second across the city, A against B."""
    each = "one check-in" if batch == 1 else f"{batch} check-ins"
    m = Measure(f"check-ins per second, {desks} desks at once, {each} per transaction "
                "(core vs raw INSERTs)", "/s")
    rng = random.Random(seed + batch)
    chosen = hotels(sf, desks)
    used: set[str] = set()
    per = max(per, batch) // batch * batch

    failed: list[str] = []

    def rate(side: str) -> float:
        flat = fresh_numbers(engine, rng, len(chosen) * (per + batch), used)
        value, errors = _city_rate(side, url, chosen,
                                   [flat[i::len(chosen)] for i in range(len(chosen))], batch)
        failed.extend(f"{side.upper()} {e}" for e in errors)
        return value

    for _ in range(rounds):
        m.a.append(rate("a"))
        m.b.append(rate("b"))
        m.b.append(rate("b"))
        m.a.append(rate("a"))
    m.note = (f"{len(chosen)} processes, each its own hotel and connection, {per} first-time "
              f"guests each after a warm-up, {each} per commit (A: stays.check_in_many; B: the "
              "same rows INSERTed through the driver, same commits); rate = check-ins / wall "
              "time across all desks; ratio = A/B (below 1: slower than raw)")
    if failed:
        m.note += f"; FAILED desk runs: {len(failed)} ({'; '.join(failed[:4])})"
    return m
