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
