"""Retention: how long each kind of record is kept, and the purge that ends it (PIPL Arts 19, 47).

Periods are rules (``registry.matching.rules``), set per jurisdiction from an effective day and
inherited down the tree like every other rule: ``retention_stay_years`` (hotel stays, counted
from the check-out day, default 3), ``retention_residence_years`` and
``retention_employment_years`` (closed residences and jobs, from the end day, default 5), and
``retention_audit_years`` (at least 3: a shorter setting is refused; the audit log is never
purged here, its owner reads the period with ``periods``). A record is due when its end day
plus the period in force *today* in its jurisdiction is today or earlier. Open records, persons
under a legal hold (``hold``) and anything already anonymised are never due.

The purge runs in the caller's transaction, so it is all or nothing. The monthly report
(``reports/queries.py``) counts stays and residences with their person's category, gender,
birth date and province and counts distinct persons, so due rows are *de-identified*, not
deleted:

- a due stay or residence keeps its jurisdiction, venue or house and its dates, loses room,
  party, document and end reason, and is moved to an anonymous placeholder person: the person
  row itself when nothing of the person is kept (then anonymised in place), else a placeholder
  created for this person in this purge (one per person, so distinct counts do not change).
  A placeholder holds only category, gender, birth date and the two-digit province of the
  household register: no number, name, pinyin, phone or address. A due residence that
  overlaps a residence still kept waits for it, or the person would count twice on those days.
- a due employment is deleted (no report counts employments);
- a person left with no record is anonymised in place (documents deleted) when an anonymised
  row still refers to it, else deleted;
- findings of purged subjects keep code, jurisdiction and dates (the report counts them), lose
  their detail and follow the person link; open ones are resolved;
- ``events`` are kept: the journal is append-only and holds ids and masks only, never a full
  number or name; after a purge its person ids point at an anonymous row or at nothing.

Who may purge: today any caller; the purge must become admin-only with the roles of
``registry.privacy.access`` (a ``Context`` without a principal stays unrestricted).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import (
    Document,
    Employment,
    Finding,
    Person,
    Residence,
    Stay,
)
from registry.privacy import access, journal
from registry.progress import Progress
from registry.retention import plan as planning
from registry.retention.periods import ANONYMOUS, RESOLUTION
from registry.retention.plan import Plan, chunks

STEPS = 6  # plan, placeholders, stays, residences, employments, findings and persons


def purge(
    session: Session,
    ctx: Context,
    *,
    jurisdiction: str | None = None,
    samples: int = 3,
    progress: Progress | None = None,
) -> Plan:
    """Delete or de-identify every due record, in the caller's transaction; journaled.

    ``progress(step, STEPS)`` after each of its steps."""
    tick = progress or _quiet
    ctx = access.require(session, ctx, "retention.purge")
    tick(0, STEPS)
    result = planning.plan(session, ctx, jurisdiction=jurisdiction, samples=samples)
    tick(1, STEPS)
    now = ctx.now()
    referenced = planning.referenced(result)
    # One placeholder per person who keeps other records: created before any row points to it.
    placeholder: dict[uuid.UUID, uuid.UUID] = {}
    kept_persons = referenced - result.gone_persons
    for chunk in chunks(kept_persons):
        for person in session.scalars(select(Person).where(Person.id.in_(chunk))):
            new = _anonymous(uuid.uuid4(), person, now)
            session.add(new)
            placeholder[person.id] = new.id
    session.flush()
    tick(2, STEPS)

    def target(pid: uuid.UUID) -> uuid.UUID:
        return placeholder.get(pid, pid)

    if result.due_stays:
        _update_by_id(
            session,
            Stay,
            [
                {
                    "id": sid,
                    "person_id": target(pid),
                    "room": "",
                    "party_id": sid,
                    "document_id": None,
                }
                for sid, pid in result.due_stays.items()
            ],
        )
    tick(3, STEPS)
    if result.due_residences:
        _update_by_id(
            session,
            Residence,
            [
                {"id": rid, "person_id": target(pid), "document_id": None, "end_reason": None}
                for rid, pid in result.due_residences.items()
            ],
        )
    tick(4, STEPS)
    for chunk in chunks(result.due_employments):
        session.execute(delete(Employment).where(Employment.id.in_(chunk)))
    tick(5, STEPS)
    result.findings_cleared = _clear_findings(session, result, placeholder, now)
    result.documents_deleted = _forget_persons(session, result, referenced, now)
    result.executed = True
    journal.record(
        session,
        ctx,
        "retention.purge",
        "retention",
        None,
        jurisdiction=jurisdiction,
        **{
            k: v
            for k, v in result.data().items()
            if k not in ("samples", "executed", "jurisdiction")
        },
    )
    session.flush()
    tick(STEPS, STEPS)
    return result


def _quiet(done: int, total: int) -> None:
    """No one is watching."""


def _update_by_id(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Update rows found by ``id`` alone, their distribution column included.

    The ORM's bulk UPDATE finds rows by the table's primary key, which for distributed tables
    is ``(person_id, id)`` (``registry.db.distribution``): a stay moved to an anonymous
    placeholder changes that very column. (On Citus, such a move is a delete and insert.)
    """
    table = model.__table__
    columns = [c for c in rows[0] if c != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({c: bindparam(f"new_{c}") for c in columns})
    )
    session.execute(
        statement, [{"row_id": r["id"], **{f"new_{c}": r[c] for c in columns}} for r in rows]
    )


def _anonymous(new_id: uuid.UUID, person: Person, now: Any) -> Person:
    """A person row with only what the monthly report groups by."""
    return Person(
        id=new_id,
        id_key=f"{ANONYMOUS}:{new_id.hex}",
        doc_type=ANONYMOUS,
        number="",
        name="",
        name_pinyin="",
        name_initials="",
        gender=person.gender,
        birth_date=person.birth_date,
        hukou_region=(person.hukou_region or "")[:2] or None,
        category=person.category,
        created_at=now,
        updated_at=now,
    )


def _clear_findings(
    session: Session, plan: Plan, placeholder: dict[uuid.UUID, uuid.UUID], now: Any
) -> int:
    """Findings of purged subjects and forgotten persons: no detail, resolved, person moved."""
    cleared = 0
    moves: dict[uuid.UUID | None, list[uuid.UUID]] = defaultdict(list)
    for rows in (plan.due_stays, plan.due_residences):
        for sid, pid in rows.items():
            moves[placeholder.get(pid, pid)].append(sid)
    moves[None] += list(plan.due_employments)
    for new_person, subjects in moves.items():
        for chunk in chunks(subjects):
            cleared += _clear(session, Finding.subject_id.in_(chunk), now, new_person, True)
    deleted = plan.gone_persons - planning.referenced(plan)
    for chunk in chunks(plan.gone_persons):
        still = [p for p in chunk if p not in deleted]
        if still:
            cleared += _clear(session, Finding.person_id.in_(still), now, None, False)
        gone = [p for p in chunk if p in deleted]
        if gone:
            cleared += _clear(session, Finding.person_id.in_(gone), now, None, True)
    return cleared


def _clear(session: Session, where: Any, now: Any, person: Any, move: bool) -> int:
    values: dict[str, Any] = {"detail": ""}
    if move:
        values["person_id"] = person
    result = session.execute(update(Finding).where(where).values(**values))
    session.execute(
        update(Finding)
        .where(where, Finding.resolved_at.is_(None))
        .values(resolved_at=now, resolution=RESOLUTION)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _forget_persons(session: Session, plan: Plan, referenced: set[uuid.UUID], now: Any) -> int:
    """Delete the documents of persons with nothing kept; anonymise or delete the persons."""
    documents = 0
    for chunk in chunks(plan.gone_persons):
        docs = select(Document.id).where(Document.person_id.in_(chunk))
        session.execute(update(Stay).where(Stay.document_id.in_(docs)).values(document_id=None))
        session.execute(
            update(Residence).where(Residence.document_id.in_(docs)).values(document_id=None)
        )
        result = session.execute(delete(Document).where(Document.person_id.in_(chunk)))
        documents += int(result.rowcount or 0)  # type: ignore[attr-defined]
        keep = [p for p in chunk if p in referenced]
        drop = [p for p in chunk if p not in referenced]
        if drop:
            session.execute(delete(Person).where(Person.id.in_(drop)))
        if keep:
            session.execute(update(Person), [_identity_cleared(pid, now) for pid in keep])
            session.execute(
                update(Person)
                .where(Person.id.in_(keep))
                .values(hukou_region=func.substr(Person.hukou_region, 1, 2))
            )
    session.flush()
    return documents


def _identity_cleared(pid: uuid.UUID, now: Any) -> dict[str, Any]:
    """The columns of a person anonymised in place (what the report groups by stays)."""
    return {
        "id": pid,
        "id_key": f"{ANONYMOUS}:{uuid.uuid4().hex}",
        "doc_type": ANONYMOUS,
        "number": "",
        "name": "",
        "name_pinyin": "",
        "name_initials": "",
        "english_name": None,
        "ethnicity": None,
        "nationality": None,
        "hukou_address": None,
        "phone": None,
        "updated_at": now,
    }


# --- legal holds -----------------------------------------------------------------------------






