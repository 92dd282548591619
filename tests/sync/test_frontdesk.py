"""The front desk pushes in the background and shows what is still pending."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from dbtools import NOW
from world import HOTEL, build, count

from cli.main import cli
from drivers.emulator import start_emulator
from registry.context import Context
from registry.db.engine import make_engine, session_factory

CTX = Context("clerk", "desk-1", NOW)


def test_frontdesk_uploads_in_the_background(desk_url, sqlite_template, tmp_path: Path):
    station_path = tmp_path / "station.sqlite"
    shutil.copy(sqlite_template, station_path)
    station = make_engine(f"sqlite:///{station_path}")
    desk = make_engine(desk_url)
    build(session_factory(station), CTX)
    build(session_factory(desk), CTX)
    emu = start_emulator(process=False)
    try:
        emu.present(0)
        runner = CliRunner(env={"LAIQU_NOW": "2026-06-15T10:00:00+08:00"})
        done = runner.invoke(
            cli,
            [
                "--db",
                desk_url,
                "frontdesk",
                "--venue",
                HOTEL,
                "--reader",
                f"serial://{emu.port}?baud=115200",
                "--count",
                "1",
                "--station",
                f"sqlite:///{station_path}",
                "--push-every",
                "0.2",
                "--json",
            ],
            input="101\n",
        )
    finally:
        emu.close()
    assert done.exit_code == 0, done.output
    assert "上报：" in done.stderr  # the pending line after the guest
    data = json.loads(done.stdout)
    assert data["uploads"]["pushed"] >= 4 and data["uploads"]["last_error"] is None
    assert count(station, "stays") == count(desk, "stays") == 1
    station.dispose()
    desk.dispose()
