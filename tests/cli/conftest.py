"""Fixtures for the ``laiqu`` command: a migrated SQLite file per test (PostgreSQL through
``db_url`` where a test asks for it), a CliRunner bound to it, a small city, valid numbers.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from laiqu_helpers import Laiqu, build_city


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "laiqu.sqlite"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def laiqu(sqlite_url: str) -> Laiqu:
    return Laiqu(sqlite_url)


@pytest.fixture
def city(laiqu: Laiqu) -> dict[str, str]:
    return build_city(laiqu)


Counts = Callable[[], dict[str, int]]


@pytest.fixture
def counts(sqlite_url: str) -> Counts:
    """Row counts of every table (before/after a refused command)."""
    import sqlalchemy as sa

    from registry.db.base import Base
    from registry.db.engine import make_engine

    def take() -> dict[str, int]:
        engine = make_engine(sqlite_url)
        try:
            with engine.connect() as conn:
                return {
                    name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    for name, t in Base.metadata.tables.items()
                }
        finally:
            engine.dispose()

    return take
