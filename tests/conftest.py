"""Shared fixtures: databases built by ``alembic upgrade head`` on SQLite and on a real
PostgreSQL server this test run starts itself.

``engine`` is parametrised over both engines; each test gets a fresh database copied from a
migrated template (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).parent))
import checkout  # noqa: F401, I001  (this checkout's registry, not tests/registry: see there)

from dbtools import ENGINES, NOW, _drop_pg, _fresh_pg
from pgserver import PgServer

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.schema import upgrade


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reader", default=None, help="URL of a physical reader for hardware tests")


def reader_url(config: pytest.Config) -> str | None:
    try:
        url = config.getoption("--reader")
    except ValueError:  # option not registered when this conftest is not an initial one
        url = None
    return url or os.environ.get("LAIQU_TEST_READER")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if reader_url(config):
        return
    skip = pytest.mark.skip(reason="needs a physical reader: --reader URL")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def hardware_url(request: pytest.FixtureRequest) -> str:
    url = reader_url(request.config)
    assert url
    return url


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:
    admin = sa.create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("CREATE DATABASE laiqu_template"))
    admin.dispose()
    engine = make_engine(pg_server.url("laiqu_template"))
    upgrade(engine)
    engine.dispose()
    return "laiqu_template"


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "laiqu.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name, url = _fresh_pg(server, request.getfixturevalue("pg_template"))
    yield url
    _drop_pg(server, name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sf(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def ctx() -> Context:
    return Context(actor="tester", terminal="test-desk", now_fixed=NOW)
