"""The unit of work of a transaction: what its use cases hand over to be written at commit.

A use case does its own writes (persons, stays, residences …) and hands two kinds of records to
the unit of work instead of writing them in the middle of its steps:

- journal events (``registry.privacy.journal.record``): rows of ``events``;
- audit notes (``registry.privacy.audit.note``): entries of the hash-chained audit log.

Both are written in one place, when the transaction commits (``audit``'s commit hook calls
``write_events`` and then chains ``take_notes``), so a use case touches the journal and the
audit log once whatever the number of steps, and a savepoint that is rolled back (a refused
upload item at the station) drops what it handed over, except the durable refusal notes that
must survive even the rollback of the whole transaction.

Shapes: events are plain ``dict`` rows of the ``events`` table; notes are ``audit.Note``
objects (kept opaque here). Nothing here reads or writes the database but ``write_events``
(a few events and notes on PostgreSQL go out with the notes: ``take_events``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session, SessionTransaction

from registry.db.models import Event

KEY = "laiqu.unit"


@dataclass
class Unit:
    """What a transaction's use cases handed over, in order."""

    events: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)
    marks: dict[int, tuple[int, int]] = field(default_factory=dict)  # savepoint -> lengths


def unit(session: Session) -> Unit:
    found: Unit | None = session.info.get(KEY)
    if found is None:
        found = session.info[KEY] = Unit()
    return found


def hand_event(session: Session, row: dict[str, Any]) -> None:
    """Queue an ``events`` row; written by ``write_events`` at commit."""
    unit(session).events.append(row)


def hand_note(session: Session, note: Any) -> None:
    """Queue an audit note; chained at commit (durable ones even after a rollback)."""
    unit(session).notes.append(note)


@contextmanager
def without_events(session: Session) -> Iterator[None]:
    """Drop the events handed over inside the block (audit notes are kept).

    The station applies a desk's upload through the use cases, and the desk's own events come
    as items of the upload: the use cases' events would journal the same acts twice.
    """
    mine = unit(session)
    before = len(mine.events)
    try:
        yield
    finally:
        del mine.events[before:]


def pending_events(session: Session) -> list[dict[str, Any]]:
    """The events handed over in this transaction and not yet written (a copy)."""
    found: Unit | None = session.info.get(KEY)
    return list(found.events) if found else []


def write_events(session: Session) -> int:
    """Write the queued events with one statement; returns how many were written."""
    found: Unit | None = session.info.get(KEY)
    if found is None or not found.events:
        return 0
    rows, found.events = found.events, []
    # Core, on the session's connection (no ORM hooks): one executemany, NULLs kept.
    session.connection().execute(insert(Event.__table__), rows)
    return len(rows)


def take_events(session: Session) -> list[dict[str, Any]]:
    """Hand the queued events to the caller, who writes them (the audit log's commit hook,
    with its entries in one statement), and forget them here."""
    found: Unit | None = session.info.get(KEY)
    if found is None:
        return []
    rows, found.events = found.events, []
    return rows


def take_notes(session: Session) -> list[Any]:
    """Hand the queued notes to the caller (the audit chain) and forget them here."""
    found: Unit | None = session.info.pop(KEY, None)
    return found.notes if found else []


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        u = unit(session)
        u.marks[id(transaction)] = (len(u.events), len(u.notes))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back savepoint drops what it handed over, but for durable notes."""
    found: Unit | None = session.info.get(KEY)
    if found is None or not previous.nested:
        return
    mark = found.marks.pop(id(previous), None)
    if mark is None:
        return
    events_at, notes_at = mark
    del found.events[events_at:]
    found.notes[notes_at:] = [n for n in found.notes[notes_at:] if getattr(n, "durable", False)]
