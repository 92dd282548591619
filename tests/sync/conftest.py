"""Fixtures of the sync tests: a desk (its own SQLite file) beside the station (``db_url``)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def desk_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "desk.sqlite"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def second_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path):
    """A second fresh station database on the engine of ``db_url``."""
    from dbtools import _drop_pg, _fresh_pg

    if db_url.startswith("sqlite"):
        path = tmp_path / "second.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("pg_server")
    name, url = _fresh_pg(server, request.getfixturevalue("pg_template"))
    yield url
    _drop_pg(server, name)
