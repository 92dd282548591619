"""Voiding a mistaken check-in or move-in: the record stays, marked void, out of every read.

A void sets ``voided_at``/``voided_by``/``void_reason`` (``registry.db.voiding``), resolves the
findings that were about the record (they were about something that never happened) and is
journalled (and so audited) by the use case that calls it. Nothing is deleted (来有登记、走有
核销: the journal and the voided row both keep the mistake and its correction).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Finding, Residence, Stay
from registry.errors import InvalidInput
from registry.identity.text import line

REASON_MAX = 200  # characters, the width of ``void_reason``


def reason_of(reason: str | None) -> str:
    """The operator's reason, trimmed; ``InvalidInput`` when empty, over 200 characters or
    holding a control or bidirectional character (``registry.identity.text``)."""
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidInput("a cancellation needs a reason")
    if len(text) > REASON_MAX:
        raise InvalidInput(f"the reason is longer than {REASON_MAX} characters")
    line(text, "reason")  # no control or bidirectional characters
    return text


def void(session: Session, ctx: Context, record: Stay | Residence, reason: str) -> int:
    """Mark ``record`` void now by the acting user and resolve the open findings about it
    (its id is their subject: PH-LATE of a stay, a residence and its departure); returns how
    many findings were resolved."""
    record.voided_at = ctx.now()
    record.voided_by = ctx.actor[:64]
    record.void_reason = reason
    found = session.scalars(
        select(Finding).where(Finding.subject_id == record.id, Finding.resolved_at.is_(None))
    )
    n = 0
    for finding in found:
        finding.resolved_at = ctx.now()
        finding.resolution = f"登记已作废：{reason}"[:200]
        n += 1
    return n
