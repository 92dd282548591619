"""Helpers of the attack tests: logins of each kind on the test run's PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from registry.accounts import users
from registry.context import Context


def coordinator_login(
    sf: sessionmaker[Session], ctx: Context, jurisdiction: str, role: str = "coordinator"
) -> str:
    """A registered coordinator (or analyst) with a read-only login made by ``create_login``."""
    login = f"{role[:5]}_{uuid.uuid4().hex[:8]}"
    with sf.begin() as s:
        users.add_user(s, ctx, login, role, jurisdiction=jurisdiction)
        assert users.create_login(s, ctx, login, None)
    return login


def legacy_desk_login(sf: sessionmaker[Session], ctx: Context, venue: str) -> str:
    """A desk user's login made the 0005 way (``GRANT laiqu_user``), as an old station has."""
    login = f"desk_{uuid.uuid4().hex[:8]}"
    with sf.begin() as s:
        users.add_user(s, ctx, login, "desk", venue=venue)
        conn = s.connection()
        conn.exec_driver_sql(f'CREATE ROLE "{login}" LOGIN')
        conn.exec_driver_sql(f'GRANT laiqu_user TO "{login}"')
    return login


@contextmanager
def psql(pg_url: str, login: str) -> Iterator[psycopg2.extensions.connection]:
    """A plain psycopg2 connection as ``login``, autocommit: each statement stands alone."""
    url = make_url(pg_url)
    conn = psycopg2.connect(
        host=url.query.get("host") or url.host,
        port=url.query.get("port") or url.port,
        dbname=url.database,
        user=login,
    )
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def rows(conn: psycopg2.extensions.connection, sql: str, *args: object) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def refused(conn: psycopg2.extensions.connection, sql: str, *args: object) -> str:
    """The error PostgreSQL answers ``sql`` with; AssertionError when it is carried out."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
    except psycopg2.Error as exc:
        return str(exc)
    raise AssertionError(f"carried out: {sql}")
