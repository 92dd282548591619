"""The audit log's use cases: who viewed a person, and verifying the chain, as a user
(admin only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Person
from registry.privacy.audit import Verdict, Viewed, note, verify, who_viewed


def who_viewed_number(session: Session, ctx: Context, number: str) -> tuple[str, list[Viewed]]:
    """``who_viewed`` by document number (admin); the query itself is audited."""
    from registry.identity.ids import parse
    from registry.privacy import access

    ctx = access.require(session, ctx, "audit.read")
    idn = parse(number) if number else None
    if idn is None:
        from registry.errors import InvalidInput

        raise InvalidInput("an ID number is needed")
    person_id = session.scalar(select(Person.id).where(Person.id_key == idn.key))
    rows = who_viewed(session, person_id, idn.key)
    note(session, ctx, "read", "audit.who_viewed", persons=(person_id,), number=idn.masked)
    return idn.masked, rows


def verify_as(session: Session, ctx: Context) -> Verdict:
    """``verify`` for a user (admin), audited."""
    from registry.privacy import access

    ctx = access.require(session, ctx, "audit.read")
    verdict = verify(session.connection())
    note(session, ctx, "admin", "audit.verify", ok=verdict.ok, entries=verdict.entries)
    return verdict


