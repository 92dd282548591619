"""Employments: a person starts and ends work at an employer (人岗).

Who may register them (``employment.write``, ``privacy.access``): coordinators in their
subtree; a desk of a venue of kind ``employer`` for the employer the venue stands for (same
name, same jurisdiction: ``access.stands_for``); an intermediary for the employers of its
venue's jurisdiction and below. A hotel desk may not. The employer is checked before the person: who
may register a job at an employer may name the person hired or leaving there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.idrefs import id_prefix
from registry.db.models import Employer, Employment, Finding, Person
from registry.errors import InvalidInput, NotFound, Refused
from registry.identity.ids import mask, validate_uscc
from registry.identity.text import remark
from registry.matching import checks
from registry.people.find import person_by_number
from registry.people.registration import TypedIdentity, register
from registry.places.employers import resolve_employer
from registry.places.jurisdictions import city_code, get_jurisdiction
from registry.privacy import access, journal


@dataclass
class Job:
    employer: Employer
    person: Person
    employment: Employment
    findings: list[Finding]


def _unregistered_employer(
    session: Session, ctx: Context, ref: str, jurisdiction: str | None
) -> Employer:
    """An employer only known from this report: recorded, flagged PJ-UNKNOWN-EMPLOYER.

    ``NotFound`` without a jurisdiction, and for a reference shaped as a record id (8 or more
    hexadecimal characters that are no credit code): an id names a record, never a new one."""
    text = ref.strip()
    try:
        uscc: str | None = validate_uscc(text)
    except InvalidInput:
        uscc = None
    if uscc is None and id_prefix(text) is not None:
        # A reference a list printed (an id or its first 8+ characters), not an employer's
        # name: never make an unregistered employer called "3f2a9c1e".
        raise NotFound(f"employer {text!r} is an id reference that names no employer")
    if not jurisdiction:
        raise NotFound(
            f"employer {ref!r} is not registered; register it first, or give the jurisdiction "
            "to record the job at an unregistered employer"
        )
    get_jurisdiction(session, jurisdiction)
    ctx = access.acting(session, ctx)
    employer = Employer(
        id=uuid.uuid4(),
        name=text,
        uscc=uscc,
        jurisdiction_code=jurisdiction,
        registered=False,
        created_at=ctx.now(),
    )
    # a scoped user records only an employer it could register jobs at (OutOfScope, audited)
    access.check_employer(session, ctx, employer)
    session.add(employer)
    journal.record(
        session, ctx, "employer.reported", "employer", employer.id, jurisdiction=jurisdiction
    )
    return employer


def start_job(
    session: Session,
    ctx: Context,
    employer_ref: str,
    number: str,
    *,
    name: str | None = None,
    on: date | None = None,
    post: str | None = None,
    jurisdiction: str | None = None,
) -> Job:
    """Register that the person ``number`` (registered with ``name`` when new) started work at
    ``employer_ref`` on ``on`` (today); an employer not registered is recorded from the
    report when ``jurisdiction`` is given (PJ-UNKNOWN-EMPLOYER). A ``Job`` with the findings
    re-checked. Raises ``OutOfScope`` (role, venue kind, employer: module docstring),
    ``NotFound``, ``InvalidInput`` (a day ahead) and ``Refused`` (already working there).
    Within 3 working days of hiring (domain-rules.md, 人岗)."""
    ctx = access.require(session, ctx, "employment.write")
    day = on or ctx.today()
    if day > ctx.today():
        raise InvalidInput(f"the start day {day} is in the future")
    try:
        employer = resolve_employer(session, employer_ref)
    except NotFound:
        employer = _unregistered_employer(session, ctx, employer_ref, jurisdiction)
    try:
        person = person_by_number(session, number)  # the employer's scope was checked
    except NotFound:
        if not name:
            raise NotFound("this person is not registered yet: give the name too") from None
        city = city_code(session, employer.jurisdiction_code)
        person = register(session, ctx, TypedIdentity(number=number, name=name), city=city).person
    overlapping = session.scalar(
        select(Employment).where(
            Employment.person_id == person.id,
            Employment.employer_id == employer.id,
            or_(Employment.valid_to.is_(None), Employment.valid_to > day),
        )
    )
    if overlapping is not None:
        raise Refused(f"{mask(person.number)} already works at {employer.name}")
    job = Employment(
        id=uuid.uuid4(),
        person_id=person.id,
        employer_id=employer.id,
        jurisdiction_code=employer.jurisdiction_code,
        valid_from=day,
        post=post,
        registered_by=ctx.actor,
        reported_at=ctx.now(),
    )
    session.add(job)
    journal.record(
        session,
        ctx,
        "employment.started",
        "employment",
        job.id,
        person_id=person.id,
        jurisdiction=employer.jurisdiction_code,
        employer=employer.id,
        on=day,
    )
    session.flush()
    found = checks.refresh(
        session, ctx, checks.Scope(persons={person.id}, employers={employer.id})
    )
    return Job(employer, person, job, found)


def end_job(
    session: Session,
    ctx: Context,
    employer_ref: str,
    number: str,
    *,
    on: date | None = None,
    reason: str | None = None,
) -> Job:
    """Register that the person ``number`` left ``employer_ref`` on ``on`` (today): the open
    employment ends. A ``Job`` with the findings re-checked. Raises ``OutOfScope``,
    ``NotFound`` (no open job there), ``InvalidInput``. Within 3 working days of the
    termination (domain-rules.md, 人岗: 走有核销)."""
    ctx = access.require(session, ctx, "employment.write")
    employer = resolve_employer(session, employer_ref)
    person = person_by_number(session, number)  # the employer's scope was checked
    day = on or ctx.today()
    if day > ctx.today():
        raise InvalidInput(f"the end day {day} is in the future")
    job = session.scalar(
        select(Employment).where(
            Employment.person_id == person.id,
            Employment.employer_id == employer.id,
            Employment.valid_to.is_(None),
        )
    )
    if job is None:
        raise NotFound(f"{mask(person.number)} does not work at {employer.name}")
    if day < job.valid_from:
        raise InvalidInput(f"the end day is before the start day {job.valid_from}")
    job.valid_to = day
    job.end_reason = remark(reason)
    journal.record(
        session,
        ctx,
        "employment.ended",
        "employment",
        job.id,
        person_id=person.id,
        jurisdiction=employer.jurisdiction_code,
        on=day,
    )
    session.flush()
    found = checks.refresh(
        session, ctx, checks.Scope(persons={person.id}, employers={employer.id})
    )
    return Job(employer, person, job, found)
