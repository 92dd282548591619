"""Alembic environment: runs on the engine handed over by ``registry.db.schema``."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Engine, create_engine

import registry.db.all_models  # noqa: F401  (registers every table on the metadata)
from registry.db import refcache
from registry.db.base import Base, UTCDateTime
from registry.db.engine import normalise, resolve_url
from registry.db.schema import require_trigrams
from registry.privacy import audit

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our column types as plain SQLAlchemy ones: migrations must not import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave the dialect-specific lookup objects of migration 0003 out of ``alembic check``:
    trigram and pattern indexes (``*_trgm``, ``*_lookup``) and the SQLite FTS5 tables
    (``*_fts`` and their shadow tables ``*_fts_*``)."""
    if type_ == "index" and name and name.endswith(("_trgm", "_lookup")):
        return False
    return not (type_ == "table" and name and ("_fts_" in name or name.endswith("_fts")))


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(normalise(resolve_url(config.get_main_option("sqlalchemy.url"))))
    return engine


def run_migrations() -> None:
    engine = _engine()
    with engine.connect() as connection:
        # Before any migration: PostgreSQL must split Chinese into trigrams (issue 18).
        require_trigrams(connection)
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # SQLite's procedure for schema changes: foreign keys off, checked after
            _pragma(connection, "PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_item=render_item,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        audit.forget_schema(engine)  # whether writers stage audit entries may have changed
        refcache.clear()  # whether reference_version exists, and what was cached, may have too
        if sqlite:
            broken = _pragma(connection, "PRAGMA foreign_key_check")
            _pragma(connection, "PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"foreign keys broken by a migration: {broken[:5]}")


def _pragma(connection: Any, sql: str) -> list[Any]:
    """Run a PRAGMA outside any transaction (SQLite ignores ``foreign_keys`` inside one)."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


if context.is_offline_mode():
    raise SystemExit("laiqu migrations run online only: use `laiqu init`")
run_migrations()
