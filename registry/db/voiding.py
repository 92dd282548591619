"""Voided check-ins and move-ins stay in their tables but out of the registry's reads.

A mistaken stay or residence is voided (``voided_at`` set, issue #19), never deleted. Every
ORM ``SELECT`` through a ``Session`` (``session.scalars``, ``session.get``, counts, joins and
subqueries) leaves voided rows of a ``Voidable`` model (``Stay``, ``Residence``) out, so
occupancy, findings, overdue lists, reports, search and the desk's guests need no filter of
their own. What must see them
asks for them: a statement with ``execution_options(include_voided=True)``, or a block
``with included(session):`` (the upload payload, retention, a person's full history).
Statements of raw SQL text are not filtered.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria

from registry.db.base import UTCDateTime

OPTION = "include_voided"
_KEY = "laiqu.include_voided"  # session.info: depth of ``included`` blocks


@contextmanager
def included(session: Session) -> Iterator[None]:
    """Let the ORM reads inside the block see voided stays and residences."""
    session.info[_KEY] = session.info.get(_KEY, 0) + 1
    try:
        yield
    finally:
        session.info[_KEY] -= 1


class Voidable:
    """Columns of a record that can be voided (stays, residences): who, when and why."""

    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by: Mapped[str | None] = mapped_column(String(64))
    void_reason: Mapped[str | None] = mapped_column(String(200))


@event.listens_for(Session, "do_orm_execute")
def _leave_out_voided(state: ORMExecuteState) -> None:
    if (
        not state.is_select
        or state.is_column_load
        or state.is_relationship_load
        or state.execution_options.get(OPTION, False)
        or state.session.info.get(_KEY, 0) > 0
    ):
        return
    state.statement = state.statement.options(_CRITERIA)


_CRITERIA = with_loader_criteria(
    Voidable, lambda cls: cls.voided_at.is_(None), include_aliases=True
)
