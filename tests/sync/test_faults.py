"""Faults with real processes: the desk's ``laiqu sync push`` killed mid-batch, the station's
PostgreSQL server stopped mid-batch and started again later. Afterwards every desk record is
at the station exactly once, with the same contents."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from dbtools import NOW
from faultpg import StoppablePg
from sqlalchemy import select
from sqlalchemy.orm import Session
from world import HOTEL, build, count, guests, snapshot_desk, snapshot_station

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Venue
from registry.db.schema import upgrade
from registry.sync.push import push

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


@pytest.fixture
def station_pg():
    server = StoppablePg()
    server.port = 5433  # beside the session's server, never in its way
    server.start()
    yield server
    server.stop()


def _ledger(url: str) -> int:
    engine = make_engine(url)
    try:
        return count(engine, "sync_ledger")
    except sa.exc.DBAPIError:
        return -1
    finally:
        engine.dispose()


def _push_process(desk_url: str, station_url: str, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LAIQU_DATABASE_URL": desk_url,
        "PYTHONPATH": str(ROOT),
        "LAIQU_NOW": "2026-06-15T12:00:00+08:00",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "sync",
            "push",
            "--to",
            station_url,
            "--batch",
            "15",
            *extra,
        ],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(pred, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_desk_killed_and_station_stopped_mid_batch(station_pg: StoppablePg, tmp_path: Path):
    ctx = Context("clerk", "desk-1", NOW)
    station_url = station_pg.url()
    station = make_engine(station_url)
    upgrade(station)
    build(session_factory(station), ctx)
    desk_url = f"sqlite:///{tmp_path / 'desk.sqlite'}"
    desk = make_engine(desk_url)
    upgrade(desk)
    hotel = build(session_factory(desk), ctx)
    guests(session_factory(desk), ctx, hotel, 80)
    queued = count(desk, "outbox")
    station.dispose()

    # 1. the desk process is killed in the middle of its pushing
    proc = _push_process(desk_url, station_url)
    _wait_for(lambda: _ledger(station_url) >= 30)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    first = _ledger(station_url)
    assert 0 < first < queued

    # 2. the station's server stops in the middle of a batch; the network comes back later
    proc = _push_process(desk_url, station_url, "--retry-for", "90")
    _wait_for(lambda: _ledger(station_url) > first + 30)
    station_pg.halt()
    time.sleep(1.5)
    station_pg.resume()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "尚待上报 0 条" in out

    # 3. nothing left, nothing twice: both ends compared
    push(session_factory(desk), station_url, ctx)  # a resend of everything changes nothing
    station = make_engine(station_url)
    assert count(station, "sync_ledger") == count(desk, "outbox") == queued
    with Session(station) as s:
        venue = s.scalar(select(Venue.id).where(Venue.name == HOTEL))
    at_desk, at_station = snapshot_desk(desk), snapshot_station(station, venue)
    for table in ("persons", "documents", "events"):
        assert at_station[table] == at_desk[table], table
    assert [r[1:] for r in at_station["stays"]] == [r[1:] for r in at_desk["stays"]]
    assert sorted(r[0] for r in at_station["stays"]) == sorted(r[0] for r in at_desk["stays"])
    assert count(station, "stays") == count(desk, "stays") == 80
    with desk.connect() as c:
        states = dict(c.execute(sa.text("SELECT state, count(*) FROM outbox GROUP BY state")).all())
    assert states == {"accepted": count(desk, "outbox")}
    station.dispose()
    desk.dispose()
