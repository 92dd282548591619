"""Write new rows now, in a given order, with one Core INSERT each: the check-in hot path.

The unit of work orders INSERTs across mappers only through ``relationship()``, which the
Citus-ready models avoid (no foreign keys across co-location groups, no ORM graph). A person,
their document and their stay therefore needed a flush each; a flush costs far more Python
than the statement it sends. Here each object becomes one prepared INSERT, sent in the order
given, and is then kept in the session as a loaded, persistent object: the caller uses it like
any other (attribute reads never go back to the database, later changes flush as UPDATEs).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

Filler = Callable[[], Any]


@cache
def _plan(cls: type) -> tuple[Insert, tuple[tuple[str, str, Filler | None], ...]]:
    """The INSERT of a mapped class and, per column, its attribute and its default."""
    mapper = inspect(cls)
    table = mapper.local_table
    assert isinstance(table, Table)
    columns = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        default = column.default
        filler: Filler | None = None
        if default is not None and default.is_scalar:
            value = default.arg  # type: ignore[attr-defined]
            filler = lambda value=value: value  # noqa: E731
        elif default is not None and default.is_callable:
            fn = default.arg  # type: ignore[attr-defined]
            filler = lambda fn=fn: fn(None)  # noqa: E731
        columns.append((prop.key, column.key, filler))
    return insert(table), tuple(columns)


def insert_now(session: Session, *objects: object) -> None:
    """INSERT new ``objects`` in the given order and attach them to ``session`` as loaded.

    Objects merely added to the session stay pending (no autoflush here): what the new rows
    refer to must be in the database already or come earlier in ``objects``.
    """
    with session.no_autoflush:
        _insert(session, objects)


def _insert(session: Session, objects: tuple[object, ...]) -> None:
    for obj in objects:
        statement, columns = _plan(type(obj))
        state = obj.__dict__
        row = {}
        for attr, key, filler in columns:
            if attr not in state:
                setattr(obj, attr, filler() if filler is not None else None)
            row[key] = state[attr]
        session.execute(statement, row)
        make_transient_to_detached(obj)
        session.add(obj)
