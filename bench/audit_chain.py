"""Commits per second of N concurrent writers each appending audit entries, before and after
revision 0012 (issue #16): the single ``audit_head`` row locked from the append to COMMIT
(``--before``: another checkout, main by default) against entries staged unchained and
linked by one chainer at a time (this checkout).

    python -m bench.audit_chain --writers 8 --seconds 15            # a throw-away PostgreSQL
    python -m bench.audit_chain --writers 8 --before /work/main --url postgresql://…

Each writer is a process of its own running the checkout's code: a loop of transactions,
each writing one row of its own (``events``-like scratch table) and noting ``--entries``
audit entries through the unit of work, committed one after another for ``--seconds``.
Runs alternate before, after, after, before (``--rounds`` times), each on a fresh database;
prints the median commits/s of each side, the ratio, the backlog left for the chainer and
whether ``audit verify`` passes on every database.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.intake_common import exit_text

HERE = Path(__file__).resolve().parents[1]

WRITER = r"""
import json, sys, time, uuid
import sqlalchemy as sa
from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.privacy import audit

url, start, seconds, entries = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
engine = make_engine(url)
sf = session_factory(engine)
ctx = Context(actor="bench", terminal=f"w{uuid.uuid4().hex[:6]}")
ins = sa.text("INSERT INTO bench_rows (id, at) VALUES (:id, now())")
while time.time() < start:
    time.sleep(0.005)
commits, waits = 0, []
end = start + seconds
while time.time() < end:
    began = time.perf_counter()
    with sf.begin() as s:
        s.execute(ins, {"id": uuid.uuid4()})
        for n in range(entries):
            audit.note(s, ctx, "write", "bench.row", row=n)
    waits.append(time.perf_counter() - began)
    commits += 1
waits.sort()
if not waits:
    sys.exit("started after the clock had run out: raise the start-up allowance")
p50, p99 = waits[len(waits) // 2], waits[int(len(waits) * 0.99)]
print(json.dumps({"commits": commits, "p50": p50, "p99": p99}))
"""

SETUP = r"""
import sys
from registry.db.engine import make_engine
from registry.db.schema import upgrade
engine = make_engine(sys.argv[1])
upgrade(engine)
with engine.begin() as conn:
    conn.exec_driver_sql("CREATE TABLE bench_rows (id uuid PRIMARY KEY, at timestamptz)")
"""

VERIFY = r"""
import json, sys
from registry.db.engine import make_engine
from registry.privacy import audit
engine = make_engine(sys.argv[1])
with engine.connect() as conn:
    v = audit.verify(conn)
print(json.dumps({"ok": v.ok, "entries": v.entries, "problem": v.problem,
                  "pending": getattr(v, "pending", 0)}))
"""


def _python(code: str, root: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=root,
        env={**env, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        text=True,
    )


def _fresh(admin_url: str, name: str) -> str:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return (
        admin_url.replace("/postgres?", f"/{name}?", 1)
        if "/postgres?" in admin_url
        else (admin_url.rsplit("/", 1)[0] + f"/{name}")
    )


def run_side(root: Path, url: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """Migrate with ``root``'s code, run the writers, verify; the figures."""
    setup = _python(SETUP, root, url, env=env)
    if setup.wait() != 0:
        raise SystemExit(f"setup failed in {root}")
    start = time.time() + args.startup + 1.0 * args.writers  # a loaded machine starts slowly
    writers = [
        _python(WRITER, root, url, str(start), str(args.seconds), str(args.entries), env=env)
        for _ in range(args.writers)
    ]
    results, failed = [], 0
    for i, w in enumerate(writers):
        out, _ = w.communicate(timeout=args.seconds + 120)
        if w.returncode != 0:  # said at once, counted, and the exit code is 1
            print(f"writer {i} ({root.name}) died: {exit_text(w.returncode)}", file=sys.stderr,
                  flush=True)
            failed += 1
            continue
        results.append(json.loads(out.strip().splitlines()[-1]))
    commits = sum(r["commits"] for r in results)
    backlog = _backlog(url)
    verify = _python(VERIFY, root, url, env=env)
    out, _ = verify.communicate(timeout=600)
    return {
        "commits": commits,
        "per_second": commits / args.seconds,
        "p50_ms": 1000 * sorted(r["p50"] for r in results)[len(results) // 2] if results else None,
        "p99_ms": 1000 * max(r["p99"] for r in results) if results else None,
        "failed_writers": failed,
        "backlog_after": backlog,
        "verify": json.loads(out.strip().splitlines()[-1]) if out.strip() else None,
    }


def _backlog(url: str) -> int | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not conn.dialect.has_table(conn, "audit_pending"):
                return None
            return int(conn.scalar(sa.text("SELECT count(*) FROM audit_pending")) or 0)
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--entries", type=int, default=3, help="audit entries per commit")
    parser.add_argument(
        "--before",
        type=Path,
        default=Path("/work/main"),
        help="the checkout of before (locked head)",
    )
    parser.add_argument("--url", help="a PostgreSQL server's admin URL (default: a throw-away one)")
    parser.add_argument("--startup", type=float, default=5.0, help="seconds allowed to start")
    parser.add_argument("--rounds", type=int, default=1, help="ABBA rounds (4 runs each)")
    parser.add_argument("--json", help="write the figures to this file as well")
    args = parser.parse_args(argv)

    server = None
    admin_url = args.url
    if admin_url is None:
        sys.path.insert(0, str(HERE / "tests"))
        from pgserver import PgServer

        server = PgServer().start()
        admin_url = server.url()
    keydir = Path(tempfile.mkdtemp(prefix="laiqu-bench-key-"))
    env = {**os.environ, "LAIQU_AUDIT_KEY_FILE": str(keydir / "audit.key")}
    tag = uuid.uuid4().hex[:6]
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    roots = {"before": args.before, "after": HERE}
    try:
        for n in range(args.rounds):  # ABBA: the machine's drift falls on both sides
            for side in ("before", "after", "after", "before"):
                url = _fresh(admin_url, f"audit_{side}_{tag}_{n}_{len(runs[side])}")
                runs[side].append(run_side(roots[side], url, args, env))
    finally:
        if server is not None:
            server.stop()
    figures: dict[str, Any] = {
        "writers": args.writers,
        "seconds": args.seconds,
        "entries_per_commit": args.entries,
        "runs": runs,
    }
    for side, done in runs.items():
        rates = [r["per_second"] for r in done]
        figures[side] = statistics.median(rates)
        print(
            f"{side:6} median {figures[side]:8.1f} commits/s  runs "
            + " ".join(f"{x:.1f}" for x in rates)
            + f"  p50 {statistics.median(r['p50_ms'] or 0 for r in done):.1f} ms"
            + f"  failed writers {sum(r['failed_writers'] for r in done)}"
            + f"  backlog {[r['backlog_after'] for r in done]}"
            + f"  verify ok {all(r['verify'] and r['verify']['ok'] for r in done)}"
        )
    figures["ratio"] = figures["after"] / figures["before"] if figures["before"] else None
    print(
        f"ratio after/before: {figures['ratio']:.2f} ({args.writers} writers, "
        f"{args.entries} entries per commit, {args.seconds:.0f} s a run, ABBA x{args.rounds})"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    failed = sum(r["failed_writers"] for done in runs.values() for r in done)
    return 1 if failed else 0  # a writer that failed or died: the figures are short of it


if __name__ == "__main__":
    raise SystemExit(main())
