"""Faults under load (issue #16), small: front desks (each its own SQLite file, registering
chip check-ins and check-outs through the use cases) push over HTTP to ``laiqu serve`` (a real
process) with their background push, while the service is killed with SIGKILL, or its
PostgreSQL server is stopped at once and started again. After the desks' retries every desk's
outbox is at the station exactly once, and ``audit verify`` passes on both sides.

The experiment is ``bench.faults.run`` (the same code as the large bench, smaller); the
assertions here also count both ends on their own.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import sqlalchemy as sa
from faultpg import StoppablePg

from bench.faults import Load, Outcome, free_port, migrated_database, report, run
from registry.db.engine import make_engine

LOAD = Load(desks=3, seconds=6.0, rate=5.0, every=0.2, drain=60.0, at=2.0, down=0.5, stay=2)


def _count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def _assert_whole(outcome: Outcome, station_url: str, work: Path) -> None:
    """Nothing lost, nothing twice, nothing left, both chains intact, the fault was felt."""
    report(outcome)  # the figures, shown when an assertion fails
    assert [r.error for r in outcome.desks] == [None] * LOAD.desks
    assert all(r.checkins > 1 for r in outcome.desks)  # the first one before the load
    assert sum(r.checkouts for r in outcome.desks) > 0
    assert outcome.faults and all(f.inflight >= 1 for f in outcome.faults)  # mid-push
    assert sum(r.failed for r in outcome.desks) >= 1  # the desks felt it and retried
    for check in outcome.checks:
        assert (check.lost, check.extra, check.duplicated, check.differ) == (0, 0, 0, 0), check
        assert (check.open, check.rejected) == (0, 0), check
        assert check.items == check.accepted == check.ledger > 0, check
        assert check.stays == check.station_stays > 0, check
        assert (check.persons_missing, check.events_missing) == (0, 0), check
        assert check.audit.startswith("ok"), check
    assert outcome.station_audit.startswith("ok"), outcome.station_audit
    assert outcome.service_errors == 0  # a fault is answered as such, never as a 500
    # both ends counted on their own
    desks = [f"sqlite:///{work / f'desk{d}.sqlite'}" for d in range(LOAD.desks)]
    left = "SELECT count(*) FROM stays WHERE checked_out_at IS NOT NULL"
    items = sum(_count(u, "SELECT count(*) FROM outbox WHERE state = 'accepted'") for u in desks)
    guests = sum(_count(u, "SELECT count(*) FROM stays") for u in desks)
    assert _count(station_url, "SELECT count(*) FROM sync_ledger") == items
    assert _count(station_url, "SELECT count(*) FROM sync_ledger WHERE result <> 'accepted'") == 0
    assert _count(station_url, "SELECT count(*) FROM stays") == guests
    assert _count(station_url, "SELECT count(*) FROM persons") == guests  # one stay a guest
    assert _count(station_url, left) == sum(_count(u, left) for u in desks)
    summary = outcome.summary()
    assert summary["good"] and summary["lost"] == summary["duplicated"] == 0
    for fault in summary["faults"]:
        assert fault["downtime_s"] < fault["recovery_s"] < math.inf  # every desk got through


def test_service_killed_mid_load(db_url: str, sqlite_template: Path, tmp_path: Path) -> None:
    outcome = run(db_url, tmp_path, LOAD, ["kill"], desk_template=sqlite_template, echo=print)
    _assert_whole(outcome, db_url, tmp_path)
    assert "--- start 2" in (tmp_path / "service.log").read_text()  # started again


@pytest.mark.postgres
def test_postgres_restarted_mid_load(sqlite_template: Path, tmp_path: Path) -> None:
    pg = StoppablePg()
    pg.port = free_port()  # its own socket directory: never in the session server's way
    pg.start()
    try:
        url = migrated_database(pg)
        outcome = run(url, tmp_path, LOAD, ["pgrestart"], pg=pg, desk_template=sqlite_template)
        _assert_whole(outcome, url, tmp_path)
        assert "database unavailable" in (tmp_path / "service.log").read_text()  # 503s
    finally:
        pg.stop()
