"""Benchmark of the monthly report: time and peak memory for generated cities of two sizes.

For each size a city is generated (``bench/generate.py``, deterministic by seed) into a fresh
database, then the report (content + PDF) is built in a fresh subprocess, twice: once for the
time and the process's peak RSS (``resource.getrusage``), once under ``tracemalloc`` for the
peak of Python allocations. Flat memory means the peaks hardly change from the small city to
the large one; the target is under 30 s for 1 M persons (design.md, Performance).

    python bench/bench_report.py                               # PostgreSQL, 100k and 1M
    python bench/bench_report.py --engine sqlite --sizes 20000,100000
    python bench/bench_report.py --db postgresql+psycopg2://... --sizes 1000000 --no-generate
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CITY = "440300"
MONTH = "2026-05"


def measure(url: str, out: str, traced: bool) -> dict[str, Any]:
    """Build and render the report once in this process; the figures as a dict."""
    import resource
    import tracemalloc

    from bench.generate import NOW
    from registry.context import Context
    from registry.db.engine import make_engine, session_factory
    from reports.content import build_monthly
    from reports.fonts import font_chain
    from reports.pdf import render

    font_chain()  # registering the TrueType fonts is a one-off cost, not the report's
    engine = make_engine(url)
    ctx = Context(actor="bench", now_fixed=NOW)
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    with session_factory(engine)() as session:
        report = build_monthly(session, CITY, MONTH, ctx=ctx)
    built = time.perf_counter()
    render(report, out)
    done = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    engine.dispose()
    return {
        "content_s": built - started,
        "render_s": done - built,
        "total_s": done - started,
        "tracemalloc_peak_mb": peak / 2**20 if peak is not None else None,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "floating": report.totals.floating,
        "units": len(report.units) + 1,
    }


def _subprocess(url: str, out: Path, traced: bool) -> dict[str, Any]:
    args = [sys.executable, __file__, "--measure", url, "--out", str(out)]
    if traced:
        args.append("--traced")
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(f"report run failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _databases(engine: str, sizes: Sequence[int], workdir: Path) -> tuple[list[str], Any]:
    if engine == "sqlite":
        return [f"sqlite:///{workdir / f'city-{n}.sqlite'}" for n in sizes], None
    sys.path.insert(0, str(ROOT / "tests"))
    import sqlalchemy as sa
    from pgserver import PgServer

    server = PgServer().start()
    admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for n in sizes:
            conn.execute(sa.text(f"CREATE DATABASE city_{n}"))
    admin.dispose()
    return [server.url(f"city_{n}") for n in sizes], server


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--sizes", default="100000,1000000", help="persons, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", help="use this database (already generated) instead")
    parser.add_argument("--no-generate", action="store_true")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.out, args.traced)))
        return 0

    from bench.generate import generate

    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="laiqu-bench-report-"))
    server = None
    try:
        if args.db:
            urls = [args.db] * len(sizes)
        else:
            urls, server = _databases(args.engine, sizes, workdir)
        rows = []
        for n, url in zip(sizes, urls, strict=True):
            if not args.no_generate and not args.db:
                started = time.perf_counter()
                generate(url, n, args.seed)
                print(
                    f"generated {n:,} persons in {time.perf_counter() - started:.1f} s", flush=True
                )
            out = workdir / f"report-{n}.pdf"
            timed = _subprocess(url, out, traced=False)
            traced = _subprocess(url, out, traced=True)
            rows.append((n, timed, traced))
            print(
                f"{n:>10,} persons ({timed['floating']:,} floating, {timed['units']} units): "
                f"report {timed['total_s']:.2f} s (content {timed['content_s']:.2f} s, "
                f"PDF {timed['render_s']:.2f} s); peak RSS {timed['maxrss_mb']:.0f} MB; "
                f"tracemalloc peak {traced['tracemalloc_peak_mb']:.1f} MB",
                flush=True,
            )
        if len(rows) >= 2:
            (n0, t0, m0), (n1, t1, m1) = rows[0], rows[-1]
            print(
                f"x{n1 / n0:.0f} persons: time x{t1['total_s'] / t0['total_s']:.1f}, "
                f"tracemalloc peak x{m1['tracemalloc_peak_mb'] / m0['tracemalloc_peak_mb']:.2f}, "
                f"RSS x{t1['maxrss_mb'] / t0['maxrss_mb']:.2f}"
            )
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
