"""Bulk loading: many rows into one table, as fast as the engine allows.

PostgreSQL gets ``COPY … FROM STDIN`` through psycopg2's ``copy_expert``; SQLite gets one
``executemany`` per chunk. Both run inside the caller's transaction (a ``Connection``) or in one
transaction of their own (an ``Engine``). Values are plain Python (``uuid.UUID``, aware
``datetime``, ``date``, ``bool``, ``dict`` for JSON) and are written exactly as the ORM would
store them: on SQLite a ``Uuid`` is 32 hex digits, an instant a naive UTC string with
microseconds, a boolean 0/1; on PostgreSQL the text forms of COPY.

This path skips the use cases (no validation, no journal, no matchings): it is for imports
and generated data, which must be checked before they get here.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    Engine,
    Integer,
    LargeBinary,
    Table,
    Uuid,
)

from registry.db import models  # noqa: F401  (registers the tables on the metadata)
from registry.db.base import Base, UTCDateTime
from registry.identity import names

CHUNK = 50_000

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _pg_str(value: Any) -> str:
    return str(value).translate(_COPY_ESCAPES)


def _pg_instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given where an instant is stored; attach a zone")
    return value.isoformat()


def _sqlite_instant(value: datetime) -> str:
    """What SQLAlchemy stores for an instant on SQLite: naive UTC with microseconds."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is stored; attach a zone")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _uuid_hex(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).hex


def _pg_bytes(value: Any) -> str:
    return "\\\\x" + bytes(value).hex()


def _pg_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False).translate(_COPY_ESCAPES)


def _pg_converter(column_type: Any) -> str:
    """The name of the function (in ``_FUNCS``) that renders a value for COPY."""
    if isinstance(column_type, UTCDateTime):
        return "_pg_instant"
    if isinstance(column_type, Boolean):
        return "_pg_bool"
    if isinstance(column_type, JSON):
        return "_pg_json"
    if isinstance(column_type, LargeBinary):
        return "_pg_bytes"
    if isinstance(column_type, (Uuid, Date, Integer)):
        return "str"
    return "_pg_str"


def _sqlite_converter(column_type: Any) -> str | None:
    """The name of the function that gives SQLite's stored value (None: as it is)."""
    if isinstance(column_type, UTCDateTime):
        return "_sqlite_instant"
    if isinstance(column_type, Uuid):
        return "_uuid_hex"
    if isinstance(column_type, Boolean):
        return "int"
    if isinstance(column_type, JSON):
        return "json.dumps"
    if isinstance(column_type, Date):
        return "_isoformat"
    return None


_FUNCS: dict[str, Any] = {
    "_pg_instant": _pg_instant,
    "_pg_bool": lambda v: "t" if v else "f",
    "_pg_json": _pg_json,
    "_pg_bytes": _pg_bytes,
    "_pg_str": _pg_str,
    "_sqlite_instant": _sqlite_instant,
    "_uuid_hex": _uuid_hex,
    "_isoformat": lambda v: v.isoformat(),
    "json": json,
}


def _compile(source: str) -> Callable[[Sequence[Any]], Any]:
    # The source is built from our own column list, never from data.
    return eval(source, dict(_FUNCS))


def _table(name: str | Table) -> Table:
    return name if isinstance(name, Table) else Base.metadata.tables[name]


def _chunks(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def copy_line(table: Table, columns: Sequence[str]) -> Callable[[Sequence[Any]], str]:
    """A function rendering one row (in ``columns`` order) as a COPY text line."""
    parts = []
    for i, c in enumerate(columns):
        conv = _pg_converter(table.c[c].type)
        parts.append(f"('\\\\N' if r[{i}] is None else {conv}(r[{i}]))")
    return _compile("lambda r: '\\t'.join((" + ", ".join(parts) + ",)) + '\\n'")


def sqlite_row(table: Table, columns: Sequence[str]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function converting one row to the values SQLAlchemy would bind on SQLite."""
    parts = []
    for i, c in enumerate(columns):
        conv = _sqlite_converter(table.c[c].type)
        parts.append(f"r[{i}]" if conv is None else f"(None if r[{i}] is None else {conv}(r[{i}]))")
    return _compile("lambda r: (" + ", ".join(parts) + ",)")


def copy_buffer(table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The COPY text of ``rows`` (PostgreSQL), NULL as ``\\N``."""
    line = copy_line(table, columns)
    return "".join(map(line, rows))


def sqlite_params(
    table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """``rows`` converted to the values SQLAlchemy would bind on SQLite."""
    return list(map(sqlite_row(table, columns), rows))


def bulk_load(
    bind: Engine | Connection,
    table: str | Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    chunk: int = CHUNK,
) -> int:
    """Load tuples (in ``columns`` order) into ``table``; returns the number of rows."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            return bulk_load(conn, table, columns, rows, chunk=chunk)
    if not bind.in_transaction():
        # One transaction for all the rows (SQLite's driver would otherwise commit each
        # statement: laiqu's engine lets SQLAlchemy begin); the caller commits or rolls back.
        bind.begin()
    tbl = _table(table)
    dbapi = bind.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    cols = ", ".join(f'"{c}"' for c in columns)
    count = 0
    try:
        if bind.dialect.name == "postgresql":
            sql = f'COPY "{tbl.name}" ({cols}) FROM STDIN'
            for part in _chunks(rows, chunk):
                cursor.copy_expert(sql, io.StringIO(copy_buffer(tbl, columns, part)))
                count += len(part)
        else:
            marks = ", ".join("?" for _ in columns)
            sql = f'INSERT INTO "{tbl.name}" ({cols}) VALUES ({marks})'
            for part in _chunks(rows, chunk):
                cursor.executemany(sql, sqlite_params(tbl, columns, part))
                count += len(part)
    finally:
        cursor.close()
    return count


PERSON_COLUMNS = (
    "id",
    "id_key",
    "doc_type",
    "number",
    "name",
    "name_pinyin",
    "name_initials",
    "english_name",
    "gender",
    "ethnicity",
    "birth_date",
    "nationality",
    "hukou_address",
    "hukou_region",
    "phone",
    "category",
    "created_at",
    "updated_at",
)


def person_columns() -> tuple[str, ...]:
    """The columns ``bulk_load_persons`` writes (those of the migrated schema's model)."""
    table = _table("persons")
    extra = tuple(c.name for c in table.columns if c.name not in PERSON_COLUMNS)
    return PERSON_COLUMNS + extra


def person_tuple(row: Mapping[str, Any], columns: Sequence[str], now: datetime) -> tuple[Any, ...]:
    """One persons row in ``columns`` order, with derived columns filled in.

    ``number`` and ``doc_type`` are required and must already be normalised
    (``registry.identity.ids``); ``id_key``, pinyin forms, ``number_rev`` and timestamps are
    derived when absent.
    """
    values = dict(row)
    number, doc_type = values["number"], values["doc_type"]
    if values.get("id") is None:
        values["id"] = uuid.uuid4()
    values.setdefault("id_key", f"{doc_type}:{number}")
    if not values.get("name_pinyin") and "name_initials" not in values:
        values["name_pinyin"], values["name_initials"] = names.forms(values["name"])
    values.setdefault("name_pinyin", "")
    values.setdefault("name_initials", "")
    values.setdefault("gender", "0")
    values.setdefault("number_rev", number[::-1])
    values.setdefault("created_at", now)
    values.setdefault("updated_at", values["created_at"])
    return tuple(values.get(c) for c in columns)


def bulk_load_persons(
    bind: Engine | Connection, rows: Iterable[Mapping[str, Any]], *, chunk: int = CHUNK
) -> int:
    """Load persons given as mappings of column values; returns the number loaded.

    The CSV import and the benchmark generator both come through here.
    """
    columns = person_columns()
    now = datetime.now(UTC)
    return bulk_load(
        bind,
        "persons",
        columns,
        (person_tuple(r, columns, now) for r in rows),
        chunk=chunk,
    )
