"""Fixtures of the station-service tests: the service as a real process on each engine
(``server``) and a front desk's own SQLite file (``desk_url``); helpers in servicekit.py."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servicekit import TOKENS, Server, prepare_station, start, stop


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    hotel, other, token = prepare_station(db_url)
    log = tmp_path / "server.log"
    url, process = start(db_url, log, args=("--max-body", "65536"))
    yield Server(
        url, db_url, log, process, hotel, other, token, {"clerk": token, "coord": TOKENS[db_url]}
    )
    stop(process)


@pytest.fixture
def desk_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A front desk's own SQLite file (it queues every registration for upload)."""
    path = tmp_path / "desk.sqlite"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"
