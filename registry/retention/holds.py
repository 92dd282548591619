"""Legal holds (法律保全): a person's records kept out of every purge until released."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import (
    Person,
)
from registry.db.retention_models import Hold
from registry.errors import InvalidInput, NotFound, Refused
from registry.identity.ids import mask
from registry.identity.text import remark
from registry.privacy import journal
from registry.retention.periods import ANONYMOUS
from registry.retention.plan import held_query


def hold(session: Session, ctx: Context, person_id: uuid.UUID, reason: str) -> Hold:
    """Keep every record of a person out of purges until released (法律保全)."""
    reason = remark(reason)
    if reason is None:
        raise InvalidInput("a legal hold needs a reason")
    person = session.get(Person, person_id)
    if person is None or person.doc_type == ANONYMOUS:
        raise NotFound("no such person is registered")
    row = Hold(
        id=uuid.uuid4(),
        person_id=person_id,
        reason=reason,
        set_by=ctx.actor,
        set_at=ctx.now(),
    )
    session.add(row)
    journal.record(
        session,
        ctx,
        "retention.hold",
        "person",
        person_id,
        person_id=person_id,
        mask=mask(person.number),
    )
    session.flush()
    return row


def release(session: Session, ctx: Context, person_id: uuid.UUID) -> int:
    """Release the open holds of a person; the records become due again by their dates."""
    result = session.execute(
        update(Hold)
        .where(Hold.person_id == person_id, Hold.released_at.is_(None))
        .values(released_at=ctx.now(), released_by=ctx.actor)
    )
    released = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if not released:
        raise Refused("this person has no open legal hold")
    journal.record(session, ctx, "retention.release", "person", person_id, person_id=person_id)
    session.flush()
    return released


def held_persons(session: Session) -> Sequence[uuid.UUID]:
    return list(session.scalars(held_query(session)))


