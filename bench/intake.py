"""The station's intake of desk uploads (issue #16), against raw COPY of the same rows.

    python -m bench.intake --desks 4 --seconds 60     # a throw-away PostgreSQL (tests/pgserver)
    python -m bench.intake --quick                    # a few seconds, for the tests

A: ``desks`` processes, each a front desk with its own SQLite file and hotel, check in
first-time guests (``stays.check_in_many``, ``--per-commit`` a transaction) and push their
outbox with the existing push (``push.push_once``: ``station.apply_batch`` on the station's
PostgreSQL, batches of ``--batch`` items) for ``--seconds``. Each desk fills its outbox before
the clock starts and tops it up when it runs low (that time is reported, not counted as
intake). B: as many processes INSERT the same rows (person, document, stay, two events and a
ledger row per item) with COPY, one transaction per batch of the same size, for
``--raw-seconds``. Reported: check-ins per second accepted at the station (all desks, wall
time), p50/p99 batch latency, statements per check-in at the station (a cursor hook on the
station engine), the RSS of the processes running ``apply_batch`` at start and end, and the
ratio A/B. A desk that fails is reported with its error; every wait is bounded: a desk process
that dies (a signal, an exit code) is noticed within a second, said on stderr at once ("desk 0
died: killed by signal 9 (SIGKILL) after 15.2 s") and counted failed while the others go on;
if the service dies the desks are stopped and the run ends. The exit code is 1 when a desk
failed or the service died (the figures are printed all the same), else 0.

The service's memory (``--via http``): its process tree's RSS idle before any request, then
sampled every 2 s through the window: at the start (each desk has pushed one warm-up check-in,
so the lazily loaded name dictionaries are in), after ``--warmup`` seconds, at the end, the
maximum, and the least-squares slope from the warm-up on. "Flat" means that slope is at most
``FLAT_MB_PER_MIN`` (1 MB/min); under 20 s of samples after the warm-up it is "too short to
judge". Measured (issue #16): the growth in the first minutes is glibc's heap keeping freed
request buffers (malloc's free bytes rise, its bytes in use and the Python objects stay
level), and it levels off after about two minutes; run ``--seconds 300`` to see it.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path[:1] != [str(ROOT)]:
    sys.path.insert(0, str(ROOT))  # this checkout's core, in the desk processes too
# Appended, not prepended: nothing under tests/ may shadow the core.
sys.path.append(str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bench.intake_common import (  # noqa: E402
    CITY,
    DISTRICT,
    GRACE,
    GUEST,
    ROOMS,
    STATION,
    Service,
    collect,
    cpu_seconds,
    desk_tokens,
    hotel_name,
    number,
    postmaster_pid,
    process_alarm,
    ready,
    rss_mb,
    rss_trend,
    rss_verdict,
    say,
    start_service,
    stop_service,
    tree_rss_mb,
)
from bench.intake_raw import run_raw  # noqa: E402
from registry.context import Context  # noqa: E402
from registry.db.engine import make_engine, session_factory  # noqa: E402
from registry.db.models import Venue  # noqa: E402
from registry.db.schema import upgrade  # noqa: E402
from registry.db.sync_models import OutboxItem  # noqa: E402
from registry.movements.stays import Arrival, check_in_many  # noqa: E402
from registry.people.registration import TypedIdentity  # noqa: E402
from registry.places import jurisdictions, venues  # noqa: E402
from registry.sync import push as push_module  # noqa: E402
from registry.sync.push import PushReport, StationUnreachable, push_once  # noqa: E402
from registry.sync.station import become_station  # noqa: E402

ITEMS_PER_CHECKIN = 5  # person, document, stay and two events


def build_city(sf: sessionmaker[Session], desks: Sequence[int]) -> None:
    ctx = Context("bench")
    with sf.begin() as s:
        jurisdictions.add_jurisdiction(s, ctx, CITY, "邵阳市", "city")
        jurisdictions.add_jurisdiction(s, ctx, DISTRICT, "双清区", "district", CITY)
        jurisdictions.add_jurisdiction(s, ctx, STATION, "测试派出所", "station", DISTRICT)
        for d in desks:
            venues.add_venue(s, ctx, hotel_name(d), "hotel", STATION, rooms=ROOMS)


# ------------------------------------------------------------------------------ A: the intake


@dataclass(frozen=True)
class DeskJob:
    desk: int
    desk_url: str
    station_url: str  # the station's database (python mode: the desk applies its batches)
    startup: float  # seconds a desk may take to start and fill its outbox
    seconds: float
    prefill: int
    per_commit: int
    batch: int
    salt: int
    service_url: str | None = None  # http mode: ``laiqu serve``
    token: str | None = None  # the desk's device token at the station
    rate: float | None = None  # paced: this desk's check-ins per second


def _desk(job: DeskJob, out: Any, go: Any, halt: Any) -> None:
    """One desk process: fill the outbox, say it is ready, push from ``go`` until the window
    closes (or ``halt`` is set: the run was stopped), report."""
    try:
        out.put(("ok", job.desk, _desk_run(job, out, go, halt)))
    except BaseException as exc:
        out.put(("error", job.desk, f"{type(exc).__name__}: {str(exc)[:300]}"))


def _transport(job: DeskJob, statements: list[int]) -> Any:
    """The desk's way to the station: the service's HTTP client, or (python mode) the
    station's database with a statement counter on its engine."""
    if job.service_url:
        from service.client import HttpStation

        return HttpStation(job.service_url, token=job.token, timeout=30.0)
    station = make_engine(job.station_url)

    @event.listens_for(station, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        statements[0] += 1

    return push_module.DatabaseTransport(engine=station)


def _desk_run(job: DeskJob, out: Any, go: Any, halt: Any) -> dict[str, Any]:
    desk = make_engine(job.desk_url)
    statements = [0]
    dsf, transport = session_factory(desk), _transport(job, statements)
    ctx = Context(actor=f"clerk{job.desk}", terminal=f"desk-{job.desk}")
    made = [0]

    def check_in(n: int) -> None:
        with dsf.begin() as s:
            hotel = s.scalar(select(Venue.id).where(Venue.name == hotel_name(job.desk)))
            arrivals = [
                Arrival(
                    str(hotel),
                    ROOMS[(made[0] + k) % len(ROOMS)],
                    [TypedIdentity(number=number(job.desk, made[0] + k, job.salt), name=GUEST)],
                )
                for k in range(n)
            ]
            check_in_many(s, ctx, arrivals)
        made[0] += n

    check_in(1)  # warm-up (connections, statement caches): one check-in, its five items
    push_once(dsf, transport, None, ctx, PushReport(), 5)
    # Paced: the clerk's check-ins are made now, one commit each, and released at the pace
    # while the clock runs (a desk is another machine: its own check-in work does not belong
    # on the station's cores); full speed: a filled outbox.
    for _ in range(0, job.prefill, job.per_commit):
        if halt.is_set():  # the run was stopped (the service died): no window will follow
            break
        check_in(job.per_commit)
    queued = made[0] - 1
    out.put(("ready", job.desk, None))
    if not go.wait(timeout=job.startup + GRACE):
        raise TimeoutError("the other desks were not ready in time")
    rss_start, statements[0] = rss_mb(), 0
    stays_before = _accepted_stays(dsf)
    report, latencies, waits, desk_s = PushReport(), [], [], 0.0
    busy: list[str] = []  # answers that asked the desk to come back later (429/503/409)
    applied: list[tuple[float, float]] = []  # apply_batch inside each push: wall, CPU seconds
    real_apply = push_module.apply_batch

    def timed_apply(*args: Any, **kwargs: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        try:
            return real_apply(*args, **kwargs)
        finally:
            applied.append((time.perf_counter() - t, time.process_time() - c))

    push_module.apply_batch = timed_apply  # python mode: the station's share of a push
    wall_start, start, cpu_start = time.time(), time.perf_counter(), time.process_time()
    stop = start + job.seconds
    paced = made[0]  # check-ins made before the clock (prefill)
    def push_step() -> bool:
        """One push; whether it sent anything."""
        t = time.perf_counter()
        try:
            sent = push_once(dsf, transport, None, ctx, report, job.batch)
        except StationUnreachable as exc:  # busy or unreachable: the outbox backs off
            busy.append(str(exc)[:200])
            sent = 0
        done = time.perf_counter()
        if sent:
            latencies.append((done - t) * 1000)
        return bool(sent)

    def released(now: float) -> int:
        """Paced: the check-ins this desk's clerk has committed by ``now`` (the k-th at
        ``start + k / rate``); they were made before the clock, see ``_desk_run``."""
        return min(queued, int((now - start) * (job.rate or 0.0)))

    if job.rate:  # push what the clerk has committed so far, as the background push does
        pushed = 0  # check-ins sent (five items each, one commit each: never split)
        while time.perf_counter() < stop and not halt.is_set():
            due = released(time.perf_counter()) - pushed
            if due <= 0:
                time.sleep(min(0.05, max(0.0, start + (pushed + 1) / job.rate
                                          - time.perf_counter())))
                continue
            t = time.perf_counter()
            try:
                sent = push_once(dsf, transport, None, ctx, report,
                                 min(job.batch, due * ITEMS_PER_CHECKIN))
            except StationUnreachable as exc:  # busy or unreachable: back off, send again
                busy.append(str(exc)[:200])
                time.sleep(min(0.25, max(0.02, _next_due(dsf) or 0.02)))
                continue
            done = time.perf_counter()
            if sent:
                latencies.append((done - t) * 1000)
                for k in range(pushed, pushed + sent // ITEMS_PER_CHECKIN):
                    waits.append((done - (start + (k + 1) / job.rate)) * 1000)
                pushed += sent // ITEMS_PER_CHECKIN
        made[0] = paced + released(min(stop, time.perf_counter()))
    while not job.rate and time.perf_counter() < stop and not halt.is_set():
        with dsf() as s:
            waiting = s.scalar(
                select(sa.func.count()).where(OutboxItem.state.in_(("pending", "sent")))
            )
        if (waiting or 0) < job.batch:
            t = time.perf_counter()
            check_in(job.per_commit)
            desk_s += time.perf_counter() - t
            continue
        if not push_step():
            time.sleep(min(0.25, max(0.01, _next_due(dsf) or 0.01)))
    end = time.perf_counter()
    cpu = time.process_time() - cpu_start
    stays = _accepted_stays(dsf)
    result = {
        "start": wall_start,
        "seconds": end - start,
        "checkins": stays - stays_before,  # not the warm-up's (if its batch carried it)
        "made": made[0] - paced,
        "rejected": report.rejected,
        "items": report.sent,
        "latencies": latencies,
        "waits": waits,
        "busy": len(busy),
        "busy_example": busy[0] if busy else None,
        "apply_ms": [w * 1000 for w, _ in applied],
        "apply_cpu_s": sum(c for _, c in applied),
        "cpu_s": cpu,
        "statements": statements[0],
        "desk_seconds": desk_s,
        "rss_start": rss_start,
        "rss_end": rss_mb(),
    }
    desk.dispose()
    transport.close()
    return result


def _accepted_stays(dsf: sessionmaker[Session]) -> int:
    """Check-ins of this desk the station has accepted so far."""
    with dsf() as s:
        return int(s.scalar(
            select(sa.func.count()).where(
                OutboxItem.table_name == "stays",
                OutboxItem.state == "accepted",
                OutboxItem.done_at.is_not(None),
            )
        ) or 0)


def _next_due(dsf: sessionmaker[Session]) -> float | None:
    return push_module._next_due(dsf)


def run_intake(
    args: argparse.Namespace,
    station_url: str,
    desk_urls: list[str],
    service: Service | None = None,
    tokens: Sequence[str] = (),
    watch: Callable[[], None] | None = None,
) -> dict:
    """The desks' window; ``watch`` is called about once a second while it runs (server
    samples). A desk that dies is reported at once and the others go on; if the service
    dies the desks are stopped and the run ends (``aborted``: why)."""
    ctx = mp.get_context("spawn")
    out, go, halt = ctx.Queue(), ctx.Event(), ctx.Event()
    rate = args.rate / len(desk_urls) if args.rate else None
    jobs = [
        DeskJob(i, url, station_url, args.startup, args.seconds, args.prefill, args.per_commit,
                args.batch, args.salt, service.url if service else None,
                tokens[i] if service else None, rate)
        for i, url in enumerate(desk_urls)
    ]
    procs = [ctx.Process(target=_desk, args=(job, out, go, halt), daemon=True)
             for job in jobs]
    started = time.time()
    for p in procs:
        p.start()
    alarm = process_alarm(service.process, "the service", started) if service else None
    early = ready(procs, out, time.time() + args.startup, started=started, alarm=alarm)
    if alarm is not None and alarm():
        halt.set()  # no window: the desks report what they have and end
        say("no window: the desks are told to stop")
    else:
        say(f"the window opens: {len(procs) - len(early)} desk(s) ready after "
            f"{time.time() - started:.1f} s, {args.seconds:g} s")
    go.set()  # every desk filled its outbox (or the startup time is over): the clock starts
    return collect(procs, out, time.time() + args.seconds + GRACE, early, watch,
                   started=started, alarm=alarm, halt=halt)


# ------------------------------------------------------------------------------------ report


def _pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def summarize(run: dict[str, Any]) -> dict[str, Any]:
    desks = run["desks"].values()
    checkins = sum(d["checkins"] for d in desks)
    if desks:
        wall = max(d["start"] + d["seconds"] for d in desks) - min(d["start"] for d in desks)
    else:
        wall = float("nan")
    lat = [x for d in desks for x in d["latencies"]]
    out = {
        "checkins": checkins,
        "wall_s": wall,
        "rate": checkins / wall if desks and wall > 0 else 0.0,
        "batches": len(lat),
        "p50_ms": statistics.median(lat) if lat else float("nan"),
        "p99_ms": _pct(lat, 0.99),
        "failed": len(run["errors"]),
        "errors": {str(k): v for k, v in run["errors"].items()},
        "aborted": run.get("aborted"),  # why the run was stopped early (the service died)
    }
    if desks and "statements" in next(iter(desks)):
        waits = [x for d in desks for x in d["waits"]]
        out["wait_p50_ms"] = statistics.median(waits) if waits else float("nan")
        out["wait_p99_ms"] = _pct(waits, 0.99)
        out["made"] = sum(d["made"] for d in desks)
        out["busy_answers"] = sum(d["busy"] for d in desks)
        out["busy_example"] = next((d["busy_example"] for d in desks if d["busy_example"]), None)
        out["desk_cpu_s"] = sum(d["cpu_s"] for d in desks)
        out["statements_per_checkin"] = sum(d["statements"] for d in desks) / max(1, checkins)
        out["rejected_items"] = sum(d["rejected"] for d in desks)
        out["desk_seconds"] = sum(d["desk_seconds"] for d in desks)
        out["rss_start_mb"] = max(d["rss_start"] for d in desks)
        out["rss_end_mb"] = max(d["rss_end"] for d in desks)
        apply_ms = [x for d in desks for x in d["apply_ms"]]
        out["apply_p50_ms"] = statistics.median(apply_ms) if apply_ms else float("nan")
        out["apply_cpu_ms_per_checkin"] = (
            1000 * sum(d["apply_cpu_s"] for d in desks) / max(1, checkins)
        )
    return out


class Watch:
    """The server side of a window: CPU of the service's and PostgreSQL's process trees,
    the service's resident memory sampled every ``every`` seconds (its trend after
    ``warmup`` seconds: ``rss_trend``), and PostgreSQL's statement and transaction counts
    (pg_stat_statements when loaded, pg_stat_database)."""

    def __init__(
        self, url: str, service: Service | None, every: float = 2.0, warmup: float = 0.0
    ) -> None:
        self.url, self.service, self.every, self.warmup = url, service, every, warmup
        self.pg = postmaster_pid(url)
        self.rss: list[tuple[float, float]] = []
        self.last = 0.0
        self.waits: Counter[str] = Counter()  # what the active backends were doing, sampled
        self.engine = make_engine(url, poolclass=sa.pool.NullPool)

    def _counts(self) -> dict[str, float]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as c:
                row = c.execute(sa.text(
                    "SELECT xact_commit, tup_inserted FROM pg_stat_database "
                    "WHERE datname = current_database()")).one()
                counts = {"commits": float(row[0]), "inserted": float(row[1])}
                try:
                    with c.begin_nested():
                        counts["statements"] = float(c.execute(sa.text(
                            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                            "WHERE dbid = (SELECT oid FROM pg_database "
                            "WHERE datname = current_database())")).scalar_one())
                except sa.exc.DBAPIError:
                    pass
            return counts
        finally:
            engine.dispose()

    def top(self, n: int = 8) -> list[dict[str, Any]]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as c:
                rows = c.execute(sa.text(
                    r"SELECT calls, total_exec_time, left(regexp_replace(query, '\s+', ' ', 'g'),"
                    " 90) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database()) ORDER BY total_exec_time DESC "
                    "LIMIT :n"), {"n": n}).all()
            return [{"calls": r[0], "ms": round(r[1]), "query": r[2]} for r in rows]
        except sa.exc.DBAPIError:
            return []
        finally:
            engine.dispose()

    def begin(self) -> None:
        engine = make_engine(self.url)
        try:
            with engine.connect() as c, c.begin():
                c.execute(sa.text("SELECT pg_stat_statements_reset()"))
        except sa.exc.DBAPIError:
            pass
        finally:
            engine.dispose()
        self.counts0 = self._counts()
        self.t0 = time.perf_counter()
        self.pg_cpu0 = cpu_seconds(self.pg) if self.pg else float("nan")
        self.srv_cpu0 = cpu_seconds(self.service.process.pid) if self.service else float("nan")
        self.sample(force=True)

    def sample(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.service and self.service.process.poll() is not None:
            pass  # the service died (reported by the run): no memory left to sample
        elif self.service and (force or now - self.last >= self.every):
            self.last = now
            self.rss.append((now, tree_rss_mb(self.service.process.pid)))
        try:
            with self.engine.connect() as c:
                rows = c.execute(sa.text(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') "
                    "FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
                    "AND datname = current_database()")).scalars().all()
            self.waits.update(rows)
        except sa.exc.DBAPIError:
            pass

    def end(self) -> dict[str, Any]:
        self.sample(force=True)
        wall = time.perf_counter() - self.t0
        counts = self._counts()
        out: dict[str, Any] = {
            "wall_s": wall,
            "pg_cpu_s": (cpu_seconds(self.pg) - self.pg_cpu0) if self.pg else float("nan"),
            "server_cpu_s": (
                cpu_seconds(self.service.process.pid) - self.srv_cpu0
                if self.service and self.service.process.poll() is None else float("nan")
            ),
            "commits": counts["commits"] - self.counts0["commits"],
            "inserted": counts["inserted"] - self.counts0["inserted"],
            "top": self.top(),
            "pg_waits": dict(self.waits.most_common(8)),
        }
        if "statements" in counts and "statements" in self.counts0:
            out["statements"] = counts["statements"] - self.counts0["statements"]
        out.update(rss_trend([(t - self.t0, mb) for t, mb in self.rss], self.warmup))
        return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--desks", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--via", choices=("http", "python"), default="http",
                        help="http: the desks push to `laiqu serve` (default); python: each "
                        "desk applies its batches in the station's database (the entry point)")
    parser.add_argument("--workers", type=int, default=1, help="laiqu serve --workers")
    parser.add_argument("--upload-slots", type=int, default=None,
                        help="laiqu serve --upload-slots (per worker)")
    parser.add_argument("--upload-queue", type=int, default=None,
                        help="laiqu serve --upload-queue (per worker)")
    parser.add_argument("--rate", type=float, default=None,
                        help="paced: all desks' clerks together commit this many check-ins a "
                        "second (made before the clock, one commit each, released on "
                        "schedule: a desk's own work is on its own machine) and each desk "
                        "pushes what is committed; the wait from a check-in's commit to the "
                        "station's answer is reported (default: full speed from a filled "
                        "outbox)")
    parser.add_argument("--raw-seconds", type=float, default=None,
                        help="seconds of the raw COPY baseline (default: a third of --seconds; "
                        "0: none)")
    parser.add_argument("--batch", type=int, default=200, help="upload items per batch")
    parser.add_argument("--per-commit", type=int, default=40, help="check-ins per desk commit")
    parser.add_argument("--prefill", type=int, default=None,
                        help="check-ins queued per desk before the clock starts")
    parser.add_argument("--url", help="an empty or migrated station database (PostgreSQL); "
                        "default: a throw-away server")
    parser.add_argument("--salt", type=int, default=0, help="vary the ID numbers between runs")
    parser.add_argument("--startup", type=float, default=None,
                        help="seconds the desks get to start and fill their outbox")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds of the window after which the service counts as warm: "
                        "its memory's slope is judged from then on (default: a third of "
                        "--seconds)")
    parser.add_argument("--json", help="write the figures to this file as well")
    parser.add_argument("--quick", action="store_true", help="2 desks, 3 s: for the tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.desks, args.seconds, args.prefill = 2, 3.0, args.prefill or 40
        args.raw_seconds = args.raw_seconds if args.raw_seconds is not None else 1.0
    if args.raw_seconds is None:
        args.raw_seconds = max(1.0, args.seconds / 3)
    if args.warmup is None:
        args.warmup = args.seconds / 3
    # enough that the desks need not check guests in while the clock runs (that is desk work)
    if args.rate:  # what the clerks check in while the clock runs, one commit each
        args.prefill = math.ceil(args.rate * args.seconds / args.desks) + 1
        args.per_commit = 1
    elif args.prefill is None:
        args.prefill = int(600 * args.seconds / args.desks)
    args.startup = args.startup or 60.0 + args.prefill * args.desks / 100

    server = None
    url = args.url
    if url is None:
        from pgserver import PgServer

        server = PgServer(options="-c shared_preload_libraries=pg_stat_statements").start()
        url = server.url()
    try:
        figures = run_all(args, url)
    finally:
        if server is not None:
            server.stop()
    print(render(args, figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    a, b = figures["intake"], figures["raw"]
    return 1 if a["failed"] or b["failed"] or a.get("aborted") else 0  # a script can tell


def _serve_args(args: argparse.Namespace) -> list[str]:
    extra = []
    if args.upload_slots:
        extra += ["--upload-slots", str(args.upload_slots)]
    if args.upload_queue is not None:
        extra += ["--upload-queue", str(args.upload_queue)]
    return extra


def run_all(args: argparse.Namespace, url: str) -> dict[str, Any]:
    import tempfile

    engine = make_engine(url)
    upgrade(engine)
    sf = session_factory(engine)
    desks = list(range(args.desks))
    with sf.begin() as s:
        become_station(s)
        have = s.scalar(select(sa.func.count()).select_from(Venue))
    if not have:
        build_city(sf, desks)
    with sf() as s:
        hotels = [str(s.scalar(select(Venue.id).where(Venue.name == hotel_name(d))))
                  for d in desks]
    with engine.connect() as c:
        env = {
            "server": c.execute(sa.text("SHOW server_version")).scalar(),
            "synchronous_commit": c.execute(sa.text("SHOW synchronous_commit")).scalar(),
            "fsync": c.execute(sa.text("SHOW fsync")).scalar(),
            "core": str(Path(sys.modules["registry"].__file__ or "").parent),
            "via": args.via,
            "workers": args.workers,
        }
    try:
        with engine.begin() as c:
            c.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
    except sa.exc.DBAPIError:
        pass  # not loaded on that server: no statement counts
    engine.dispose()
    with tempfile.TemporaryDirectory(prefix="laiqu-intake-") as tmp:
        urls = desk_files(Path(tmp), desks)
        service, tokens = None, []
        if args.via == "http":
            tokens = desk_tokens(url, hotels)
            service = start_service(url, Path(tmp) / "serve.log", workers=args.workers,
                                    args=_serve_args(args))
            env["serve_idle_rss_mb"] = tree_rss_mb(service.process.pid)  # before any request
        try:
            watch = Watch(url, service, warmup=args.warmup)
            started = [False]

            def sample() -> None:
                if not started[0]:
                    watch.begin()  # the desks are past their prefill: the window opens
                    started[0] = True
                watch.sample()

            a = summarize(run_intake(args, url, urls, service, tokens, sample))
            a["server"] = watch.end() if started[0] else {}
        finally:
            if service is not None:
                code = stop_service(service)
                env["serve_exit"] = code
                env["serve_log"] = service.log_tail(600)
    a.update(_shares(a))
    # The run stops cleanly, without the baseline, once the service died or no desk is left.
    skip = ("the run was stopped: " + a["aborted"] if a["aborted"]
            else "no desk finished" if a["failed"] >= args.desks else None)
    if args.raw_seconds > 0 and skip is None:
        watch = Watch(url, None)
        watch.begin()
        b = summarize(run_raw(args, url, hotels))
        b["server"] = watch.end()
    else:
        b = {"rate": float("nan"), "checkins": 0, "wall_s": 0.0, "p50_ms": float("nan"),
             "p99_ms": float("nan"), "failed": 0, "errors": {}, "server": {},
             "skipped": skip if args.raw_seconds > 0 else "--raw-seconds 0"}
    ratio = a["rate"] / b["rate"] if b["rate"] else float("nan")
    return {"env": env, "intake": a, "raw": b, "ratio": ratio, "rate": args.rate,
            "desks": args.desks, "seconds": args.seconds, "batch": args.batch}


def desk_files(tmp: Path, desks: Sequence[int]) -> list[str]:
    """A migrated SQLite desk database with its own hotel for each desk; their URLs."""
    template = tmp / "desk.sqlite"
    urls = []
    for d in desks:
        path = tmp / f"desk{d}.sqlite"
        if d == desks[0]:
            first = make_engine(f"sqlite:///{template}")
            upgrade(first)
            first.dispose()  # checkpoints the WAL into the file copied below
        path.write_bytes(template.read_bytes())
        key = Path(f"{template}.audit-key")  # the audit chain's key travels with its file
        if key.exists():
            shutil.copy2(key, f"{path}.audit-key")
        desk = make_engine(f"sqlite:///{path}")
        build_city(session_factory(desk), [d])
        desk.dispose()
        urls.append(f"sqlite:///{path}")
    return urls


def _shares(a: dict[str, Any]) -> dict[str, Any]:
    """Where the time went: CPU milliseconds per check-in of the desks, the service and
    PostgreSQL, and PostgreSQL's statements and commits per check-in."""
    s, n = a.get("server") or {}, max(1, a["checkins"])
    out = {
        "desk_cpu_ms_per_checkin": 1000 * a.get("desk_cpu_s", float("nan")) / n,
        "server_cpu_ms_per_checkin": 1000 * s.get("server_cpu_s", float("nan")) / n,
        "pg_cpu_ms_per_checkin": 1000 * s.get("pg_cpu_s", float("nan")) / n,
        "pg_commits_per_checkin": s.get("commits", float("nan")) / n,
    }
    if "statements" in s:
        out["pg_statements_per_checkin"] = s["statements"] / n
    return out


def render(args: argparse.Namespace, f: dict[str, Any]) -> str:
    a, b, env = f["intake"], f["raw"], f["env"]
    s = a.get("server") or {}
    how = (f"{env['via']}: laiqu serve, {env['workers']} worker(s)" if env["via"] == "http"
           else "python entry point: each desk applies its batches in the station database")
    pace = f"paced at {args.rate:g} check-ins/s in all" if args.rate else "full speed"
    lines = [
        f"station intake: {args.desks} desks, {args.seconds:g} s, {pace}, batches of up to "
        f"{args.batch} items ({args.batch // 5} check-ins), {how}; PostgreSQL {env['server']} "
        f"(fsync={env['fsync']}, synchronous_commit={env['synchronous_commit']}), "
        f"core {env['core']}",
        f"  A laiqu  desk push → station: {a['rate']:8.1f} check-ins/s sustained "
        f"({a['checkins']} in {a['wall_s']:.1f} s), push latency p50 {a['p50_ms']:.1f} ms, "
        f"p99 {a['p99_ms']:.1f} ms, {a['batches']} batches",
    ]
    if args.rate:
        lines.append(
            f"    paced: {a.get('made', 0)} check-ins made; from a check-in's commit at the desk "
            f"to the station's answer: p50 {a.get('wait_p50_ms', 0):.1f} ms, "
            f"p99 {a.get('wait_p99_ms', 0):.1f} ms")
    lines += [
        f"    busy answers (503/429/409 with Retry-After, the desk backed off): "
        f"{a.get('busy_answers', 0)}; rejected items: {a.get('rejected_items', 0)}; desk "
        f"top-up time {a.get('desk_seconds', 0):.1f} s (not intake)",
        f"    CPU per check-in: desks {a.get('desk_cpu_ms_per_checkin', 0):.2f} ms, service "
        f"{a.get('server_cpu_ms_per_checkin', 0):.2f} ms, PostgreSQL "
        f"{a.get('pg_cpu_ms_per_checkin', 0):.2f} ms (window {s.get('wall_s', 0):.1f} s: "
        f"desks {a.get('desk_cpu_s', 0):.1f} s, service {s.get('server_cpu_s', 0):.1f} s, "
        f"PostgreSQL {s.get('pg_cpu_s', 0):.1f} s of CPU)",
        f"    PostgreSQL per check-in: {a.get('pg_statements_per_checkin', float('nan')):.2f} "
        f"statements, {a.get('pg_commits_per_checkin', 0):.3f} commits",
    ]
    if env["via"] == "http":
        lines += [
            f"    server RSS (laiqu serve and its workers): idle before any request "
            f"{env.get('serve_idle_rss_mb', float('nan')):.0f} MB; in the window "
            f"{rss_verdict(s)}",
            f"    serve exit code {env.get('serve_exit')}",
        ]
    else:
        lines += [
            f"    statements per check-in at the station: "
            f"{a.get('statements_per_checkin', 0):.2f}; apply_batch p50 "
            f"{a.get('apply_p50_ms', 0):.1f} ms a batch, "
            f"{a.get('apply_cpu_ms_per_checkin', 0):.2f} ms of client CPU a check-in",
            f"    RSS of the processes running apply_batch: start "
            f"{a.get('rss_start_mb', 0):.0f} MB, end {a.get('rss_end_mb', 0):.0f} MB",
        ]
    if s.get("pg_waits"):
        lines.append("    PostgreSQL's active backends, sampled once a second: " + ", ".join(
            f"{k} {v}" for k, v in s["pg_waits"].items()))
    for top in s.get("top", [])[:5]:
        lines.append(f"      {top['ms']:7d} ms {top['calls']:6d} calls  {top['query']}")
    bs = b.get("server") or {}
    lines += [
        f"  B raw COPY of the same rows:  {b['rate']:8.1f} check-ins/s "
        f"({b['checkins']} in {b['wall_s']:.1f} s), batch p50 {b['p50_ms']:.1f} ms, "
        f"p99 {b['p99_ms']:.1f} ms; PostgreSQL CPU "
        f"{1000 * bs.get('pg_cpu_s', float('nan')) / max(1, b['checkins']):.2f} ms a check-in",
        f"  ratio A/B (check-ins/s): {f['ratio']:.3f}",
        f"  failed desks: A {a['failed']}, B {b['failed']}",
    ]
    if b.get("skipped"):
        lines.insert(-2, f"    B not run: {b['skipped']}")
    if a.get("aborted"):
        lines.append(f"  RUN STOPPED: {a['aborted']}")
    if a.get("busy_example"):
        lines.append(f"    a busy answer: {a['busy_example']}")
    for side, x in (("A", a), ("B", b)):
        for desk, error in x["errors"].items():
            lines.append(f"    {side} desk {desk}: {error}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
