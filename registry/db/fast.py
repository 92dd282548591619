"""Write new rows now, in a given order, with one Core INSERT each: the check-in hot path.

The unit of work orders INSERTs across mappers only through ``relationship()``, which the
Citus-ready models avoid (no foreign keys across co-location groups, no ORM graph). A person,
their document and their stay therefore needed a flush each; a flush costs far more Python
than the statement it sends. Here each object becomes one prepared INSERT, sent in the order
given, and is then kept in the session as a loaded, persistent object: the caller uses it like
any other (attribute reads never go back to the database, later changes flush as UPDATEs).

Inside ``deferred(session)`` the INSERTs wait and go out together, one executemany per table in
foreign-key order, before the session's next statement or flush and at the end of the block:
many check-ins in one transaction then cost a statement per table, not per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, event, insert, inspect
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached

Filler = Callable[[], Any]
Row = dict[str, Any]
QUEUE = "laiqu.fast.queue"


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


@cache
def _rank(table: Table) -> int:
    """The table's place in foreign-key order: referenced tables are written first."""
    assert table.metadata is not None
    return table.metadata.sorted_tables.index(table)


def insert_now(session: Session, *objects: object) -> None:
    """INSERT new ``objects`` in the given order and attach them to ``session`` as loaded.

    Objects merely added to the session stay pending (no autoflush here): what the new rows
    refer to must be in the database already or come earlier in ``objects``.
    """
    with session.no_autoflush:
        _insert(session, objects)


def _insert(session: Session, objects: tuple[object, ...]) -> None:
    queue: list[tuple[Insert, Row]] | None = session.info.get(QUEUE)
    for obj in objects:
        statement, columns = _plan(type(obj))
        state = obj.__dict__
        row = {}
        for attr, key, filler in columns:
            if attr not in state:
                # Straight into the instance's dict: no attribute event, and the object is
                # made persistent below with every value as loaded (``_commit_all``).
                state[attr] = filler() if filler is not None else None
            row[key] = state[attr]
        if queue is None:
            session.connection().execute(statement, row)
        else:
            queue.append((statement, row))
        make_transient_to_detached(obj)
        session.add(obj)


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Hold back ``insert_now`` rows and send them per table: before the session's next
    statement or flush (so every read sees them) and when the block ends. Blocks nest."""
    if QUEUE in session.info:
        yield
        return
    session.info[QUEUE] = []
    event.listen(session, "do_orm_execute", _before_statement)
    event.listen(session, "before_flush", _before_flush)
    try:
        yield
        write_queued(session)
    finally:
        event.remove(session, "before_flush", _before_flush)
        event.remove(session, "do_orm_execute", _before_statement)
        session.info.pop(QUEUE, None)


def write_queued(session: Session) -> None:
    """Send the queued rows: one executemany per table, tables in foreign-key order."""
    queue: list[tuple[Insert, Row]] | None = session.info.get(QUEUE)
    if not queue:
        return
    by_statement: dict[Insert, list[Row]] = {}
    for statement, row in queue:
        by_statement.setdefault(statement, []).append(row)
    queue.clear()  # before executing: the statements below pass through the hook again
    # On the session's connection: no ORM statement hooks for plain INSERTs (and no autoflush:
    # pending ORM objects come after the rows they name).
    conn = session.connection()
    for statement in sorted(by_statement, key=lambda st: _rank(st.table)):  # type: ignore[arg-type]
        rows = by_statement[statement]
        # One row: a plain execute, which costs less Python than an executemany of one.
        conn.execute(statement, rows[0] if len(rows) == 1 else rows)


def _before_statement(state: ORMExecuteState) -> None:
    write_queued(state.session)


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    write_queued(session)
