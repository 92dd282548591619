"""The schema is created and changed only through the Alembic migrations in ``migrations/``."""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, SAWarning

import migrations
from registry.errors import Refused

# A Chinese string pg_trgm must split into trigrams (it has none under a non-UTF-8 LC_CTYPE).
TRIGRAM_PROBE = "阿不都热合曼"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs the shipped migrations on the given engine."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the database (``alembic upgrade head``).

    Raises ``Refused`` before any migration runs when PostgreSQL cannot index Chinese text
    (``require_trigrams``, called by ``migrations/env.py``), also when already at head.

    A new SQLite file is created readable by its owner only (0600, as the audit key and the
    exports): a desk's database holds full ID numbers (PIPL Art. 51); SQLite gives its
    ``-wal`` and ``-shm`` files the same mode.
    """
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        with contextlib.suppress(FileExistsError):
            os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    command.upgrade(alembic_config(engine), revision)


def require_trigrams(conn: Connection) -> None:
    """Raise ``Refused`` if pg_trgm extracts no trigram from Chinese text (PostgreSQL only).

    pg_trgm takes the letters of a word from the database's ``LC_CTYPE``: under ``C`` (or
    any non-UTF-8 character type) Chinese characters are not letters, ``show_trgm`` returns
    nothing, every trigram index answers with every row and name search reads the whole
    table (issue 18: 8-30 times slower). The fix is a database created with a UTF-8
    ``LC_CTYPE`` (``CREATE DATABASE laiqu TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE
    'C.UTF-8' LC_CTYPE 'C.UTF-8'``). The probe runs in a transaction rolled back afterwards
    (it may have to create the extension); a role that may not create it is not checked
    here (migration 0003 then fails on its own).
    """
    if conn.dialect.name != "postgresql":
        return
    outer = conn.in_transaction()
    trans = conn.begin_nested() if outer else conn.begin()
    try:
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DBAPIError:
            return
        count = conn.exec_driver_sql(
            "SELECT coalesce(array_length(show_trgm(%(probe)s), 1), 0)", {"probe": TRIGRAM_PROBE}
        ).scalar()
        database, ctype = conn.exec_driver_sql(
            "SELECT datname, datctype FROM pg_database WHERE datname = current_database()"
        ).one()
    finally:
        trans.rollback()
    if not count:
        raise Refused(
            f"database {database} has LC_CTYPE {ctype}: pg_trgm finds no trigrams in Chinese "
            "text; create the database with a UTF-8 LC_CTYPE"
        )


def check(engine: Engine) -> None:
    """Raise if the models and the migrations differ (``alembic check``).

    SQLite's reflection skips the expression indexes of migration 0015 with a warning; they
    are lookup indexes ``alembic check`` leaves out anyway (``migrations/env.py``).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"Skipped unsupported reflection of expression-based index \w+_lookup",
            category=SAWarning,
        )
        command.check(alembic_config(engine))


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
