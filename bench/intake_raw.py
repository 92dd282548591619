"""The raw baseline of the intake benchmark: the same rows COPYed through the driver."""

from __future__ import annotations

import argparse
import csv
import io
import json
import multiprocessing as mp
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path[:1] != [str(ROOT)]:
    sys.path.insert(0, str(ROOT))  # this checkout's core, in the desk processes too

from bench.intake_common import (  # noqa: E402
    GRACE,
    GUEST,
    RAW_REGION,
    ROOMS,
    STATION,
    collect,
    number,
)
from registry.db.engine import make_engine  # noqa: E402
from registry.exchange import bulk  # noqa: E402


def _raw_columns() -> dict[str, tuple[str, ...]]:
    return {
        "persons": tuple(bulk.person_columns()),
        "documents": ("id", "person_id", "doc_type", "number", "long_term", "capture",
                      "created_at"),
        "stays": ("id", "person_id", "venue_id", "room", "jurisdiction_code", "party_id",
                  "checked_in_at", "capture", "document_id", "registered_by", "terminal",
                  "report_deadline", "reported_at"),
        "events": ("id", "occurred_at", "actor", "terminal", "action", "subject_kind",
                   "subject_id", "person_id", "jurisdiction_code", "detail"),
        "sync_ledger": ("venue_id", "item_id", "kind", "desk_id", "station_id", "result",
                        "applied_at"),
    }


def _raw_rows(cols: dict[str, tuple[str, ...]], venue: uuid.UUID, num: str, room: str
              ) -> dict[str, list[tuple[Any, ...]]]:
    now = datetime.now(UTC)
    pid, did, sid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    person = bulk.person_tuple({"number": num, "doc_type": "resident", "name": GUEST,
                                "category": "floating", "id": pid}, list(cols["persons"]), now)
    events = [
        (uuid.uuid4(), now, "clerk", "desk", "person.registered", "person", pid, pid, None,
         json.dumps({"capture": "manual"})),
        (uuid.uuid4(), now, "clerk", "desk", "stay.checked_in", "stay", sid, pid, STATION,
         json.dumps({"room": room, "venue": str(venue)})),
    ]
    ledger = [
        (venue, uuid.uuid4(), kind, uuid.uuid4(), station, "accepted", now)
        for kind, station in (("persons", pid), ("documents", did), ("stays", sid),
                              ("events", events[0][0]), ("events", events[1][0]))
    ]
    return {
        "persons": [person],
        "documents": [(did, pid, "resident", num, False, "manual", now)],
        "stays": [(sid, pid, venue, room, STATION, uuid.uuid4(), now, "manual", did, "clerk",
                   "desk", now, now)],
        "events": events,
        "sync_ledger": ledger,
    }


def _csv(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    return value


def _raw_desk(desk: int, url: str, venue: str, seconds: float, start_at: float, checkins: int,
              salt: int, out: Any) -> None:
    try:
        engine = make_engine(url)
        raw = engine.raw_connection()
        cur = raw.cursor()
        cols = _raw_columns()
        serial = [0]

        def one_batch() -> None:
            """One transaction: the rows of ``checkins`` check-ins, a COPY per table."""
            rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in cols}
            for k in range(checkins):
                num = number(desk, serial[0] + k, salt, RAW_REGION)
                one = _raw_rows(cols, uuid.UUID(venue), num, ROOMS[k % len(ROOMS)])
                for table, r in one.items():
                    rows[table] += r
            for table, table_rows in rows.items():
                buf = io.StringIO()
                writer = csv.writer(buf)
                for r in table_rows:
                    writer.writerow([_csv(v) for v in r])
                buf.seek(0)
                cur.copy_expert(
                    f"COPY {table} ({', '.join(cols[table])}) FROM STDIN WITH (FORMAT csv)", buf
                )
            raw.commit()
            serial[0] += checkins

        one_batch()  # warm-up: the first batch loads what a first use loads (pinyin tables)
        time.sleep(max(0.0, min(start_at - time.time(), GRACE)))
        latencies, made = [], 0
        wall_start, start = time.time(), time.perf_counter()
        while time.perf_counter() < start + seconds:
            t = time.perf_counter()
            one_batch()
            made += checkins
            latencies.append((time.perf_counter() - t) * 1000)
        report = {"start": wall_start, "seconds": time.perf_counter() - start,
                  "checkins": made, "latencies": latencies}
        out.put(("ok", desk, report))
        raw.close()
        engine.dispose()
    except BaseException as exc:
        out.put(("error", desk, f"{type(exc).__name__}: {str(exc)[:300]}"))


def run_raw(args: argparse.Namespace, station_url: str, hotels: list[str]) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + min(args.startup, 5.0)
    checkins = max(1, args.batch // 5)
    procs = [
        ctx.Process(target=_raw_desk, daemon=True,
                    args=(i, station_url, hotels[i], args.raw_seconds, start_at, checkins,
                          args.salt, out))
        for i in range(len(hotels))
    ]
    started = time.time()
    for p in procs:
        p.start()
    return collect(procs, out, start_at + args.raw_seconds + GRACE, started=started,
                   label="raw desk")
