"""Database helpers shared by the test modules (conftest.py is not importable by name:
several conftest modules exist and pytest loads each as ``conftest``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from pgserver import PgServer
from sqlalchemy import Engine, event

ENGINES = os.environ.get("LAIQU_TEST_ENGINES", "sqlite,postgresql").split(",")
# A fixed instant: Monday 2026-06-15 10:00 in Shanghai.
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


def _fresh_pg(pg_server: PgServer, template: str) -> tuple[str, str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE {template}'))
    admin.dispose()
    return name, pg_server.url(name)


def _drop_pg(pg_server: PgServer, name: str) -> None:
    admin = sa.create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def table_counts(engine: Engine) -> dict[str, int]:
    """Row counts of every table: the before/after of a refused command."""
    from registry.db.base import Base

    with engine.connect() as conn:
        return {
            name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement sent through ``engine`` inside the block (an executemany once),
    whitespace folded; the list grows as they are sent."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        seen.append(" ".join(sql.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
