"""Voiding a mistaken check-in or move-in: the record stays, marked void, out of every read.

A void sets ``voided_at``/``voided_by``/``void_reason`` (``registry.db.voiding``), resolves the
findings that were about the record (they were about something that never happened) and is
journalled (and so audited) by the use case that calls it. Nothing is deleted (来有登记、走有
核销: the journal and the voided row both keep the mistake and its correction).
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db import voiding
from registry.db.models import Finding, Residence, Stay
from registry.errors import InvalidInput, Refused
from registry.identity.text import remark

R = TypeVar("R", Stay, Residence)

REASON_MAX = 200  # characters, the width of ``void_reason``


def reason_of(reason: str | None) -> str:
    """The operator's reason, trimmed; ``InvalidInput`` when empty, over 200 characters or
    holding a control or bidirectional character (``registry.identity.text``)."""
    text = remark(reason, "reason", REASON_MAX)
    if text is None:
        raise InvalidInput("a cancellation needs a reason")
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


def refuse_voided(record: Stay | Residence | None) -> None:
    """``Refused`` when ``record`` is a voided one: "the record was voided on DAY: REASON"
    (a second cancel, a check-out or move-out of a cancelled record says so, instead of
    "not checked in" or acting on an older record)."""
    if record is not None and record.voided_at is not None:
        day = record.voided_at.date().isoformat()
        raise Refused(f"the record was voided on {day}: {record.void_reason}")


def latest_unvoided(session: Session, query: Select[tuple[R]]) -> R | None:
    """The first row of ``query`` (ordered: the record to act on first, or the latest) among
    voided ones too; ``Refused`` (``refuse_voided``) when that record is voided already, so a
    second cancel never reaches back to an older, valid record, and a check-out or move-out
    that finds no open record says why when the latest one was cancelled."""
    with voiding.included(session):
        row = session.scalar(query.limit(1))
    refuse_voided(row)
    return row
