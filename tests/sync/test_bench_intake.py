"""The intake benchmark runs end to end (no figures judged: timings belong to bench runs), and a
desk or a service that dies is reported at once, not waited for, and the exit code says so."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from dbtools import _drop_pg, _fresh_pg

from bench.checkins import Hotel, _city_rate

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("via", ["http", "python", "paced"])
def test_a_quick_intake_run_reports_every_figure(
    pg_server, pg_template, tmp_path: Path, via: str
) -> None:
    name, url = _fresh_pg(pg_server, pg_template)
    try:
        out = tmp_path / "intake.json"
        args = ["--quick", "--url", url, "--json", str(out), "--via", via]
        if via == "paced":  # 2 desks' clerks check in 20 guests a second, released on time
            args[-1:] = ["http", "--rate", "20"]
        run = subprocess.run(
            [sys.executable, "-m", "bench.intake", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert "check-ins/s" in run.stdout
    finally:
        _drop_pg(pg_server, name)
    figures = json.loads(out.read_text())
    a, b = figures["intake"], figures["raw"]
    assert a["failed"] == 0 and b["failed"] == 0, (a["errors"], b["errors"])
    assert a["checkins"] > 0 and b["checkins"] > 0 and a["batches"] > 0
    assert a["rejected_items"] == 0
    keys = ["rate", "p50_ms", "p99_ms", "desk_cpu_ms_per_checkin", "pg_cpu_ms_per_checkin",
            "pg_commits_per_checkin"]
    if via == "paced":  # every check-in released in the window was pushed and answered
        assert 40 <= a["made"] <= 80 and a["checkins"] >= a["made"] - 10, a
        assert len([1 for k in ("wait_p50_ms", "wait_p99_ms") if a[k] > 0]) == 2
        assert figures["env"]["via"] == "http"
    elif via == "python":  # the desk applies its batches: the station's share measured there
        keys += ["statements_per_checkin", "rss_start_mb", "rss_end_mb", "apply_p50_ms",
                 "apply_cpu_ms_per_checkin"]
    else:  # laiqu serve: its CPU and memory from /proc, sampled during the window
        keys += ["server_cpu_ms_per_checkin"]
        server = a["server"]
        assert server["rss_start_mb"] > 0 and server["rss_end_mb"] > 0, server
        assert server["rss_warm_mb"] > 0 and figures["env"]["serve_idle_rss_mb"] > 0
        assert "rss_flat" in server and len(server["rss_series"]) == server["rss_samples"]
        assert "server RSS" in run.stdout and "after the warm-up" in run.stdout
        assert figures["env"]["via"] == "http"
    for key in keys:
        assert a[key] > 0, key
    assert figures["ratio"] > 0


def test_a_desk_that_dies_is_reported_not_waited_for(desk_url: str) -> None:
    unknown = [Hotel(str(uuid.uuid4()), "440304001", ("101",)) for _ in range(2)]
    started = time.monotonic()
    rate, errors = _city_rate("a", desk_url, unknown, [["110105197001010003"]] * 2, 1)
    assert time.monotonic() - started < 60
    assert len(errors) == 2 and rate != rate  # NaN: no desk finished
    assert any("NotFound" in e for e in errors), errors


def _children(pid: int, mark: bytes) -> list[int]:
    """The processes ``pid`` started whose command line holds ``mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid and mark in cmdline:
            found.append(int(entry.name))
    return sorted(found)


@pytest.mark.parametrize("victim", ["desk", "service"])
def test_a_process_killed_mid_run_is_reported_at_once_and_fails_the_run(
    pg_server, pg_template, tmp_path: Path, victim: str
) -> None:
    """kill -9 of a desk: said on stderr within seconds, the other desk measures on, exit 1;
    of the service: the run stops within seconds although its window is a minute."""
    name, url = _fresh_pg(pg_server, pg_template)
    out, err, figures = tmp_path / "out.txt", tmp_path / "err.txt", tmp_path / "intake.json"
    seconds = 5 if victim == "desk" else 60
    try:
        with out.open("w") as stdout, err.open("w") as stderr:
            bench = subprocess.Popen(
                [sys.executable, "-m", "bench.intake", "--url", url, "--via", "http",
                 "--desks", "2", "--seconds", str(seconds), "--prefill", "40",
                 "--raw-seconds", "0", "--json", str(figures)],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=stdout, stderr=stderr,
            )
            try:
                mark = b"spawn_main" if victim == "desk" else b"serve"
                deadline = time.monotonic() + 90
                while "the window opens" not in err.read_text():
                    assert time.monotonic() < deadline and bench.poll() is None, err.read_text()
                    time.sleep(0.1)
                time.sleep(2.0)  # into the window: the desks are pushing
                target = _children(bench.pid, mark)[0]
                os.kill(target, signal.SIGKILL)
                killed = time.monotonic()
                said = r"desk \d died" if victim == "desk" else "the service died"
                while not re.search(said, err.read_text()):
                    assert time.monotonic() - killed < 5, err.read_text()
                    time.sleep(0.1)
                rc = bench.wait(timeout=45)
                took = time.monotonic() - killed
            finally:
                if bench.poll() is None:
                    bench.kill()
                    bench.wait()
    finally:
        _drop_pg(pg_server, name)
    text, report = err.read_text(), out.read_text()
    assert rc == 1, (text, report)
    assert "killed by signal 9 (SIGKILL) after" in text, text
    a = json.loads(figures.read_text())["intake"]
    if victim == "desk":  # the other desk measured its window; the dead one is counted
        assert took < seconds + 30, took
        assert a["failed"] == 1 and "killed by signal 9" in next(iter(a["errors"].values()))
        assert a["checkins"] > 0 and "failed desks: A 1" in report, report
    else:  # stopped long before the minute was over, the reason in the report
        assert took < 30, took
        assert a["aborted"].startswith("the service died: killed by signal 9"), a
        assert "RUN STOPPED: the service died" in report, report
