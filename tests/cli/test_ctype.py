"""Issue 18 item 10: a PostgreSQL database whose LC_CTYPE gives pg_trgm no trigrams for
Chinese is refused by ``laiqu init`` (and so by the migrations) with the fix, and nothing
is created in it. Real databases on the test run's server: one with ``LC_CTYPE 'C'``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from laiqu_helpers import Laiqu
from pgserver import PgServer

from registry.db.engine import make_engine
from registry.db.schema import upgrade
from registry.errors import Refused

pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("LAIQU_TEST_ENGINES", "sqlite,postgresql"),
    reason="PostgreSQL's LC_CTYPE",
)


def _database(server: PgServer, ctype: str) -> Iterator[str]:
    name = f"ctype_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                f"LC_CTYPE '{ctype}' LC_COLLATE '{ctype}'"
            )
        )
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def c_database(pg_server: PgServer) -> Iterator[str]:
    yield from _database(pg_server, "C")


def _tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_init_refuses_a_c_ctype_database(pg_server: PgServer, c_database: str) -> None:
    url = pg_server.url(c_database)
    result = Laiqu(url)("init", ok=False)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("错误：数据库不可用：数据库 ctype_")
    assert "LC_CTYPE）为 C" in lines[0] and "UTF-8" in lines[0] and "CREATE DATABASE" in lines[0]
    assert "Traceback" not in result.output
    assert _tables(url) == []  # refused before any migration ran
    with make_engine(url).connect() as conn:  # the probe's extension was rolled back
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
            ).scalar()
            == 0
        )


def test_migrations_refuse_it_too(pg_server: PgServer, c_database: str) -> None:
    engine = make_engine(pg_server.url(c_database))
    try:
        with pytest.raises(Refused, match="LC_CTYPE C"):
            upgrade(engine, "0001")
    finally:
        engine.dispose()
    assert _tables(pg_server.url(c_database)) == []


def test_a_utf8_ctype_database_is_accepted(pg_server: PgServer) -> None:
    for name in _database(pg_server, "C.UTF-8"):
        url = pg_server.url(name)
        Laiqu(url)("init")
        engine = make_engine(url)
        with engine.connect() as conn:
            trigrams = conn.execute(sa.text("SELECT show_trgm('阿不都热合曼')")).scalar()
        engine.dispose()
        assert trigrams
