"""The append-only event journal: every use case writes who, when, where from and what.

Details never hold a full ID number or address: persons are referred to by id and a mask.
Every event is also a ``write`` entry of the hash-chained audit log (``registry.privacy.audit``),
so a write cannot be journaled without being audited. An event without a jurisdiction takes the
acting user's (a coordinator's registrations belong to the coordinator's subtree). Both are
handed to the unit of work (``registry.privacy.unit``) and written when the transaction commits.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from registry.context import Context
from registry.privacy import audit, unit


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
) -> dict[str, Any]:
    jurisdiction = jurisdiction or ctx.principal.jurisdiction
    event = {
        "id": uuid.uuid4(),
        "occurred_at": ctx.now(),
        "actor": ctx.actor,
        "terminal": ctx.terminal,
        "action": action,
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "person_id": person_id,
        "jurisdiction_code": jurisdiction,
        "detail": {k: _plain(v) for k, v in detail.items() if v is not None},
    }
    unit.hand_event(session, event)
    audit.note(
        session,
        ctx,
        "write",
        action,
        persons=(person_id,),
        subject=subject_kind,
        subject_id=subject_id,
        jurisdiction=jurisdiction,
    )
    return event


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
