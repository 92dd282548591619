"""Engines and sessions. Created by the caller (the CLI's main), never at import time."""

from __future__ import annotations

import logging
import os
import random
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from registry.db import folding

ENV_URL = "LAIQU_DATABASE_URL"
BUSY_WAIT = 120.0  # seconds a SQLite writer waits its turn in all before giving up
log = logging.getLogger(__name__)


def default_url() -> str:
    """The embedded SQLite file: $LAIQU_HOME/laiqu.sqlite, else under the XDG data dir."""
    home = os.environ.get("LAIQU_HOME")
    if home:
        base = Path(home)
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "laiqu"
    return f"sqlite:///{base / 'laiqu.sqlite'}"


def resolve_url(url: str | None = None) -> str:
    """The database URL: explicit, then $LAIQU_DATABASE_URL, then the embedded default."""
    return url or os.environ.get(ENV_URL) or default_url()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not pysqlite, begins transactions (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
    # The address fold of a search (registry.db.folding); PostgreSQL computes it in SQL.
    dbapi_connection.create_function(
        folding.SQLITE_FUNCTION, 1, folding.fold, deterministic=True
    )


def _sqlite_begin(conn: Any) -> None:
    """Begin explicitly, so SAVEPOINTs nest inside the transaction.

    pysqlite begins a transaction only before DML; a SAVEPOINT issued first starts one that its
    RELEASE commits, and a refused all-or-nothing import would keep rows. (SQLAlchemy's
    documented recipe, "Serializable isolation / Savepoints / Transactional DDL".)

    IMMEDIATE: every use case writes, if only its audit entry at commit. A WAL transaction
    that read first cannot become the writer once another connection has written since (it
    fails at once with "database is locked", busy_timeout or not): a desk would lose its
    check-in to its own upload thread. Begun as the writer, it waits its turn instead.
    """
    begin_waiting(conn)


def begin_waiting(conn: Any, wait: float = BUSY_WAIT) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock up to ``wait`` seconds in all.

    SQLite's busy handler sleeps in growing steps and is not fair: with eight processes
    writing one desk file, one of them can miss its turn for longer than ``busy_timeout`` and
    get "database is locked". Such a refusal (nothing was begun) is tried again until ``wait``
    has passed; the wait is logged once, in Chinese, as what it is: a busy database.
    """
    deadline = time.monotonic() + wait
    said = False
    while True:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            reason = str(exc.orig).lower()
            if ("locked" not in reason and "busy" not in reason) or time.monotonic() > deadline:
                raise
            if not said:
                said = True
                log.warning("数据库正忙（本机其他程序正在写入），正在排队等待…")
            time.sleep(random.uniform(0.005, 0.05))


def normalise(url: str) -> str:
    """``postgresql://…`` (no driver named) as ``postgresql+psycopg2://…``.

    SQLAlchemy 2.1 maps a bare ``postgresql`` URL to psycopg 3, while the project installs
    psycopg2 (pyproject.toml): a URL typed as ``--db postgresql://user@host/db`` must work.
    ``postgres://`` (libpq's short scheme) is accepted the same way.
    """
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg2://" + url.removeprefix(bare)
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys and a busy timeout.

    A PostgreSQL URL without a driver uses psycopg2 (``normalise``)."""
    url = normalise(resolve_url(url))
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
