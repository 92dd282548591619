"""Declarative base, shared column types and naming conventions.

Identifiers are UUIDs, never sequences shared across shards (Citus-ready); instants are
stored in UTC and come back timezone-aware on both engines.

The model modules (``*_models.py``, ``models.py``, this one and ``voiding``) do without
``from __future__ import annotations``: their ``Mapped[...]`` annotations are then objects when
the class is built, not strings SQLAlchemy has to parse and evaluate again (some 15 % of what
mapping the tables costs at every start-up of the command line, issue 19).
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from sqlalchemy import DateTime, MetaData, String, TypeDecorator, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored as UTC (SQLite keeps no zone, so we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is stored; attach a zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


uuid_pk = Annotated[uuid.UUID, mapped_column(Uuid, primary_key=True, default=uuid.uuid4)]
instant = Annotated[datetime, mapped_column(UTCDateTime)]
code = Annotated[str, mapped_column(String(32))]


class Base(DeclarativeBase):
    """The one metadata every table of laiqu lives in."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


class HasId:
    id: Mapped[uuid_pk]


class HasCoLocatedId:
    """A row id that is unique by construction (UUIDv4) but not the table's primary key.

    Distributed tables (``registry.db.distribution``) have a primary key that starts with
    their distribution column, e.g. ``(person_id, id)``; the ORM still identifies a row by
    ``id`` alone (``session.get(Model, id)``), and a plain index keeps ``id`` look-ups fast.
    Each such model declares ``PrimaryKeyConstraint(<distribution column>, "id")``.
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4, index=True)
    __mapper_args__: ClassVar[dict[str, Any]] = {"primary_key": ["id"]}
