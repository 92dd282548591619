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
ratio A/B. A desk that fails is reported with its error; every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
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
    collect,
    hotel_name,
    number,
    ready,
    rss_mb,
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
from registry.sync.push import PushReport, push_once  # noqa: E402
from registry.sync.station import become_station  # noqa: E402


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
    station_url: str
    startup: float  # seconds a desk may take to start and fill its outbox
    seconds: float
    prefill: int
    per_commit: int
    batch: int
    salt: int


def _desk(job: DeskJob, out: Any, go: Any) -> None:
    """One desk process: fill the outbox, say it is ready, push from ``go`` until the window
    closes, report."""
    try:
        out.put(("ok", job.desk, _desk_run(job, out, go)))
    except BaseException as exc:
        out.put(("error", job.desk, f"{type(exc).__name__}: {str(exc)[:300]}"))


def _desk_run(job: DeskJob, out: Any, go: Any) -> dict[str, Any]:
    desk = make_engine(job.desk_url)
    station = make_engine(job.station_url)
    statements = [0]

    @event.listens_for(station, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        statements[0] += 1

    dsf, ssf = session_factory(desk), push_module.DatabaseTransport(engine=station)
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
    push_once(dsf, ssf, None, ctx, PushReport(), 5)
    for _ in range(0, job.prefill, job.per_commit):
        check_in(job.per_commit)
    out.put(("ready", job.desk, None))
    if not go.wait(timeout=job.startup + GRACE):
        raise TimeoutError("the other desks were not ready in time")
    rss_start, statements[0] = rss_mb(), 0
    report, latencies, desk_s = PushReport(), [], 0.0
    applied: list[tuple[float, float]] = []  # apply_batch inside each push: wall, CPU seconds
    real_apply = push_module.apply_batch

    def timed_apply(*args: Any, **kwargs: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        try:
            return real_apply(*args, **kwargs)
        finally:
            applied.append((time.perf_counter() - t, time.process_time() - c))

    push_module.apply_batch = timed_apply  # the station's share of a push, measured
    wall_start, start = time.time(), time.perf_counter()
    stop = start + job.seconds
    while time.perf_counter() < stop:
        with dsf() as s:
            waiting = s.scalar(
                select(sa.func.count()).where(OutboxItem.state.in_(("pending", "sent")))
            )
        if (waiting or 0) < job.batch:
            t = time.perf_counter()
            check_in(job.per_commit)
            desk_s += time.perf_counter() - t
            continue
        t = time.perf_counter()
        push_once(dsf, ssf, None, ctx, report, job.batch)
        latencies.append((time.perf_counter() - t) * 1000)
    end = time.perf_counter()
    with dsf() as s:
        stays = s.scalar(
            select(sa.func.count()).where(
                OutboxItem.table_name == "stays",
                OutboxItem.state == "accepted",
                OutboxItem.done_at.is_not(None),
            )
        )
    result = {
        "start": wall_start,
        "seconds": end - start,
        "checkins": int(stays or 0) - 1,  # the warm-up batch carried one stay
        "rejected": report.rejected,
        "items": report.sent,
        "latencies": latencies,
        "apply_ms": [w * 1000 for w, _ in applied],
        "apply_cpu_s": sum(c for _, c in applied),
        "statements": statements[0],
        "desk_seconds": desk_s,
        "rss_start": rss_start,
        "rss_end": rss_mb(),
    }
    desk.dispose()
    station.dispose()
    return result


def run_intake(args: argparse.Namespace, station_url: str, desk_urls: list[str]) -> dict:
    ctx = mp.get_context("spawn")
    out, go = ctx.Queue(), ctx.Event()
    jobs = [
        DeskJob(i, url, station_url, args.startup, args.seconds, args.prefill, args.per_commit,
                args.batch, args.salt)
        for i, url in enumerate(desk_urls)
    ]
    procs = [ctx.Process(target=_desk, args=(job, out, go), daemon=True) for job in jobs]
    for p in procs:
        p.start()
    early = ready(procs, out, time.time() + args.startup)
    go.set()  # every desk filled its outbox (or the startup time is over): the clock starts
    return collect(procs, out, time.time() + args.seconds + GRACE, early)


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
    }
    if desks and "statements" in next(iter(desks)):
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--desks", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--raw-seconds", type=float, default=None,
                        help="seconds of the raw COPY baseline (default: a third of --seconds)")
    parser.add_argument("--batch", type=int, default=200, help="upload items per batch")
    parser.add_argument("--per-commit", type=int, default=40, help="check-ins per desk commit")
    parser.add_argument("--prefill", type=int, default=None,
                        help="check-ins queued per desk before the clock starts")
    parser.add_argument("--url", help="an empty or migrated station database (PostgreSQL); "
                        "default: a throw-away server")
    parser.add_argument("--salt", type=int, default=0, help="vary the ID numbers between runs")
    parser.add_argument("--startup", type=float, default=None,
                        help="seconds the desks get to start and fill their outbox")
    parser.add_argument("--json", help="write the figures to this file as well")
    parser.add_argument("--quick", action="store_true", help="2 desks, 3 s: for the tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.desks, args.seconds, args.prefill = 2, 3.0, args.prefill or 40
        args.raw_seconds = args.raw_seconds or 1.0
    args.raw_seconds = args.raw_seconds or max(1.0, args.seconds / 3)
    # enough that the desks need not check guests in while the clock runs (that is desk work)
    if args.prefill is None:
        args.prefill = int(600 * args.seconds / args.desks)
    args.startup = args.startup or 60.0 + args.prefill * args.desks / 100

    server = None
    url = args.url
    if url is None:
        from pgserver import PgServer

        server = PgServer().start()
        url = server.url()
    try:
        figures = run_all(args, url)
    finally:
        if server is not None:
            server.stop()
    print(render(args, figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    return 0


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
        }
    engine.dispose()
    with tempfile.TemporaryDirectory(prefix="laiqu-intake-") as tmp:
        template = Path(tmp) / "desk.sqlite"
        urls = []
        for d in desks:
            path = Path(tmp) / f"desk{d}.sqlite"
            if d == 0:
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
        a = summarize(run_intake(args, url, urls))
    b = summarize(run_raw(args, url, hotels))
    ratio = a["rate"] / b["rate"] if b["rate"] else float("nan")
    return {"env": env, "intake": a, "raw": b, "ratio": ratio,
            "desks": args.desks, "seconds": args.seconds, "batch": args.batch}


def render(args: argparse.Namespace, f: dict[str, Any]) -> str:
    a, b, env = f["intake"], f["raw"], f["env"]
    lines = [
        f"station intake: {args.desks} desks, {args.seconds:g} s, batches of {args.batch} "
        f"items ({args.batch // 5} check-ins), PostgreSQL {env['server']} "
        f"(fsync={env['fsync']}, synchronous_commit={env['synchronous_commit']}), "
        f"core {env['core']}",
        f"  A laiqu  push → apply_batch: {a['rate']:8.1f} check-ins/s sustained "
        f"({a['checkins']} in {a['wall_s']:.1f} s), batch p50 {a['p50_ms']:.1f} ms, "
        f"p99 {a['p99_ms']:.1f} ms, {a['batches']} batches",
        f"    statements per check-in at the station: {a.get('statements_per_checkin', 0):.2f}; "
        f"rejected items: {a.get('rejected_items', 0)}; desk top-up time "
        f"{a.get('desk_seconds', 0):.1f} s (not intake)",
        f"    of which apply_batch (the station): p50 {a.get('apply_p50_ms', 0):.1f} ms a "
        f"batch, {a.get('apply_cpu_ms_per_checkin', 0):.2f} ms of client CPU a check-in "
        "(the rest of a push is the desk's: claim, payload, settle)",
        f"    RSS of the processes running apply_batch: start {a.get('rss_start_mb', 0):.0f} MB,"
        f" end {a.get('rss_end_mb', 0):.0f} MB (max over desks)",
        f"  B raw COPY of the same rows:  {b['rate']:8.1f} check-ins/s "
        f"({b['checkins']} in {b['wall_s']:.1f} s), batch p50 {b['p50_ms']:.1f} ms, "
        f"p99 {b['p99_ms']:.1f} ms",
        f"  ratio A/B (check-ins/s): {f['ratio']:.3f}",
        f"  failed desks: A {a['failed']}, B {b['failed']}",
    ]
    for side, s in (("A", a), ("B", b)):
        for desk, error in s["errors"].items():
            lines.append(f"    {side} desk {desk}: {error}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
