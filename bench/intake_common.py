"""What the intake benchmark's parts share: the synthetic city, ID numbers, bounded waits, the
station service as a process (``start_service``/``stop_service``, a desk token per hotel) and
the CPU and memory of process trees (/proc). Other benches (faults under load) reuse these."""

from __future__ import annotations

import os
import queue
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
HALT_WAIT = 15.0  # seconds the desks get to report once told to stop (the service died)


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


POLL = 0.5  # seconds between looks at the desk processes (and the service) while waiting


def exit_text(code: int | None) -> str:
    """How a process ended, from its exit code (negative: the signal that killed it)."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            name = f" ({signal.Signals(-code).name})"
        except ValueError:
            name = ""
        return f"killed by signal {-code}{name}"
    return f"exited with code {code}"


def say(line: str) -> None:
    """A line on stderr at once (a desk or the service died): the figures come at the end."""
    print(line, file=sys.stderr, flush=True)


def drain(out: Any, wait: float) -> list[tuple[str, int, Any]]:
    """What the desks said: waits up to ``wait`` seconds for the first message, then takes
    whatever else is already there."""
    got = []
    try:
        got.append(out.get(timeout=max(0.01, wait)))
        while True:
            got.append(out.get_nowait())
    except queue.Empty:
        pass
    return got


class Deaths:
    """The desk processes that died without a report, noticed within ``POLL`` seconds and
    reported on stderr at once ("desk 0 died: killed by signal 9 (SIGKILL) after 15.2 s")."""

    def __init__(self, procs: list[Any], started: float, label: str = "desk",
                 echo: Callable[[str], None] = say) -> None:
        self.procs, self.started, self.label, self.echo = procs, started, label, echo

    def check(self, out: Any, accounted: Callable[[int], bool],
              take: Callable[[tuple[str, int, Any]], None], errors: dict[int, str]) -> None:
        """Record in ``errors`` every desk not ``accounted`` for whose process has ended. What
        a desk said before it ended (its report, its error) is read first and stands."""
        dead = [i for i, p in enumerate(self.procs) if not accounted(i) and not p.is_alive()]
        if not dead:
            return
        for message in drain(out, 0.2):  # a report sent just before the exit
            take(message)
        for i in dead:
            if not accounted(i):
                after = time.time() - self.started
                text = exit_text(self.procs[i].exitcode)
                if self.procs[i].exitcode == 0:
                    text = "exited without a report (code 0)"
                errors[i] = f"the process died: {text} after {after:.1f} s"
                self.echo(f"{self.label} {i} died: {text} after {after:.1f} s")


def ready(
    procs: list[Any],
    out: Any,
    deadline: float,
    *,
    started: float | None = None,
    alarm: Callable[[], str | None] | None = None,
    label: str = "desk",
) -> dict[int, str]:
    """Wait (bounded) until every desk is ready; the errors of desks that failed or died
    before. Stops at once when ``alarm`` gives a reason (the service died)."""
    ready: set[int] = set()
    errors: dict[int, str] = {}
    deaths = Deaths(procs, time.time() if started is None else started, label)

    def take(message: tuple[str, int, Any]) -> None:
        kind, desk, data = message
        if kind == "ready":
            ready.add(desk)
        elif kind == "error":
            errors[desk] = str(data)
            say(f"{label} {desk} failed: {data}")

    while len(ready) + len(errors) < len(procs) and time.time() < deadline:
        for message in drain(out, min(POLL, deadline - time.time())):
            take(message)
        if alarm is not None and alarm():
            break
        deaths.check(out, lambda i: i in ready or i in errors, take, errors)
    return errors


def collect(
    procs: list[Any],
    out: Any,
    deadline: float,
    failed: dict[int, str] | None = None,
    watch: Callable[[], None] | None = None,
    *,
    started: float | None = None,
    alarm: Callable[[], str | None] | None = None,
    halt: Any = None,
    label: str = "desk",
) -> dict[str, Any]:
    """Every desk's report or error; a desk that dies is noticed within ``POLL`` seconds,
    reported on stderr and counted failed while the others go on; one that overruns is
    terminated. ``watch`` is called about once a second meanwhile (samples of the
    server). When ``alarm`` gives a reason (the service died) the desks are told to stop
    (``halt`` is set), their reports are awaited for ``HALT_WAIT`` seconds at most and the
    reason is returned as ``aborted``."""
    done: dict[int, Any] = {}
    errors: dict[int, str] = dict(failed or {})
    deaths = Deaths(procs, time.time() if started is None else started, label)
    aborted: str | None = None

    def take(message: tuple[str, int, Any]) -> None:
        kind, desk, data = message
        if kind == "ok":
            done[desk] = data
        elif kind == "error":
            errors[desk] = str(data)
            say(f"{label} {desk} failed: {data}")
        # "ready": a desk ready after the others had started

    def accounted(i: int) -> bool:
        return i in done or i in errors

    watched = 0.0
    while not all(accounted(i) for i in range(len(procs))):
        left = deadline - time.time()
        if left <= 0:
            break
        if watch is not None and time.monotonic() - watched >= 1.0:
            watched = time.monotonic()
            watch()
        for message in drain(out, min(left, POLL)):
            take(message)
        if aborted is None and alarm is not None and (aborted := alarm()):
            if halt is not None:
                halt.set()
            deadline = min(deadline, time.time() + HALT_WAIT)
        deaths.check(out, accounted, take, errors)
    # A desk that reported may still be exiting (slow on a loaded machine): its report stands.
    quit_by = time.time() + 15.0
    for i, p in enumerate(procs):
        p.join(timeout=max(0.1, quit_by - time.time()))
        if p.is_alive():
            p.terminate()
            p.join(timeout=5)
            if i not in done:
                errors.setdefault(i, "did not finish in time: terminated")
        elif i not in done:
            errors.setdefault(i, f"no report ({exit_text(p.exitcode)})")
    return {"desks": done, "errors": errors, "aborted": aborted}


def process_alarm(process: subprocess.Popen[bytes], what: str, started: float,
                  echo: Callable[[str], None] = say) -> Callable[[], str | None]:
    """A check for ``ready``/``collect``: None while ``process`` runs; once it has ended,
    "<what> died: killed by signal 9 (SIGKILL) after 12.3 s" (said on stderr once)."""
    reason: list[str] = []

    def check() -> str | None:
        if not reason and process.poll() is not None:
            reason.append(f"{what} died: {exit_text(process.returncode)} after "
                          f"{time.time() - started:.1f} s")
            echo(reason[0])
        return reason[0] if reason else None

    return check


# ------------------------------------------------------------- the station service, as a process


@dataclass
class Service:
    """``laiqu serve`` on 127.0.0.1 in front of a station database (see ``start_service``)."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 2000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_service(
    db_url: str,
    log: Path,
    *,
    workers: int = 1,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Service:
    """Start ``laiqu serve`` (this checkout's) on a free port; return once it answers.

    ``args``: more ``laiqu serve`` options (``--upload-slots``…). Raises ``RuntimeError`` with
    the server's log when it exits or does not answer within ``timeout`` seconds (bounded).
    """
    port = free_port()
    with log.open("wb") as stream:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--port", str(port),
             "--workers", str(workers), "--log-level", "warning", *args],
            env={**os.environ, "PYTHONPATH": str(ROOT), "LAIQU_DATABASE_URL": db_url,
                 **(env or {})},
            cwd=str(ROOT),
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    service = Service(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                pass
            import httpx  # only the service's callers need it

            if httpx.get(f"{service.url}/api/v1/openapi.json", timeout=5).is_success:
                return service
        except OSError:
            pass
        except Exception:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_service(service)
            raise RuntimeError(f"laiqu serve did not start: {service.log_tail()}")
        time.sleep(0.2)


def stop_service(service: Service, wait: float = 15.0) -> int | None:
    """SIGTERM, then SIGKILL after ``wait`` seconds; the exit code."""
    process = service.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode


def desk_tokens(db_url: str, hotels: Sequence[str]) -> list[str]:
    """A desk user (``desk00``…) of each hotel at the station and its device token (the
    credential a desk uploads with)."""
    from sqlalchemy import select

    from registry.accounts import credentials, users
    from registry.context import Context
    from registry.db.access_models import RegistryUser
    from registry.db.engine import make_engine, session_factory

    admin = Context("bench", "bench-setup")
    engine = make_engine(db_url)
    tokens = []
    try:
        with session_factory(engine).begin() as s:
            for d, hotel in enumerate(hotels):
                login = f"desk{d:02d}"
                if s.scalar(select(RegistryUser.id).where(RegistryUser.login == login)) is None:
                    users.add_user(s, admin, login, "desk", venue=hotel)
                tokens.append(credentials.issue_token(s, admin, login, f"前台{d}号机"))
    finally:
        engine.dispose()
    return tokens


# ---------------------------------------------------------------------- processes' CPU and memory


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from 3 (state) on


def tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of ``pid``'s process tree, finished children included."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree(pid):
        if fields := _stat(p):
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / tick


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid``'s process tree, in MB (its workers included)."""
    total = 0
    for p in tree(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1])
        except OSError:
            continue
    return total * resource.getpagesize() / 2**20


def postmaster_pid(db_url: str) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine (None if not)."""
    import sqlalchemy as sa

    from registry.db.engine import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as c:
            backend = int(c.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
        fields = _stat(backend)
    finally:
        engine.dispose()
    return int(fields[1]) if fields else None


# ------------------------------------------------------------------- the service's memory trend

FLAT_MB_PER_MIN = 1.0  # "flat": after the warm-up, resident memory grows slower than this
MIN_TREND_SPAN = 20.0  # seconds of samples after the warm-up needed to judge a slope


def rss_trend(samples: Sequence[tuple[float, float]], warmup: float) -> dict[str, Any]:
    """The service's resident memory over a window, judged honestly.

    ``samples``: (seconds since the window opened, MB), in time order. ``warmup``: seconds
    after which the process is taken as warm (lazily loaded tables, SQLAlchemy's and
    pydantic's caches, the allocator's arenas filled). Returns MB figures ``rss_start_mb``,
    ``rss_warm_mb`` (first sample at or after ``warmup``), ``rss_end_mb``, ``rss_max_mb``,
    ``rss_slope_mb_per_min`` (least squares over the samples from ``warmup`` on, NaN with
    fewer than 3 of them), ``rss_flat`` (True: slope ≤ ``FLAT_MB_PER_MIN``; False: above;
    None: fewer than ``MIN_TREND_SPAN`` seconds after the warm-up, too short to tell),
    ``rss_warmup_s`` and the samples themselves (``rss_series``). Nothing is dropped: the
    start and the warm-up growth are reported beside the slope.
    """
    if not samples:
        return {}
    values = [mb for _, mb in samples]
    after = [(t, mb) for t, mb in samples if t >= warmup]
    slope = float("nan")
    if len(after) >= 3:
        mt = sum(t for t, _ in after) / len(after)
        mm = sum(mb for _, mb in after) / len(after)
        var = sum((t - mt) ** 2 for t, _ in after)
        if var > 0:
            slope = 60 * sum((t - mt) * (mb - mm) for t, mb in after) / var
    span = after[-1][0] - after[0][0] if after else 0.0
    flat = None if span < MIN_TREND_SPAN or slope != slope else slope <= FLAT_MB_PER_MIN
    return {
        "rss_start_mb": values[0],
        "rss_warm_mb": after[0][1] if after else float("nan"),
        "rss_end_mb": values[-1],
        "rss_max_mb": max(values),
        "rss_samples": len(values),
        "rss_warmup_s": warmup,
        "rss_trend_s": span,
        "rss_slope_mb_per_min": slope,
        "rss_flat": flat,
        "rss_series": [[round(t, 1), round(mb, 1)] for t, mb in samples],
    }


def rss_verdict(trend: dict[str, Any]) -> str:
    """One line on ``rss_trend``'s figures: start, after warm-up, end, max, slope, verdict."""
    if "rss_flat" not in trend:  # no samples (the service died before the window)
        return "no samples"
    flat = trend["rss_flat"]
    verdict = {
        True: "flat",
        False: "NOT flat",
        None: f"too short to judge (needs {MIN_TREND_SPAN:g} s after the warm-up)",
    }[flat]
    return (
        f"start {trend['rss_start_mb']:.0f} MB, after {trend['rss_warmup_s']:g} s of warm-up "
        f"{trend['rss_warm_mb']:.0f} MB, end {trend['rss_end_mb']:.0f} MB, max "
        f"{trend['rss_max_mb']:.0f} MB ({trend['rss_samples']} samples); after the warm-up "
        f"{trend['rss_slope_mb_per_min']:+.2f} MB/min over {trend['rss_trend_s']:.0f} s: "
        f"{verdict} (flat: at most {FLAT_MB_PER_MIN:g} MB/min after the warm-up)"
    )
