"""The append-only event journal: every use case writes who, when, where from and what.

Details never hold a full ID number or address: persons are referred to by id and a mask.
Every event is also a ``write`` entry of the hash-chained audit log (``registry.privacy.audit``),
so a write cannot be journaled without being audited. An event without a jurisdiction takes the
acting user's (a coordinator's registrations belong to the coordinator's subtree). Both are
handed to the unit of work (``registry.privacy.unit``) and written when the transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from registry.context import Context
from registry.privacy import audit, unit


@dataclass(frozen=True)
class Entry:
    """One event a use case hands over: what was done to which subject (``events`` row).

    ``detail`` holds ids, masks and codes, never a full ID number or address.
    """

    action: str
    subject_kind: str
    subject_id: uuid.UUID | None
    person_id: uuid.UUID | None = None
    jurisdiction: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def entry(
    action: str,
    subject_kind: str,
    subject_id: uuid.UUID | None,
    *,
    person_id: uuid.UUID | None = None,
    jurisdiction: str | None = None,
    **detail: Any,
) -> Entry:
    """An ``Entry``; details that are None are left out."""
    clean = {k: audit.plain(v) for k, v in detail.items() if v is not None}
    return Entry(action, subject_kind, subject_id, person_id, jurisdiction, clean)


def record_all(session: Session, ctx: Context, entries: Sequence[Entry]) -> None:
    """Hand a use case's events to the unit of work, each also a ``write`` audit note."""
    writes = []
    for e in entries:
        jurisdiction = e.jurisdiction or ctx.principal.jurisdiction
        unit.hand_event(
            session,
            {
                "id": uuid.uuid4(),
                "occurred_at": ctx.now(),
                "actor": ctx.actor,
                "terminal": ctx.terminal,
                "action": e.action,
                "subject_kind": e.subject_kind,
                "subject_id": e.subject_id,
                "person_id": e.person_id,
                "jurisdiction_code": jurisdiction,
                "detail": e.detail,
            },
        )
        where = {"subject": e.subject_kind, "subject_id": e.subject_id}
        writes.append((e.action, e.person_id, {**where, "jurisdiction": jurisdiction}))
    audit.note_writes(session, ctx, writes)


def record(
    session: Session,
    ctx: Context,
    action: str,
    subject_kind: str,
    subject_id: uuid.UUID | None,
    *,
    person_id: uuid.UUID | None = None,
    jurisdiction: str | None = None,
    **detail: Any,
) -> None:
    """``record_all`` of one event."""
    record_all(
        session,
        ctx,
        [
            entry(
                action,
                subject_kind,
                subject_id,
                person_id=person_id,
                jurisdiction=jurisdiction,
                **detail,
            )
        ],
    )
