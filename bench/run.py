"""City-scale benchmarks: our layer against the raw engine, side by side in ABBA rounds.

    python bench/run.py --persons 1000000                  # SQLite and PostgreSQL
    python bench/run.py --persons 50000 --engines sqlite   # quick
    python bench/run.py --scale --engines postgresql       # 10 M persons (not run in CI)

Measures (performance.md §5): ID look-up (B2), name/pinyin/initials/address search (B3),
check-ins through ``registry.movements.stays.check_in_many`` (B1: one desk; several desks at
once, one check-in per transaction and ``--batch`` per transaction) and bulk import (B4). A is
our code, B the raw DB-API driver doing the same work; each measure runs A B B A for
``--rounds`` rounds and reports p50/p95/p99 of both and the ratio of medians. Results go to
``bench/results/`` as JSON and a Markdown table, with the machine and versions. PostgreSQL is
the throw-away server of ``tests/pgserver.py`` (fsync and synchronous_commit off: commit latency
is not measured).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402
from pgserver import PgServer  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bench.checkins import measure_checkins, measure_throughput  # noqa: E402
from bench.common import Measure, abba, fresh_numbers, raw_connection, timed  # noqa: E402
from bench.generate import generate  # noqa: E402
from registry.db.engine import make_engine, session_factory  # noqa: E402
from registry.db.models import Person  # noqa: E402
from registry.db.schema import upgrade  # noqa: E402
from registry.exchange import bulk  # noqa: E402
from registry.identity.ids import ric_check_digit  # noqa: E402
from registry.lookup import search  # noqa: E402
from registry.sync.station import become_station  # noqa: E402

RESULTS = ROOT / "bench" / "results"

# ----------------------------------------------------------------------------- setup

def _samples(sf: sessionmaker[Session], n: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    with sf() as s:
        total = s.scalar(sa.select(sa.func.count()).select_from(Person)) or 1
        rows = s.execute(
            sa.select(Person.number, Person.name, Person.name_pinyin, Person.name_initials,
                      Person.hukou_address)
            .where(Person.doc_type == "resident")
            .offset(rng.randrange(max(1, total - n)))
            .limit(n)
        ).all()
        addresses = s.scalars(sa.text("SELECT address FROM houses LIMIT 2000")).all()
    numbers = [r[0] for r in rows]
    misses = []
    for num in numbers[: n // 10]:
        first17 = num[:14] + f"{(int(num[14:17]) + 500) % 1000:03d}"
        misses.append(first17 + ric_check_digit(first17))
    rng.shuffle(numbers)
    return {
        "numbers": numbers[: n - len(misses)] + misses,
        "names": [r[1] for r in rows],
        "pinyin": [r[2].strip("|").split("|")[0] for r in rows],
        "initials": [r[3].strip("|").split("|")[0] for r in rows],
        "hukou": [r[4][-9:-3] for r in rows if r[4] and len(r[4]) > 10],
        "address": [a[6:14] for a in addresses],
        "suffix": [num[-6:] for num in numbers],
    }


# -------------------------------------------------------------------------- measures


def measure_id_lookup(engine: Engine, sf: sessionmaker[Session], s: dict[str, list[str]],
                      rounds: int) -> Measure:
    m = Measure("ID look-up (by_id_number vs raw SELECT)", "ms")
    numbers = s["numbers"][:1000]
    cols = ", ".join(c.name for c in Person.__table__.columns)
    raw = raw_connection(engine)
    mark = "%s" if engine.dialect.name == "postgresql" else "?"
    sql = f"SELECT {cols} FROM persons WHERE id_key = {mark}"
    cur = raw.cursor()
    keys = {n: search.id_key(n) for n in numbers}

    def a() -> list[float]:
        with engine.connect() as conn:  # one connection, like B's

            def one(n: str) -> None:
                search.by_id_number(conn, n)
                conn.rollback()

            return timed(one, numbers)

    def b() -> list[float]:
        def one(n: str) -> None:
            cur.execute(sql, (keys[n],))
            cur.fetchall()
            raw.rollback()
        return timed(one, numbers)

    a(), b()  # warm the cache
    abba(rounds, a, b, m)
    raw.close()
    m.note = ("both on one open connection, rolled back after each look-up; A normalises and "
              "validates the number, B gets the key precomputed; 10% misses")
    return m


def measure_search(engine: Engine, sf: sessionmaker[Session], s: dict[str, list[str]],
                   rounds: int) -> list[Measure]:
    out = []
    dialect = engine.dialect
    raw = raw_connection(engine)
    cur = raw.cursor()
    for kind in ("names", "pinyin", "initials", "hukou", "address", "suffix"):
        texts = s[kind][:150]
        m = Measure(f"search: {kind}", "ms")
        with sf() as session:
            plans = {
                t: [
                    str(q.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
                    for _match, q in search.queries(session, t, 20)
                ]
                for t in texts
            }

        def a(texts: list[str] = texts) -> list[float]:
            def one(text: str) -> None:
                with sf() as session:
                    search.search(session, text, 20)
            return timed(one, texts)

        def b(texts: list[str] = texts, plans: dict[str, list[str]] = plans) -> list[float]:
            def one(text: str) -> None:
                seen: set[Any] = set()  # as search does: a person found by two tiers counts once
                for sql in plans[text]:
                    cur.execute(sql)
                    seen.update(row[0] for row in cur.fetchall())
                    if len(seen) >= 20:
                        break
                raw.rollback()
            return timed(one, texts)

        a(), b()
        abba(rounds, a, b, m)
        m.note = ("B: the same tier SQL through the driver, literal binds, the same tiers run "
                  "(distinct hits counted, as search does); A in a fresh session")
        out.append(m)
    raw.close()
    return out

def measure_bulk(engine: Engine, rounds: int, rows_n: int, seed: int) -> Measure:
    m = Measure("bulk import (bulk_load_persons vs raw COPY/executemany)", "s")
    rng = random.Random(seed + 1)
    now = datetime.now(UTC)
    people = [
        {"number": n, "doc_type": "resident", "name": rng.choice("王李张刘陈") + "测试",
         "name_pinyin": "|wangceshi|", "name_initials": "|wcs|", "category": "floating",
         "gender": "1", "created_at": now}
        for n in fresh_numbers(engine, rng, rows_n, set())
    ]
    cols = bulk.person_columns()
    tuples = [bulk.person_tuple(p, cols, now) for p in people]
    table = bulk._table("persons")
    pg = engine.dialect.name == "postgresql"
    buffer = bulk.copy_buffer(table, cols, tuples) if pg else None
    params = None if pg else bulk.sqlite_params(table, cols, tuples)
    col_sql = ", ".join(cols)

    def a() -> list[float]:
        with engine.connect() as conn:
            t = time.perf_counter()
            bulk.bulk_load_persons(conn, people)
            took = time.perf_counter() - t
            conn.rollback()
        return [took]

    def b() -> list[float]:
        raw = raw_connection(engine)
        cur = raw.cursor()
        t = time.perf_counter()
        if pg:
            cur.copy_expert(f"COPY persons ({col_sql}) FROM STDIN", io.StringIO(buffer))
        else:
            marks = ", ".join("?" for _ in cols)
            cur.executemany(f"INSERT INTO persons ({col_sql}) VALUES ({marks})", params)
        took = time.perf_counter() - t
        raw.rollback()
        raw.close()
        return [took]

    abba(rounds, a, b, m)
    m.note = (f"{len(people):,} new persons into the loaded table with all its indexes, rolled "
              "back; B gets the rows already rendered")
    return m


# ------------------------------------------------------------------------------ goals


def goal(m: dict[str, Any]) -> tuple[str, bool | None]:
    """The goal of a measure (issue 16, performance.md §5) and whether this run met it (None:
    no goal). Ratios are A/B of the medians; p95 is A's."""
    name, a, ratio = m["name"], m["a"], m.get("ratio")
    if ratio is None:
        return "", None
    if name.startswith("ID look-up"):
        return "A p50 < 1 ms, A/B ≤ 2", a["p50"] < 1.0 and ratio <= 2
    if name.startswith("search:"):
        return "A/B ≤ 1.5, A p95 < 50 ms", ratio <= 1.5 and a["p95"] < 50.0
    if name.startswith("check-in, one desk"):
        return "A/B ≤ 3", ratio <= 3
    if name.startswith("check-ins per second") and "one check-in per" not in name:
        return "A ≥ 500/s", a["p50"] >= 500
    if name.startswith("bulk import"):
        return "A/B ≤ 2", ratio <= 2
    return "", None


def verdicts(r: dict[str, Any]) -> str:
    """One line per measure: A, B, the ratio and the goal, met or missed."""
    lines = [f"{r['engine']}, {r['persons']:,} persons:"]
    for m in r["measures"]:
        text, met = goal(m)
        verdict = "" if met is None else f"  goal {text}: {'met' if met else 'MISSED'}"
        lines.append(
            f"  {m['name']}: A p50 {m['a']['p50']:.3f} p95 {m['a']['p95']:.3f} {m['unit']}, "
            f"B p50 {m['b']['p50']:.3f} {m['unit']}, A/B {m.get('ratio', float('nan')):.2f}"
            + verdict
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------ main


def machine(engine: Engine | None = None) -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psycopg2

    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlalchemy": sa.__version__,
        "psycopg2": psycopg2.__version__.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }
    if engine is not None and engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            info["postgresql"] = conn.execute(sa.text("SHOW server_version")).scalar()
            for name in ("fsync", "synchronous_commit", "shared_buffers", "lc_ctype"):
                info[name] = conn.execute(sa.text(f"SHOW {name}")).scalar()
    elif engine is not None:
        with engine.connect() as conn:
            info["sqlite_synchronous"] = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            info["sqlite_journal_mode"] = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    return info


def run_engine(dialect: str, args: argparse.Namespace, server: PgServer | None,
               workdir: Path) -> dict[str, Any]:
    if args.database:
        return run_measures(dialect, args, args.database, None, 0.0)
    if dialect == "postgresql":
        assert server is not None
        admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE bench"))
        admin.dispose()
        url = server.url("bench")
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite'}"
    engine = make_engine(url)
    sf = session_factory(engine)
    upgrade(engine)
    with sf.begin() as session:
        # The city's registry is a station: it receives uploads and queues nothing upstream.
        become_station(session)
    t = time.perf_counter()
    stats = generate(engine, args.persons, args.seed)
    gen_seconds = time.perf_counter() - t
    print(f"[{dialect}] generated {sum(stats.rows.values()):,} rows in {gen_seconds:.0f} s",
          flush=True)
    engine.dispose()
    return run_measures(dialect, args, url, stats.rows, gen_seconds)


def run_measures(dialect: str, args: argparse.Namespace, url: str,
                 rows: dict[str, int] | None, gen_seconds: float) -> dict[str, Any]:
    """Every measure against the generated city at ``url`` (rows None: a city generated
    before this run, ``--database``)."""
    engine = make_engine(url)
    sf = session_factory(engine)
    persons = args.persons
    if rows is None:
        with sf() as s:
            persons = s.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
    samples = _samples(sf, 2000, args.seed)
    measures: list[Measure] = []
    wanted = set(args.measures.split(","))

    def done(m: Measure) -> None:
        measures.append(m)
        print(f"[{dialect}] {m.summary()}", flush=True)

    if "id" in wanted:
        done(measure_id_lookup(engine, sf, samples, args.rounds))
    for m in measure_search(engine, sf, samples, args.rounds) if "search" in wanted else ():
        done(m)
    if "checkin" in wanted:
        done(measure_checkins(engine, sf, args.rounds, args.checkins, args.seed))
    for batch in sorted({1, args.batch}) if args.desks > 1 and "desks" in wanted else ():
        done(measure_throughput(engine, sf, url, args.desks, args.checkins, args.rounds,
                                args.seed, batch))
    if "bulk" in wanted:
        done(measure_bulk(engine, args.rounds, args.bulk_rows, args.seed))
    result = {
        "engine": dialect,
        "persons": persons,
        "rows": rows or {},
        "generate_seconds": gen_seconds,
        "generate_rows_per_second": sum(rows.values()) / gen_seconds if rows else 0.0,
        "machine": machine(engine),
        "measures": [m.summary() for m in measures],
    }
    engine.dispose()
    return result


def markdown(results: list[dict[str, Any]]) -> str:
    lines = []
    for r in results:
        mach = r["machine"]
        lines.append(f"## {r['engine']}, {r['persons']:,} persons\n")
        lines.append(
            f"{mach['nproc']} CPU ({mach['cpu']}), Python {mach['python']}, SQLAlchemy "
            f"{mach['sqlalchemy']}, psycopg2 {mach['psycopg2']}, SQLite {mach['sqlite']}"
            + (f", PostgreSQL {mach['postgresql']} (fsync={mach['fsync']}, synchronous_commit="
               f"{mach['synchronous_commit']}, lc_ctype={mach['lc_ctype']})"
               if "postgresql" in mach else
               f", synchronous={mach.get('sqlite_synchronous')} "
               f"journal={mach.get('sqlite_journal_mode')}")
        )
        if r["rows"]:
            lines.append(
                f"\nGenerated {sum(r['rows'].values()):,} rows in {r['generate_seconds']:.0f} s "
                f"({r['generate_rows_per_second']:,.0f} rows/s).\n"
            )
        else:
            lines.append("\nA city generated before this run (`--database`).\n")
        lines.append(
            "| measure | unit | A p50 | A p95 | A p99 | B p50 | B p95 | A/B (p50) | goal |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for m in r["measures"]:
            a, b = m["a"], m["b"]
            text, met = goal(m)
            lines.append(
                f"| {m['name']} | {m['unit']} | {a['p50']:.3f} | {a['p95']:.3f} | "
                f"{a['p99']:.3f} | {b['p50']:.3f} | {b['p95']:.3f} | {m.get('ratio', 0):.2f} | "
                + (f"{text} — {'met' if met else 'missed'} |" if met is not None else " |")
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--scale", action="store_true", help="10 M persons (PostgreSQL)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checkins", type=int, default=250, help="check-ins per A or B block")
    parser.add_argument("--desks", type=int, default=4,
                        help="desk processes checking in at once (1: skip that measure)")
    parser.add_argument("--batch", type=int, default=20,
                        help="check-ins per transaction in the batched desks measure (1: skip)")
    parser.add_argument("--bulk-rows", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--measures", default="id,search,checkin,desks,bulk",
                        help="which measures to run, comma-separated (default: all)")
    parser.add_argument("--database", metavar="URL",
                        help="measure a city generated before (bench/generate.py) at this URL "
                        "instead of generating one; one engine only")
    args = parser.parse_args(argv)
    if args.scale:
        args.persons = 10_000_000
    engines = args.engines.split(",")
    if args.database:
        engines = [make_engine(args.database).dialect.name]
    results = []
    with tempfile.TemporaryDirectory(prefix="laiqu-bench-") as tmp:
        wanted = "postgresql" in engines and not args.database
        server = PgServer().start() if wanted else None
        try:
            for dialect in engines:
                results.append(run_engine(dialect, args, server, Path(tmp)))
        finally:
            if server is not None:
                server.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = args.out / f"{stamp}-{args.persons}"
    base.with_suffix(".json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    base.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))
    print("\n".join(verdicts(r) for r in results))
    failed = [m["name"] for r in results for m in r["measures"] if "FAILED desk runs" in m["note"]]
    if failed:  # the figures stand as printed; a script can tell that desks failed
        print(f"desk processes failed in: {'; '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
