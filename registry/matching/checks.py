"""The three matchings (人证、人房、人岗): rules that open and resolve findings.

Each rule computes, for a set of persons, houses or employers, the findings that hold now
(``findings_person``: Python over the loaded facts of persons; ``findings_place``: SQL over
houses and employers). ``refresh`` reconciles them with the findings already recorded for the
same subjects: new ones are opened (and returned, so a desk is told at once), vanished ones
are resolved, changed details are updated. A use case refreshes the subjects it touched;
``check`` refreshes a whole jurisdiction the same way, in chunks. PH-LATE is a fact, not a
state: once found it stays until a coordinator acknowledges it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.fast import deferred, insert_now
from registry.db.models import (
    Employer,
    Employment,
    Finding,
    House,
    Person,
    Residence,
    Stay,
)
from registry.db.tree import subtree
from registry.errors import NotFound, Refused
from registry.identity.text import line, width
from registry.matching import person_rules, place_rules
from registry.matching.codes import CODES, FACT_CODES, Candidate
from registry.privacy import access
from registry.progress import Progress

__all__ = [
    "CODES",
    "FACT_CODES",
    "RULES",
    "Candidate",
    "Scope",
    "acknowledge",
    "check",
    "open_findings",
    "refresh",
    "subtree",
]

CHUNK = 2000
# How each state finding is resolved (told when one is acknowledged by hand).
_HOW = {
    "PC-EXPIRED": "read a valid document (the card or a new one)",
    "PC-DISAGREE": "correct the person (person correct)",
    "PC-MANUAL": "read the card at the desk",
    "PC-TWO-PLACES": "check out or move out of one place",
    "PH-NO-HOUSE": "report a residence",
    "PH-OVER-CAPACITY": "correct the capacity or move out who left",
    "PH-UNFILED": "file the house, name its landlord, sign the pledge",
    "PH-OVERDUE-DEPARTURE": "move out, or cancel or extend the residence (overdue)",
    "PJ-UNKNOWN-EMPLOYER": "register the employer",
    "PJ-NO-RESIDENCE": "report a residence",
    "PJ-HEADCOUNT": "correct the declared headcount or the employments",
}
RULES = [*person_rules.RULES, *place_rules.HOUSE_RULES, *place_rules.EMPLOYER_RULES]


@dataclass
class Scope:
    """What to re-check: explicit subjects (incremental) or a jurisdiction subtree (batch)."""

    persons: set[uuid.UUID] | None = None
    houses: set[uuid.UUID] | None = None
    employers: set[uuid.UUID] | None = None

    def ids(self, level: str) -> set[uuid.UUID]:
        return getattr(self, level + "s") or set()


def _chunks(ids: Iterable[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    items = sorted(ids)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


_IDS = bindparam("ids", expanding=True)
_CODES = bindparam("codes", expanding=True)
_RECORDED = or_(Finding.resolved_at.is_(None), Finding.code.in_(sorted(FACT_CODES)))
_BY_PERSON = select(Finding).where(Finding.person_id.in_(_IDS), Finding.code.in_(_CODES), _RECORDED)
_BY_SUBJECT = select(Finding).where(
    Finding.subject_id.in_(_IDS), Finding.code.in_(_CODES), _RECORDED
)


def refresh(
    session: Session,
    ctx: Context,
    scope: Scope,
    codes: Iterable[str] | None = None,
    *,
    new: Sequence[person_rules.Facts] = (),
    progress: Progress | None = None,
) -> list[Finding]:
    """Reconcile the findings of the scope's subjects; return the newly opened ones.

    ``progress(done, total)`` in subjects (persons, houses, employers) after each chunk.

    ``new`` are the facts of persons created in this transaction, built from what was just
    written: nothing to load and no findings recorded yet, so the hot path of a check-in of a
    first-time guest needs no query here.
    """
    with deferred(session):  # the findings opened go out as one INSERT per chunk
        return _refresh(session, ctx, scope, codes, new, progress)


def _refresh(
    session: Session,
    ctx: Context,
    scope: Scope,
    codes: Iterable[str] | None,
    new: Sequence[person_rules.Facts],
    progress: Progress | None,
) -> list[Finding]:
    wanted = set(codes) if codes is not None else set(CODES)
    opened: list[Finding] = []
    env = person_rules.Env(session, ctx, ctx.today(), ctx.now())
    chosen_rules = [r for c, r in person_rules.RULES.items() if c in wanted]
    person_codes = sorted(c for c in person_rules.RULES if c in wanted)
    if new and chosen_rules:
        found = [c for facts in new for rule in chosen_rules for c in rule(facts, env)]
        opened += _reconcile(session, ctx, found, [])
    fresh = {f.person.id for f in new}
    to_load = scope.ids("person") - fresh
    tick = _counter(progress, len(to_load) + len(scope.ids("house")) + len(scope.ids("employer")))
    for chunk in _chunks(to_load) if chosen_rules else ():
        tick(len(chunk))
        found = [
            c
            for facts in person_rules.load(session, chunk)
            for rule in chosen_rules
            for c in rule(facts, env)
        ]
        recorded = session.scalars(_BY_PERSON, {"ids": chunk, "codes": person_codes}).all()
        opened += _reconcile(session, ctx, found, recorded)
    for level, level_rules in (
        ("house", place_rules.HOUSE_RULES),
        ("employer", place_rules.EMPLOYER_RULES),
    ):
        chosen = {c: r for c, r in level_rules.items() if c in wanted}
        for chunk in _chunks(scope.ids(level)) if chosen else ():
            tick(len(chunk))
            found = [c for rule in chosen.values() for c in rule(session, chunk)]
            recorded = session.scalars(_BY_SUBJECT, {"ids": chunk, "codes": sorted(chosen)}).all()
            opened += _reconcile(session, ctx, found, recorded)
    session.flush()
    tick(0, end=True)
    return opened


def _counter(progress: Progress | None, total: int) -> Callable[..., None]:
    """``tick(n)``: n more subjects are being checked (reported before the chunk's work, so the
    bar moves when the first chunk starts); ``tick(0, end=True)``: all done."""
    done = 0

    def tick(n: int, end: bool = False) -> None:
        nonlocal done
        if progress is not None:
            progress(total if end else done, total)
        done += n

    return tick


def _reconcile(
    session: Session, ctx: Context, found: Sequence[Candidate], recorded: Sequence[Finding]
) -> list[Finding]:
    now = ctx.now()
    holding = {c.key: c for c in found}
    known = {f.key: f for f in recorded}
    for key, finding in known.items():
        if finding.resolved_at is not None:
            continue
        if key in holding:
            now_holds = holding[key]
            if now_holds.detail != finding.detail:  # e.g. a headcount that moved
                finding.detail = now_holds.detail
            if now_holds.jurisdiction != finding.jurisdiction_code:  # its place was merged
                finding.jurisdiction_code = now_holds.jurisdiction
        elif finding.code not in FACT_CODES:
            finding.resolved_at, finding.resolution = now, "情况已消除"
    opened = []
    for key, cand in holding.items():
        if key in known:
            continue
        info = CODES[cand.code]
        finding = Finding(
            id=uuid.uuid4(),
            code=cand.code,
            severity=info.severity,
            key=key,
            jurisdiction_code=cand.jurisdiction,
            person_id=cand.person_id,
            subject_kind=cand.subject_kind,
            subject_id=cand.subject_id,
            detail=cand.detail,
            found_at=now,
        )
        insert_now(session, finding)
        opened.append(finding)
    return opened


def batch_scope(session: Session, jurisdiction: str | None) -> Scope:
    """Every subject with a record (or an open finding) in the jurisdiction's subtree."""
    codes = subtree(session, jurisdiction)

    def within(column: object) -> list[object]:
        return [] if codes is None else [column.in_(codes)]  # type: ignore[attr-defined]

    persons: set[uuid.UUID] = set()
    for model in (Stay, Residence, Employment):
        persons.update(
            session.scalars(
                select(model.person_id).distinct().where(*within(model.jurisdiction_code))
            )
        )
    if codes is None:
        persons.update(session.scalars(select(Person.id)))
    persons.update(
        session.scalars(
            select(Finding.person_id)
            .distinct()
            .where(
                Finding.person_id.is_not(None),
                Finding.resolved_at.is_(None),
                *within(Finding.jurisdiction_code),
            )
        )
    )
    houses = set(session.scalars(select(House.id).where(*within(House.jurisdiction_code))))
    employers = set(session.scalars(select(Employer.id).where(*within(Employer.jurisdiction_code))))
    return Scope(persons=persons, houses=houses, employers=employers)


def check(
    session: Session,
    ctx: Context,
    jurisdiction: str | None = None,
    codes: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> list[Finding]:
    """Batch run of the matchings over a jurisdiction; returns newly opened findings.
    ``progress(done, total)`` in subjects checked (see ``refresh``)."""
    wanted = list(codes) if codes else list(CODES)
    unknown = [c for c in wanted if c not in CODES]
    if unknown:
        raise NotFound(f"unknown finding code {unknown[0]}; codes are {', '.join(CODES)}")
    return refresh(session, ctx, batch_scope(session, jurisdiction), wanted, progress=progress)


def open_findings(
    session: Session, jurisdiction: str | None = None, code: str | None = None
) -> list[Finding]:
    access.require(session, None, "findings.read")
    scoped = access.places_clause(access.principal(session), Finding.jurisdiction_code)
    query = select(Finding).where(Finding.resolved_at.is_(None), scoped)
    codes = subtree(session, jurisdiction)
    if codes is not None:
        query = query.where(Finding.jurisdiction_code.in_(codes))
    if code:
        if code not in CODES:
            raise NotFound(f"unknown finding code {code}; codes are {', '.join(CODES)}")
        query = query.where(Finding.code == code)
    return list(session.scalars(query.order_by(Finding.code, Finding.found_at)))


def acknowledge(session: Session, ctx: Context, finding_id: uuid.UUID, note: str) -> Finding:
    """A coordinator closes a finding that is a fact (PH-LATE) after handling it.

    Other findings are states: they resolve by themselves when what they say no longer holds
    (a corrected person, a filed house, a chip read), and one closed by hand would be found
    again by the next check, so they are refused. Raises ``NotFound``, ``OutOfScope`` and
    ``Refused`` (resolved already, not a fact, no note) and ``InvalidInput`` (a note with
    control characters or longer than 200 characters, ``registry.identity.text.line``)."""
    from registry.privacy import journal

    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFound("no such finding")
    access.require(session, ctx, "findings.write", jurisdiction=finding.jurisdiction_code)
    if finding.resolved_at is not None:
        raise Refused("this finding is already resolved")
    if finding.code not in FACT_CODES:
        how = _HOW.get(finding.code, "")
        raise Refused(f"finding {finding.code} resolves by itself once corrected: {how}")
    if not note.strip():
        raise Refused("say how the finding was handled")
    resolution = line(note.strip(), "note", width(Finding.resolution))
    finding.resolved_at, finding.resolution = ctx.now(), resolution
    journal.record(
        session,
        ctx,
        "finding.acknowledged",
        "finding",
        finding.id,
        person_id=finding.person_id,
        jurisdiction=finding.jurisdiction_code,
        code=finding.code,
    )
    return finding
