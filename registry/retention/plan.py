"""What a purge would remove: the records past their retention period, minus held persons, with
samples to show before anything is deleted."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db import voiding
from registry.db.models import (
    Employment,
    House,
    Jurisdiction,
    Person,
    Residence,
    Stay,
)
from registry.db.retention_models import Hold
from registry.db.rules_models import Permit, Study
from registry.errors import InvalidInput, NotFound
from registry.identity.ids import mask
from registry.privacy import access
from registry.retention.periods import ANONYMOUS, CHUNK, KINDS, periods, years_before


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
    # The rows to act on (record id -> person id) and the persons to forget.
    due_stays: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict, repr=False)
    due_residences: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict, repr=False)
    due_employments: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict, repr=False)
    gone_persons: set[uuid.UUID] = field(default_factory=set, repr=False)

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


def chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
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


def held_query(session: Session) -> Any:
    return select(Hold.person_id).where(Hold.released_at.is_(None))


def _due(
    session: Session, ctx: Context, model: Any, kind: str, codes: Any
) -> list[tuple[uuid.UUID, uuid.UUID, str, date, bool]]:
    """(id, person, jurisdiction, end day, held) of every due row of one kind."""
    today = ctx.today()
    out = []
    for cutoff, in_codes in _cutoffs(session, model, kind, today, codes).items():
        if model is Stay:
            end = func.coalesce(Stay.checked_out_at, Stay.voided_at)
            ended = end < ctx.start_of(cutoff + timedelta(days=1))
        else:
            end = model.valid_to
            ended = model.valid_to <= cutoff
        held = model.person_id.in_(held_query(session))
        for chunk in chunks(in_codes):
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
    for chunk in chunks(set(due.values())):
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
    due = Counter(plan.due_stays.values()) + Counter(plan.due_residences.values())
    due += Counter(plan.due_employments.values())
    keep: set[uuid.UUID] = set()
    for chunk in chunks(persons):
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
    """What a purge today would do, without changing anything (``laiqu purge --dry-run``).

    Voided stays and residences are records like the others here: kept for their period (a
    voided stay counts from its check-out, else from its voiding) and keeping their person.
    """
    ctx = access.require(session, ctx, "retention.purge")
    with voiding.included(session):
        return _plan(session, ctx, jurisdiction, samples)


def _plan(session: Session, ctx: Context, jurisdiction: str | None, samples: int) -> Plan:
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
    targets = {"stays": result.due_stays, "residences": result.due_residences}
    targets["employments"] = result.due_employments
    ended: dict[uuid.UUID, tuple[str, str, date]] = {}
    for model, kind in ((Stay, "stays"), (Residence, "residences"), (Employment, "employments")):
        for rid, pid, code, day, held in _due(session, ctx, model, kind, codes):
            if held:
                result.held += 1
                continue
            targets[kind][rid] = pid
            ended[rid] = (kind, code, day)
    waiting = _overlapping(session, result.due_residences)
    for rid in waiting:
        del result.due_residences[rid]
    result.waiting = len(waiting)
    for kind, rows in targets.items():
        per_code: Counter[str] = Counter(ended[rid][1] for rid in rows)
        result.counts[kind] = dict(per_code)
    persons = set().union(*(set(t.values()) for t in targets.values()))
    result.gone_persons = persons - _remaining(session, persons, result)
    result.persons_anonymised = len(result.gone_persons & referenced(result))
    result.persons_deleted = len(result.gone_persons) - result.persons_anonymised
    result.placeholders = len(referenced(result) - result.gone_persons)
    result.samples = _samples(session, result, ended, samples)
    return result


def referenced(plan: Plan) -> set[uuid.UUID]:
    """Persons whose due stays or residences stay on as anonymous rows."""
    return set(plan.due_stays.values()) | set(plan.due_residences.values())


def _samples(
    session: Session, plan: Plan, ended: dict[uuid.UUID, tuple[str, str, date]], n: int
) -> list[Sample]:
    picked: list[tuple[uuid.UUID, uuid.UUID]] = []
    for rows in (plan.due_stays, plan.due_residences, plan.due_employments):
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


