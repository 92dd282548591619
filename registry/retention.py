"""Retention: how long each kind of record is kept, and the purge that ends it (PIPL Arts 19, 47).

Periods are rules (``registry.rules``), set per jurisdiction from an effective day and
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
``registry.access`` (a ``Context`` without a principal stays unrestricted).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from registry import access, journal, rules
from registry.context import Context
from registry.db.models import (
    Document,
    Employment,
    Finding,
    House,
    Jurisdiction,
    Person,
    Residence,
    Stay,
)
from registry.db.retention_models import Hold
from registry.db.rules_models import Permit, Study
from registry.errors import InvalidInput, NotFound, Refused
from registry.ids import mask

ANONYMOUS = "anonymous"  # persons.doc_type of a de-identified person
KINDS = ("stays", "residences", "employments")
CHUNK = 500  # ids per IN list (SQLite binds at most 32766 parameters)
RESOLUTION = "保存期满，已匿名化"


@dataclass(frozen=True)
class Periods:
    """Retention periods in years in force in one jurisdiction on one day."""

    stays: int
    residences: int
    employments: int
    audit: int


def periods(session: Session, jurisdiction_code: str, day: date) -> Periods:
    """The periods in force; the audit minimum of 3 years is also enforced when read."""
    r = rules.effective(session, jurisdiction_code, day)
    return Periods(
        r.retention_stay_years,
        r.retention_residence_years,
        r.retention_employment_years,
        max(r.retention_audit_years, AUDIT_MINIMUM_YEARS),
    )


AUDIT_MINIMUM_YEARS = rules.LIMITS["retention_audit_years"][0]


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (29 February becomes 28)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Sample:
    """One due record as a dry run shows it: masked, no name."""

    kind: str
    jurisdiction: str
    person: str  # masked number
    ended: date


@dataclass
class Plan:
    """What a purge removes or de-identifies (a dry run returns it without acting)."""

    today: date
    jurisdiction: str | None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # kind → code → n
    persons_anonymised: int = 0
    persons_deleted: int = 0
    placeholders: int = 0
    documents_deleted: int = 0
    findings_cleared: int = 0
    held: int = 0  # due records kept because of a legal hold
    waiting: int = 0  # due residences kept because they overlap a kept one
    samples: list[Sample] = field(default_factory=list)
    executed: bool = False
    # Internal: the rows to act on.
    _stays: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict, repr=False)
    _residences: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict, repr=False)
    _employments: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict, repr=False)
    _gone: set[uuid.UUID] = field(default_factory=set, repr=False)

    def total(self, kind: str) -> int:
        return sum(self.counts.get(kind, {}).values())

    def data(self) -> dict[str, Any]:
        """A plain document for ``--json`` and the journal."""
        return {
            "today": self.today.isoformat(),
            "jurisdiction": self.jurisdiction,
            "executed": self.executed,
            "records": {k: dict(sorted(self.counts.get(k, {}).items())) for k in KINDS},
            "totals": {k: self.total(k) for k in KINDS},
            "persons": {
                "anonymised": self.persons_anonymised,
                "deleted": self.persons_deleted,
                "placeholders": self.placeholders,
            },
            "documents_deleted": self.documents_deleted,
            "findings_cleared": self.findings_cleared,
            "kept": {"held": self.held, "waiting": self.waiting},
            "samples": [
                {
                    "kind": s.kind,
                    "jurisdiction": s.jurisdiction,
                    "person": s.person,
                    "ended": s.ended.isoformat(),
                }
                for s in self.samples
            ],
        }


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(items)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _cutoffs(
    session: Session, model: Any, attr: str, day: date, codes: Any
) -> dict[date, list[str]]:
    """Jurisdiction codes of the table grouped by the last end day that is due."""
    query = select(model.jurisdiction_code).distinct()
    if codes is not None:
        query = query.where(model.jurisdiction_code.in_(codes))
    grouped: dict[date, list[str]] = defaultdict(list)
    for code in session.scalars(query):
        years = getattr(periods(session, code, day), attr)
        grouped[years_before(day, years)].append(code)
    return grouped


def _held(session: Session) -> Any:
    return select(Hold.person_id).where(Hold.released_at.is_(None))


def _due(
    session: Session, ctx: Context, model: Any, kind: str, codes: Any
) -> list[tuple[uuid.UUID, uuid.UUID, str, date, bool]]:
    """(id, person, jurisdiction, end day, held) of every due row of one kind."""
    today = ctx.today()
    out = []
    for cutoff, in_codes in _cutoffs(session, model, kind, today, codes).items():
        if model is Stay:
            end = Stay.checked_out_at
            ended = Stay.checked_out_at < ctx.start_of(cutoff + timedelta(days=1))
        else:
            end = model.valid_to
            ended = model.valid_to <= cutoff
        held = model.person_id.in_(_held(session))
        for chunk in _chunks(in_codes):
            rows = session.execute(
                select(model.id, model.person_id, model.jurisdiction_code, end, held)
                .join(Person, Person.id == model.person_id)
                .where(
                    model.jurisdiction_code.in_(chunk),
                    end.is_not(None),
                    ended,
                    Person.doc_type != ANONYMOUS,
                )
            )
            for rid, pid, code, ended_at, is_held in rows:
                day = ctx.local_day(ended_at) if model is Stay else ended_at
                out.append((rid, pid, code, day, bool(is_held)))
    return out


def _overlapping(session: Session, due: dict[uuid.UUID, uuid.UUID]) -> set[uuid.UUID]:
    """Due residences that overlap a residence of the same person that is kept."""
    by_person: dict[uuid.UUID, list[tuple[uuid.UUID, date, date | None]]] = defaultdict(list)
    for chunk in _chunks(set(due.values())):
        for rid, pid, start, end in session.execute(
            select(
                Residence.id, Residence.person_id, Residence.valid_from, Residence.valid_to
            ).where(Residence.person_id.in_(chunk))
        ):
            by_person[pid].append((rid, start, end))
    waiting: set[uuid.UUID] = set()
    changed = True
    while changed:  # keeping one may make another wait: repeat until nothing moves
        changed = False
        for rows in by_person.values():
            kept = [r for r in rows if r[0] not in due or r[0] in waiting]
            for rid, start, end in rows:
                if rid not in due or rid in waiting:
                    continue
                for kid, kstart, kend in kept:
                    if kid != rid and start < (kend or date.max) and kstart < (end or date.max):
                        waiting.add(rid)
                        changed = True
                        break
    return waiting


def _remaining(session: Session, persons: set[uuid.UUID], plan: Plan) -> set[uuid.UUID]:
    """Persons among ``persons`` that keep a record after the purge."""
    due = Counter(plan._stays.values()) + Counter(plan._residences.values())
    due += Counter(plan._employments.values())
    keep: set[uuid.UUID] = set()
    for chunk in _chunks(persons):
        totals: Counter[uuid.UUID] = Counter()
        for model in (Stay, Residence, Employment):
            totals.update(
                dict(
                    session.execute(
                        select(model.person_id, func.count())
                        .where(model.person_id.in_(chunk))
                        .group_by(model.person_id)
                    ).all()
                )
            )
        keep.update(p for p in chunk if totals[p] > due[p])
        for column in (Study.person_id, Permit.person_id, House.landlord_id):
            keep.update(session.scalars(select(column).distinct().where(column.in_(chunk))))
    return keep


def plan(
    session: Session, ctx: Context, *, jurisdiction: str | None = None, samples: int = 3
) -> Plan:
    """What a purge today would do, without changing anything (``laiqu purge --dry-run``)."""
    ctx = access.require(session, ctx, "retention.purge")
    if samples < 0:
        raise InvalidInput("the number of samples cannot be negative")
    codes = None
    if jurisdiction is not None:
        node = session.get(Jurisdiction, jurisdiction)
        if node is None:
            raise NotFound(f"jurisdiction {jurisdiction} is not registered")
        codes = select(Jurisdiction.code).where(
            Jurisdiction.path.startswith(node.path, autoescape=True)
        )
    result = Plan(ctx.today(), jurisdiction)
    targets = {"stays": result._stays, "residences": result._residences}
    targets["employments"] = result._employments
    ended: dict[uuid.UUID, tuple[str, str, date]] = {}
    for model, kind in ((Stay, "stays"), (Residence, "residences"), (Employment, "employments")):
        for rid, pid, code, day, held in _due(session, ctx, model, kind, codes):
            if held:
                result.held += 1
                continue
            targets[kind][rid] = pid
            ended[rid] = (kind, code, day)
    waiting = _overlapping(session, result._residences)
    for rid in waiting:
        del result._residences[rid]
    result.waiting = len(waiting)
    for kind, rows in targets.items():
        per_code: Counter[str] = Counter(ended[rid][1] for rid in rows)
        result.counts[kind] = dict(per_code)
    persons = set().union(*(set(t.values()) for t in targets.values()))
    result._gone = persons - _remaining(session, persons, result)
    result.persons_anonymised = len(result._gone & _referenced(result))
    result.persons_deleted = len(result._gone) - result.persons_anonymised
    result.placeholders = len(_referenced(result) - result._gone)
    result.samples = _samples(session, result, ended, samples)
    return result


def _referenced(plan: Plan) -> set[uuid.UUID]:
    """Persons whose due stays or residences stay on as anonymous rows."""
    return set(plan._stays.values()) | set(plan._residences.values())


def _samples(
    session: Session, plan: Plan, ended: dict[uuid.UUID, tuple[str, str, date]], n: int
) -> list[Sample]:
    picked: list[tuple[uuid.UUID, uuid.UUID]] = []
    for rows in (plan._stays, plan._residences, plan._employments):
        picked += sorted(rows.items(), key=lambda item: (ended[item[0]][2], str(item[0])))[:n]
    numbers = (
        dict(
            session.execute(
                select(Person.id, Person.number).where(Person.id.in_({p for _, p in picked}))
            ).all()
        )
        if picked
        else {}
    )
    return [
        Sample(ended[rid][0], ended[rid][1], mask(numbers.get(pid)), ended[rid][2])
        for rid, pid in picked
    ]


def purge(
    session: Session, ctx: Context, *, jurisdiction: str | None = None, samples: int = 3
) -> Plan:
    """Delete or de-identify every due record, in the caller's transaction; journaled."""
    ctx = access.require(session, ctx, "retention.purge")
    result = plan(session, ctx, jurisdiction=jurisdiction, samples=samples)
    now = ctx.now()
    referenced = _referenced(result)
    # One placeholder per person who keeps other records: created before any row points to it.
    placeholder: dict[uuid.UUID, uuid.UUID] = {}
    kept_persons = referenced - result._gone
    for chunk in _chunks(kept_persons):
        for person in session.scalars(select(Person).where(Person.id.in_(chunk))):
            new = _anonymous(uuid.uuid4(), person, now)
            session.add(new)
            placeholder[person.id] = new.id
    session.flush()

    def target(pid: uuid.UUID) -> uuid.UUID:
        return placeholder.get(pid, pid)

    if result._stays:
        session.execute(
            update(Stay),
            [
                {
                    "id": sid,
                    "person_id": target(pid),
                    "room": "",
                    "party_id": sid,
                    "document_id": None,
                }
                for sid, pid in result._stays.items()
            ],
        )
    if result._residences:
        session.execute(
            update(Residence),
            [
                {"id": rid, "person_id": target(pid), "document_id": None, "end_reason": None}
                for rid, pid in result._residences.items()
            ],
        )
    for chunk in _chunks(result._employments):
        session.execute(delete(Employment).where(Employment.id.in_(chunk)))
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
    return result


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
    for rows in (plan._stays, plan._residences):
        for sid, pid in rows.items():
            moves[placeholder.get(pid, pid)].append(sid)
    moves[None] += list(plan._employments)
    for new_person, subjects in moves.items():
        for chunk in _chunks(subjects):
            cleared += _clear(session, Finding.subject_id.in_(chunk), now, new_person, True)
    deleted = plan._gone - _referenced(plan)
    for chunk in _chunks(plan._gone):
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
    for chunk in _chunks(plan._gone):
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


def hold(session: Session, ctx: Context, person_id: uuid.UUID, reason: str) -> Hold:
    """Keep every record of a person out of purges until released (法律保全)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a legal hold needs a reason")
    person = session.get(Person, person_id)
    if person is None or person.doc_type == ANONYMOUS:
        raise NotFound("no such person is registered")
    row = Hold(
        id=uuid.uuid4(),
        person_id=person_id,
        reason=reason[:200],
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
    return list(session.scalars(_held(session)))
