"""What the intake benchmark's parts share: the synthetic city, ID numbers, bounded waits."""

from __future__ import annotations

import queue
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path[:1] != [str(ROOT)]:
    sys.path.insert(0, str(ROOT))  # this checkout's core, in the desk processes too

from registry.identity.ids import ric_check_digit  # noqa: E402

CITY, DISTRICT, STATION = "4303", "430302", "430302001"
ROOMS = [str(r) for r in range(101, 141)]
RAW_REGION = "430304"  # the raw baseline's guests: never the same numbers as the desks'
GUEST = "测试客"
GRACE = 60.0  # seconds a desk may overrun its window (a batch, the final count) before it is
# given up on


def number(desk: int, i: int, salt: int = 0, region: str = "430302") -> str:
    """A valid resident number unique to (region, desk, i < 500,000): the birth day carries
    the desk."""
    born = date(1930, 1, 1) + timedelta(days=(desk + 16 * salt) % 64 * 500 + i // 1000)
    first17 = f"{region}{born:%Y%m%d}{i % 1000:03d}"
    return first17 + ric_check_digit(first17)


def hotel_name(desk: int) -> str:
    return f"测试旅馆{desk:02d}"


def rss_mb() -> float:
    """Resident set size of this process now, in MB (Linux /proc)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return float("nan")


def ready(procs: list[Any], out: Any, deadline: float) -> dict[int, str]:
    """Wait (bounded) until every desk is ready; the errors of desks that failed before."""
    ready: set[int] = set()
    errors: dict[int, str] = {}
    while len(ready) + len(errors) < len(procs) and time.time() < deadline:
        try:
            kind, desk, data = out.get(timeout=1.0)
        except queue.Empty:
            if all(not p.is_alive() for p in procs):
                break
            continue
        if kind == "ready":
            ready.add(desk)
        else:
            errors[desk] = str(data)
    return errors


def collect(
    procs: list[Any], out: Any, deadline: float, failed: dict[int, str] | None = None
) -> dict[str, Any]:
    """Every desk's report or error; a desk that dies silently or overruns is counted failed."""
    done: dict[int, Any] = {}
    errors: dict[int, str] = dict(failed or {})
    while len(done) + len(errors) < len(procs):
        left = deadline - time.time()
        if left <= 0:
            break
        try:
            kind, desk, data = out.get(timeout=min(left, 1.0))
        except queue.Empty:
            for i, p in enumerate(procs):
                if i not in done and i not in errors and not p.is_alive() and p.exitcode:
                    errors[i] = f"the process exited with code {p.exitcode}"
            continue
        if kind != "ready":  # a desk ready after the others had started
            (done if kind == "ok" else errors)[desk] = data
    for i, p in enumerate(procs):
        p.join(timeout=5)
        if p.is_alive():
            p.terminate()
            p.join(timeout=5)
            errors.setdefault(i, "did not finish in time: terminated")
        elif i not in done:
            errors.setdefault(i, f"no report (exit code {p.exitcode})")
    return {"desks": done, "errors": errors}
