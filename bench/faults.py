"""Faults under load (issue #16): the station service killed with SIGKILL, or its PostgreSQL
restarted, while front desks register guests and push over HTTP; then every desk's outbox is
compared with the station.

    python -m bench.faults --desks 8 --seconds 60 --fault kill
    python -m bench.faults --desks 8 --seconds 60 --fault pgrestart
    python -m bench.faults --desks 8 --seconds 60 --fault both --json out.json

The station is ``laiqu serve`` (uvicorn, a real process on 127.0.0.1) on a PostgreSQL server of
its own (``tests/faultpg.py``: fsync and synchronous_commit on, as a station must run; an
immediate stop is a crash). Each desk is a process with its own SQLite file and hotel: it
checks guests in (``stays.check_in`` with a chip read, one transaction each, ``--rate`` a
second) and out again ``STAY`` guests later, while the desk's own background push
(``registry.sync.background.BackgroundPush``) sends its outbox through the service's HTTP
client (``service.client.HttpStation``, a device token) every ``--every`` seconds. Once a push
is in flight (``--at`` seconds into the load), the fault: ``kill`` sends SIGKILL to the service
and starts it again on the same port ``--down`` seconds later; ``pgrestart`` stops PostgreSQL
at once (``pg_ctl stop -m immediate``) and starts it again. After ``--seconds`` the desks stop
registering and push what is left, retrying with their back-off for up to ``--drain`` seconds.

Printed: per desk, check-ins, items sent (resends included), failed sends (retries), items the
station answered as already applied; time to recover (from the fault until every desk that
felt it had a batch accepted again after the station was back) beside the downtime; failed
sends by cause; then the comparison of both ends (see ``reconcile``): lost = 0, duplicated = 0,
nothing open or rejected, ``audit verify`` (the use case) on the station and on every desk, no
unexpected error (500) in the service's log. Exit status 1 when any verdict fails. A desk process
that fails is reported with its error and counted; every wait is bounded. Figures taken on a
shared machine are disturbed by whatever else runs there.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's core, in the desk processes too
sys.path.append(str(ROOT / "tests"))  # appended: nothing under tests/ may shadow the core

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from registry.accounts import credentials, users  # noqa: E402
from registry.context import Context  # noqa: E402
from registry.db.engine import make_engine, session_factory  # noqa: E402
from registry.db.models import Event, Person, Stay, Venue  # noqa: E402
from registry.db.schema import upgrade  # noqa: E402
from registry.db.sync_models import LedgerEntry, OutboxItem  # noqa: E402
from registry.identity.cards import CardRead  # noqa: E402
from registry.identity.ids import DocType, ric_check_digit  # noqa: E402
from registry.movements import stays  # noqa: E402
from registry.places import jurisdictions, venues  # noqa: E402
from registry.privacy import auditing  # noqa: E402
from registry.sync.background import BackgroundPush  # noqa: E402
from registry.sync.push import Transport, push  # noqa: E402
from registry.sync.station import Result, become_station  # noqa: E402
from service.client import HttpStation  # noqa: E402

CITY, DISTRICT, STATION = "4305", "430502", "430502001"
ROOMS = [str(r) for r in range(101, 141)]
FAULTS = ("kill", "pgrestart", "both")
ADMIN = Context("bench", "bench-faults")
REGIONS = ("110101", "110102", "110105", "110106", "310101", "310104", "440106", "510104")


def hotel_name(desk: int) -> str:
    return f"故障测试旅馆{desk:02d}"


def number(desk: int, i: int) -> str:
    """Guest ``i`` of desk ``desk``: a valid resident number no other desk or guest has."""
    region = REGIONS[desk % len(REGIONS)]
    born = date(1940 + 5 * (desk // len(REGIONS)), 1, 1) + timedelta(days=i // 1000)
    first17 = f"{region}{born:%Y%m%d}{i % 1000:03d}"
    return first17 + ric_check_digit(first17)


def card(desk: int, i: int) -> CardRead:
    """A synthetic chip read of guest ``i`` (never a real person)."""
    n = number(desk, i)
    return CardRead(
        DocType.RESIDENT,
        f"测试客{desk}号{i}",
        "1" if int(n[16]) % 2 else "2",
        date(int(n[6:10]), int(n[10:12]), int(n[12:14])),
        n,
        issuer="测试公安局",
        valid_from=date(2020, 1, 1),
        valid_to=date(2040, 1, 1),
        ethnicity="01",
        address="测试地址",
        photo=bytes(range(256)) * 4,
        reader_id=f"emu-{desk}",
        sam_id="05.01-20101209-0000000001",
    )


def build_city(sf: sessionmaker[Session], desks: Sequence[int]) -> dict[int, str]:
    """The city, its station and one hotel per desk; hotel ids by desk."""
    with sf.begin() as s:
        jurisdictions.add_jurisdiction(s, ADMIN, CITY, "邵阳市", "city")
        jurisdictions.add_jurisdiction(s, ADMIN, DISTRICT, "双清区", "district", CITY)
        jurisdictions.add_jurisdiction(s, ADMIN, STATION, "故障测试派出所", "station", DISTRICT)
        return {
            d: str(venues.add_venue(s, ADMIN, hotel_name(d), "hotel", STATION, rooms=ROOMS).id)
            for d in desks
        }


def prepare_station(url: str, desks: int) -> dict[int, str]:
    """A migrated, empty station: the city, a hotel and a desk user per desk; tokens by desk."""
    engine = make_engine(url)
    sf = session_factory(engine)
    hotels = build_city(sf, range(desks))
    with sf.begin() as s:
        become_station(s)
        tokens = {}
        for d, hotel in hotels.items():
            users.add_user(s, ADMIN, f"desk{d}", "desk", venue=hotel)
            tokens[d] = credentials.issue_token(s, ADMIN, f"desk{d}", f"前台{d}号机")
    engine.dispose()
    return tokens


def prepare_desk(path: Path, desk: int, template: Path | None = None) -> tuple[str, str]:
    """A desk's own SQLite file (copied from a migrated ``template``, else migrated here) with
    the city and its one hotel; (URL, hotel id)."""
    if template is not None:
        shutil.copy(template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    if template is None:
        upgrade(engine)
    hotel = build_city(session_factory(engine), [desk])[desk]
    engine.dispose()
    return url, hotel


# --------------------------------------------------------------------------- the station


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """``laiqu serve`` on 127.0.0.1 and a fixed port: started, killed, started again."""

    def __init__(self, db_url: str, log: Path, port: int | None = None) -> None:
        self.db_url, self.log, self.port = db_url, log, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 60.0) -> float:
        """Start and wait until it answers; the wall-clock instant it did."""
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LAIQU_DATABASE_URL": self.db_url}
        with self.log.open("ab") as stream:  # the child keeps its own descriptor
            stream.write(f"\n--- start {self.starts + 1}\n".encode())
            stream.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "serve", "--port", str(self.port)],
                env=env,
                cwd=str(ROOT),
                stdout=stream,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/api/v1/openapi.json", timeout=2).is_success:
                    return time.time()
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"laiqu serve did not start: {self.log_text()[-2000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no answer to what is in flight."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


# --------------------------------------------------------------------------- a desk


@dataclass(frozen=True)
class DeskPlan:
    desk: int
    url: str  # the desk's SQLite file
    hotel: str  # its hotel's id at the desk
    station: str  # the service's base URL
    token: str
    seconds: float  # registering
    rate: float  # check-ins a second
    every: float  # seconds between background pushes
    drain: float  # seconds of retries after the load
    stay: int  # a guest checks out when the stay-th guest after them has checked in
    timeout: float = 60.0  # of one HTTP request (the HTTP client's default)


@dataclass
class Send:
    """One batch sent: wall-clock start and end, items, the outcome."""

    start: float
    end: float
    items: int
    ok: bool
    error: str = ""
    again: int = 0  # items the station answered as already applied


@dataclass
class DeskRun:
    desk: int
    checkins: int = 0
    checkouts: int = 0
    sends: list[Send] = field(default_factory=list)
    drained: float = 0.0  # seconds the final push took
    left_error: str | None = None  # the final push's last error
    error: str | None = None  # the desk process failed

    @property
    def failed(self) -> int:
        return sum(not s.ok for s in self.sends)

    @property
    def items_sent(self) -> int:
        return sum(s.items for s in self.sends if s.ok)

    @property
    def resent(self) -> int:
        return sum(s.again for s in self.sends)


class Counted:
    """A ``Transport`` that notes each send of the transport it wraps, and shares with the
    process that injects the faults how many are in flight and when one last got through."""

    def __init__(self, inner: Transport, shared: Shared, desk: int, into: list[Send]) -> None:
        self.inner, self.shared, self.desk, self.into = inner, shared, desk, into
        self.inflight = shared.inflight

    def send(
        self, venue: dict[str, Any], items: list[dict[str, Any]], ctx: Context
    ) -> list[Result]:
        start = time.time()
        with self.inflight.get_lock():
            self.inflight.value += 1
        try:
            results = self.inner.send(venue, items, ctx)
        except Exception as exc:
            self.into.append(Send(start, time.time(), len(items), False, str(exc)[:200]))
            raise
        finally:
            with self.inflight.get_lock():
                self.inflight.value -= 1
        again = sum(bool(r.get("duplicate")) for r in results)
        self.into.append(Send(start, time.time(), len(items), True, again=again))
        self.shared.ok_at[self.desk] = time.time()
        return results

    def close(self) -> None:
        self.inner.close()


def desk_main(plan: DeskPlan, shared: Shared, out: Any) -> None:
    """A desk process: its outcome (or its error) goes to ``out``."""
    try:
        result = run_desk(plan, shared)
    except BaseException as exc:  # reported and counted by the parent, never waited for
        result = DeskRun(plan.desk, error=f"{type(exc).__name__}: {exc}"[:500])
    out.put(result)


@dataclass(frozen=True)
class Shared:
    """What the desk processes share with the one that runs the experiment."""

    inflight: Any  # pushes in flight (a multiprocessing Value)
    ready: Any  # desks set up and waiting (a multiprocessing Value)
    go: Any  # the load starts (a multiprocessing Event)
    ok_at: Any  # per desk, when a batch last got through (a multiprocessing Array)


def run_desk(plan: DeskPlan, shared: Shared) -> DeskRun:
    """Register guests for ``plan.seconds`` while the background push uploads; then push what
    is left, retrying for up to ``plan.drain`` seconds. Starts when ``shared.go`` is set."""
    run = DeskRun(plan.desk)
    engine = make_engine(plan.url)
    sf = session_factory(engine)
    ctx = Context(f"desk{plan.desk}", f"desk-{plan.desk}")
    station = Counted(
        HttpStation(plan.station, token=plan.token, timeout=plan.timeout),
        shared,
        plan.desk,
        run.sends,
    )
    with sf.begin() as s:  # the first guest before the clock starts: a warm process
        stays.check_in(s, ctx, plan.hotel, ROOMS[0], [card(plan.desk, 0)])
    run.checkins = 1
    with shared.ready.get_lock():
        shared.ready.value += 1
    if not shared.go.wait(300):
        raise RuntimeError("the load never started")
    background = BackgroundPush(sf, station, ctx, plan.hotel, plan.every).start()
    try:
        started = time.monotonic()
        while (now := time.monotonic()) < started + plan.seconds:
            due = started + (run.checkins - 1) / plan.rate
            if now < due:
                time.sleep(min(due - now, 0.05))
                continue
            i = run.checkins
            with sf.begin() as s:
                stays.check_in(s, ctx, plan.hotel, ROOMS[i % len(ROOMS)], [card(plan.desk, i)])
            run.checkins += 1
            if i >= plan.stay:
                with sf.begin() as s:
                    stays.check_out(s, ctx, plan.hotel, number=number(plan.desk, i - plan.stay))
                run.checkouts += 1
    finally:
        background.stop(timeout=plan.timeout + 10)
    t = time.monotonic()
    report = push(sf, station, ctx, venue_ref=plan.hotel, retry_for=plan.drain)
    run.drained = time.monotonic() - t
    run.left_error = report.errors[-1] if report.errors else None
    station.close()
    engine.dispose()
    return run


# --------------------------------------------------------------------------- both ends compared


@dataclass
class DeskCheck:
    """One desk's outbox against the station (items are outbox rows, heartbeats included)."""

    desk: int
    items: int  # outbox items at the desk
    accepted: int
    open: int  # still pending or sent
    rejected: int
    ledger: int  # the station's ledger rows of the desk's venue
    lost: int  # desk items the station's ledger does not hold as accepted
    extra: int  # ledger rows no desk item stands for
    stays: int  # at the desk
    station_stays: int  # of the venue at the station
    duplicated: int  # station stays beyond one per desk stay
    differ: int  # desk stays whose station record differs (room, in, out) or is missing
    persons_missing: int
    events_missing: int
    audit: str  # "ok (n entries)" or what is wrong

    @property
    def good(self) -> bool:
        return (
            self.lost == self.extra == self.duplicated == self.differ == 0
            and self.open == self.rejected == 0
            and self.persons_missing == self.events_missing == 0
            and self.audit.startswith("ok")
        )


def audit_verdict(url: str) -> str:
    """``audit verify`` through its use case (as an unrestricted caller): "ok (n entries)"."""
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as s:
            verdict = auditing.verify_as(s, Context("bench", "bench-audit"))
    finally:
        engine.dispose()
    return f"ok ({verdict.entries} entries)" if verdict.ok else f"FAILED: {verdict}"


def reconcile(station_url: str, desks: dict[int, str]) -> tuple[list[DeskCheck], str]:
    """Every desk (``{desk: SQLite URL}``) against the station: checks per desk, and the
    station's own ``audit verify`` verdict."""
    station = make_engine(station_url)
    checks = []
    try:
        with Session(station) as st:
            for d, url in sorted(desks.items()):
                checks.append(_check(st, d, url))
    finally:
        station.dispose()
    return checks, audit_verdict(station_url)


def _check(st: Session, d: int, url: str) -> DeskCheck:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            items = {r.id: r.state for r in s.execute(select(OutboxItem.id, OutboxItem.state))}
            desk_stays = {
                r.id: (r.room, r.checked_in_at, r.checked_out_at) for r in s.scalars(select(Stay))
            }
            keys = set(s.scalars(select(Person.id_key)))
            events = set(s.scalars(select(Event.id)))
    finally:
        engine.dispose()
    venue = st.scalar(
        select(Venue.id).where(Venue.name == hotel_name(d), Venue.jurisdiction_code == STATION)
    )
    ledger = {
        r.item_id: r for r in st.scalars(select(LedgerEntry).where(LedgerEntry.venue_id == venue))
    }
    became: dict[uuid.UUID, set[uuid.UUID]] = {}
    for r in ledger.values():
        if r.kind == "stays" and r.result == "accepted" and r.desk_id and r.station_id:
            became.setdefault(r.desk_id, set()).add(r.station_id)
    at_station = {
        r.id: (r.room, r.checked_in_at, r.checked_out_at)
        for r in st.scalars(select(Stay).where(Stay.venue_id == venue))
    }
    mapped = {sid for ids in became.values() for sid in ids}
    duplicated = sum(len(ids) - 1 for ids in became.values()) + len(set(at_station) - mapped)
    differ = sum(
        len(became.get(k, ())) != 1 or at_station.get(next(iter(became[k]))) != v
        for k, v in desk_stays.items()
    )
    found_keys = (
        set(st.scalars(select(Person.id_key).where(Person.id_key.in_(keys)))) if keys else set()
    )
    found_events = _existing_events(st, events)
    states = list(items.values())
    return DeskCheck(
        desk=d,
        items=len(items),
        accepted=states.count("accepted"),
        open=states.count("pending") + states.count("sent"),
        rejected=states.count("rejected"),
        ledger=len(ledger),
        lost=sum(ledger.get(i) is None or ledger[i].result != "accepted" for i in items),
        extra=len(set(ledger) - set(items)),
        stays=len(desk_stays),
        station_stays=len(at_station),
        duplicated=duplicated,
        differ=differ,
        persons_missing=len(keys - found_keys),
        events_missing=len(events - found_events),
        audit=audit_verdict(url),
    )


def _existing_events(st: Session, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    listed = sorted(ids)
    for i in range(0, len(listed), 500):
        found |= set(st.scalars(select(Event.id).where(Event.id.in_(listed[i : i + 500]))))
    return found


# --------------------------------------------------------------------------- a run


@dataclass
class Fault:
    kind: str
    at: float  # wall clock, when it was injected
    up: float  # wall clock, when the station answered again
    inflight: int  # pushes in flight when it struck

    @property
    def downtime(self) -> float:
        return self.up - self.at


@dataclass
class Outcome:
    desks: list[DeskRun]
    faults: list[Fault]
    checks: list[DeskCheck]
    station_audit: str
    seconds: float  # of registering at the desks
    wall: float  # from the start of the load until every desk was done
    service_errors: int  # unexpected errors (500) in the service's log

    def recovery(self, fault: Fault) -> float | None:
        """Seconds from the fault until every desk that felt it (a failed send since) had a
        batch accepted that it sent after the fault and that came back after the station was
        up again (None: no desk felt it; inf: a desk never got through)."""
        back = []
        for run in self.desks:
            if not any(not s.ok and s.end >= fault.at for s in run.sends):
                continue
            later = [s.end for s in run.sends if s.ok and s.start >= fault.at and s.end > fault.up]
            back.append(min(later) if later else float("inf"))
        return max(back) - fault.at if back else None

    def errors(self) -> dict[str, int]:
        """Failed sends by what the desk was told (its first words), most frequent first."""
        seen: dict[str, int] = {}
        for run in self.desks:
            for s in run.sends:
                if not s.ok:
                    key = s.error.split("：", 1)[-1][:48] if "：" in s.error else s.error[:48]
                    seen[key] = seen.get(key, 0) + 1
        return dict(sorted(seen.items(), key=lambda kv: -kv[1]))

    @property
    def good(self) -> bool:
        return (
            all(c.good for c in self.checks)
            and self.station_audit.startswith("ok")
            and self.service_errors == 0  # a fault is a 503 to the desks, never a 500
            and not any(r.error for r in self.desks)
            and len(self.checks) == len(self.desks)
        )

    def summary(self) -> dict[str, Any]:
        runs = self.desks
        return {
            "desks": len(runs),
            "failed_desks": [r.error for r in runs if r.error],
            "seconds": self.seconds,
            "wall_s": self.wall,
            "checkins": sum(r.checkins for r in runs),
            "checkouts": sum(r.checkouts for r in runs),
            "batches": sum(len(r.sends) for r in runs),
            "items_sent": sum(r.items_sent for r in runs),
            "failed_sends": sum(r.failed for r in runs),
            "resent_items": sum(r.resent for r in runs),
            "send_errors": self.errors(),
            "drain_s": max((r.drained for r in runs), default=0.0),
            "faults": [
                {
                    "kind": f.kind,
                    "downtime_s": f.downtime,
                    "recovery_s": self.recovery(f),
                    "inflight": f.inflight,
                }
                for f in self.faults
            ],
            "items": sum(c.items for c in self.checks),
            "lost": sum(c.lost for c in self.checks),
            "duplicated": sum(c.duplicated for c in self.checks),
            "extra": sum(c.extra for c in self.checks),
            "open": sum(c.open for c in self.checks),
            "rejected": sum(c.rejected for c in self.checks),
            "differ": sum(c.differ for c in self.checks),
            "station_audit": self.station_audit,
            "desk_audits_ok": sum(c.audit.startswith("ok") for c in self.checks),
            "service_errors": self.service_errors,
            "good": self.good,
        }


@dataclass(frozen=True)
class Load:
    desks: int = 3
    seconds: float = 8.0
    rate: float = 10.0  # check-ins a second per desk
    every: float = 0.2
    drain: float = 60.0
    at: float = 3.0  # seconds into the load (a second fault: half-way between it and the end)
    down: float = 1.0  # seconds the station stays down
    stay: int = 8  # a guest checks out when the stay-th guest after them has checked in


def run(
    station_url: str,
    work: Path,
    load: Load,
    faults: Sequence[str],
    *,
    pg: Any = None,
    desk_template: Path | None = None,
    echo: Callable[[str], None] = print,
) -> Outcome:
    """The whole experiment on a migrated, empty station database. ``faults``: "kill" and/or
    "pgrestart" (then ``pg`` is the station's ``faultpg.StoppablePg``), in order. The work
    directory gets the desks' files and the service's log."""
    if "pgrestart" in faults and pg is None:
        raise ValueError("a PostgreSQL restart needs the station's server (pg)")
    tokens = prepare_station(station_url, load.desks)
    desks = {d: prepare_desk(work / f"desk{d}.sqlite", d, desk_template) for d in range(load.desks)}
    service = Service(station_url, work / "service.log")
    service.start()
    spawn = mp.get_context("spawn")
    shared = Shared(
        spawn.Value("i", 0), spawn.Value("i", 0), spawn.Event(), spawn.Array("d", load.desks)
    )
    out = spawn.Queue()
    procs = [
        spawn.Process(
            target=desk_main,
            args=(
                DeskPlan(
                    d,
                    url,
                    hotel,
                    service.url,
                    tokens[d],
                    load.seconds,
                    load.rate,
                    load.every,
                    load.drain,
                    load.stay,
                ),
                shared,
                out,
            ),
            name=f"desk{d}",
        )
        for d, (url, hotel) in desks.items()
    ]
    injected: list[Fault] = []
    try:
        for p in procs:
            p.start()
        _wait_ready(procs, shared, time.monotonic() + 300)
        shared.go.set()
        begun = time.time()
        times = _fault_times(load, len(faults))
        for kind, when in zip(faults, times, strict=True):
            _sleep_until(begun + when)
            if injected:  # the next fault once every desk got through after the last one
                _recovered(shared, injected[-1].up, time.monotonic() + load.drain)
            injected.append(inject(kind, service, pg, shared.inflight, load.down, echo))
        runs = _collect(procs, out, begun + load.seconds + load.drain + 60.0)
        wall = time.time() - begun
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
            p.join(5)
        service.stop()
    log = service.log_text()
    checks, station_audit = reconcile(station_url, {d: url for d, (url, _) in desks.items()})
    errors = log.count("unexpected error") + log.count("Traceback")
    return Outcome(runs, injected, checks, station_audit, load.seconds, wall, errors)


def _wait_ready(procs: list[Any], shared: Shared, deadline: float) -> None:
    """Until every desk is set up (or died, or the deadline passed: reported later)."""
    while shared.ready.value < sum(p.is_alive() for p in procs) and time.monotonic() < deadline:
        time.sleep(0.05)


def _recovered(shared: Shared, since: float, deadline: float) -> None:
    while min(shared.ok_at[:]) < since and time.monotonic() < deadline:
        time.sleep(0.05)


def _fault_times(load: Load, n: int) -> list[float]:
    if n <= 1:
        return [load.at][:n]
    step = (load.seconds - load.at) / n
    return [load.at + k * step for k in range(n)]


def _sleep_until(t: float) -> None:
    while (left := t - time.time()) > 0:
        time.sleep(min(left, 0.1))


def inject(
    kind: str,
    service: Service,
    pg: Any,
    inflight: Any,
    down: float,
    echo: Callable[[str], None] = print,
) -> Fault:
    """Wait (up to 5 s) for a push in flight, then strike and bring the station back ``down``
    seconds later: ``kill`` starts the service again (up: it answers), ``pgrestart`` starts
    PostgreSQL again (up: it accepts connections)."""
    deadline = time.monotonic() + 5.0
    while inflight.value == 0 and time.monotonic() < deadline:
        time.sleep(0.002)
    flying = int(inflight.value)
    at = time.time()
    if kind == "kill":
        service.kill()
        time.sleep(down)
        up = service.start()
    elif kind == "pgrestart":
        pg.halt()
        time.sleep(down)
        pg.resume()
        up = time.time()
    else:
        raise ValueError(f"unknown fault {kind!r}: {FAULTS}")
    echo(f"  fault {kind}: {flying} push(es) in flight; station back after {up - at:.2f} s")
    return Fault(kind, at, up, flying)


def _collect(procs: list[Any], out: Any, deadline: float) -> list[DeskRun]:
    """Every desk's outcome; a desk that died or overran is reported, not waited for."""
    runs: dict[int, DeskRun] = {}
    while len(runs) < len(procs) and time.time() < deadline:
        try:
            r = out.get(timeout=0.5)
            runs[r.desk] = r
        except Exception:  # queue.Empty: check for desks that died without a word
            for k, p in enumerate(procs):
                if k not in runs and not p.is_alive() and p.exitcode not in (0, None):
                    runs[k] = DeskRun(k, error=f"desk process died (exit code {p.exitcode})")
    for k in range(len(procs)):
        runs.setdefault(k, DeskRun(k, error="desk did not finish in time"))
    return [runs[k] for k in sorted(runs)]


# --------------------------------------------------------------------------- the command


def report(outcome: Outcome, echo: Callable[[str], None] = print) -> None:
    """The figures and the verdicts, as text."""
    s = outcome.summary()
    echo(
        f"{'desk':>4} {'check-ins':>9} {'batches':>7} {'items sent':>10} {'failed':>6} "
        f"{'resent':>6} {'drain s':>7} {'outbox':>6} {'lost':>4} {'dup':>3} {'open':>4} "
        f"{'rej':>3}  audit"
    )
    checks = {c.desk: c for c in outcome.checks}
    for r in outcome.desks:
        c = checks.get(r.desk)
        if r.error or c is None:
            echo(f"{r.desk:>4} FAILED: {r.error}")
            continue
        echo(
            f"{r.desk:>4} {r.checkins:>9} {len(r.sends):>7} {r.items_sent:>10} {r.failed:>6} "
            f"{r.resent:>6} {r.drained:>7.1f} {c.items:>6} {c.lost:>4} {c.duplicated:>3} "
            f"{c.open:>4} {c.rejected:>3}  {c.audit}"
        )
    echo(
        f"load: {s['desks']} desks, {s['seconds']:.0f} s, {s['checkins']} check-ins "
        f"({s['checkins'] / max(s['seconds'], 1e-9):.1f}/s), {s['checkouts']} check-outs; "
        f"all done after {s['wall_s']:.1f} s (longest final push {s['drain_s']:.1f} s); "
        f"{s['batches']} batches, {s['items_sent']} items sent, {s['failed_sends']} failed "
        f"sends (retried), {s['resent_items']} items answered as already applied"
    )
    for f in s["faults"]:
        rec = f["recovery_s"]
        echo(
            f"fault {f['kind']}: {f['inflight']} push(es) in flight; station down "
            f"{f['downtime_s']:.2f} s; every desk that felt it had a batch accepted again after "
            + (f"{rec:.2f} s" if rec is not None else "- (no desk felt it)")
        )
    if s["send_errors"]:
        echo("failed sends: " + "; ".join(f"{n} x {e}" for e, n in s["send_errors"].items()))
    echo(
        f"station: {s['items']} desk items; lost = {s['lost']}, duplicated = {s['duplicated']}, "
        f"unknown = {s['extra']}, differing stays = {s['differ']}, open = {s['open']}, "
        f"rejected = {s['rejected']}; unexpected service errors = {s['service_errors']}"
    )
    echo(f"audit verify: station {s['station_audit']}; desks {s['desk_audits_ok']}/{s['desks']} ok")
    echo("verdict: " + ("PASS" if s["good"] else "FAIL"))


def migrated_database(pg: Any, name: str = "laiqu_station") -> str:
    """A new database on the PostgreSQL server ``pg`` (a ``tests/pgserver.PgServer``), migrated
    to the head revision; its URL."""
    admin = sa.create_engine(pg.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url: str = pg.url(name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--desks", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60.0, help="of registering at the desks")
    ap.add_argument("--fault", choices=FAULTS, default="both")
    ap.add_argument("--rate", type=float, default=10.0, help="check-ins a second per desk")
    ap.add_argument("--every", type=float, default=0.5, help="seconds between a desk's pushes")
    ap.add_argument("--at", type=float, default=None, help="seconds into the load (default 1/3)")
    ap.add_argument("--down", type=float, default=2.0, help="seconds the station stays down")
    ap.add_argument("--drain", type=float, default=120.0, help="seconds of retries afterwards")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here too")
    ap.add_argument("--keep", action="store_true", help="keep the desks' files and service log")
    args = ap.parse_args(argv)
    from faultpg import StoppablePg

    load = Load(
        args.desks,
        args.seconds,
        args.rate,
        args.every,
        args.drain,
        args.seconds / 3 if args.at is None else args.at,
        args.down,
    )
    faults = ["kill", "pgrestart"] if args.fault == "both" else [args.fault]
    work = Path(tempfile.mkdtemp(prefix="laiqu-faults-"))
    pg = StoppablePg()
    pg.port = free_port()  # a socket of its own directory: never in another server's way
    try:
        pg.start()
        station_url = migrated_database(pg)
        template = work / "desk-template.sqlite"
        engine = make_engine(f"sqlite:///{template}")
        upgrade(engine)
        engine.dispose()
        print(
            f"faults under load: {load.desks} desks x {load.rate:g} check-ins/s for "
            f"{load.seconds:g} s, fault(s) {', '.join(faults)}, down {load.down:g} s"
        )
        outcome = run(station_url, work, load, faults, pg=pg, desk_template=template)
    finally:
        pg.stop()
    report(outcome)
    if args.json:
        figures = outcome.summary()
        figures["desk_runs"] = [
            {**asdict(r), "sends": len(r.sends), "failed": r.failed} for r in outcome.desks
        ]
        figures["checks"] = [asdict(c) for c in outcome.checks]
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str))
    if args.keep:
        print(f"kept: {work} (desk*.sqlite, service.log)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if outcome.good else 1


if __name__ == "__main__":
    sys.exit(main())
