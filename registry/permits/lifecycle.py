"""Residence permits (居住证暂行条例, 2016) once issued: status, the yearly endorsement window,
issue, endorse, show, and the due and suspended lists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Document, Jurisdiction, Person
from registry.db.models import Residence as ResidenceRow
from registry.db.rules_models import Endorsement, Permit
from registry.errors import InvalidInput, NotFound, Refused
from registry.identity.ids import DocType, mask
from registry.people.find import find_person
from registry.permits.eligibility import (
    WINDOW_MONTHS,
    Eligibility,
    active_on,
    add_months,
    add_years,
    eligibility,
)
from registry.places.jurisdictions import get_jurisdiction
from registry.privacy import access, journal


@dataclass(frozen=True)
class PermitStatus:
    """A permit as of a day: valid, due (in its endorsement window), suspended or revoked."""

    permit: Permit
    person: Person
    on: date
    status: str
    window: tuple[date, date]  # first and last day to endorse on time
    suspended_from: date | None
    residence_years: int
    endorsements: list[Endorsement] = field(default_factory=list)

    @property
    def due_on(self) -> date:
        return self.permit.due_on


STATUS_LABELS = {"valid": "有效", "due": "待签注", "suspended": "已中止", "revoked": "已注销"}


def window(permit: Permit) -> tuple[date, date]:
    return add_months(permit.due_on, -WINDOW_MONTHS), date.fromordinal(
        permit.due_on.toordinal() - 1
    )


def _years(start: date, end: date) -> int:
    years = 0
    while add_years(start, years + 1) <= end:
        years += 1
    return years


def status_of(
    permit: Permit, person: Person, on: date, endorsements: list[Endorsement] | None = None
) -> PermitStatus:
    first, last = window(permit)
    suspended_from = None
    if permit.revoked_on is not None and permit.revoked_on <= on:
        status = "revoked"
    elif on >= permit.due_on:
        status, suspended_from = "suspended", permit.due_on
    elif on >= first:
        status = "due"
    else:
        status = "valid"
    years = _years(permit.years_from, on)
    if status == "suspended":
        years = min(years, permit.cycle)
    return PermitStatus(
        permit, person, on, status, (first, last), suspended_from, years, endorsements or []
    )


def _current_permit(session: Session, person: Person) -> Permit | None:
    return session.scalars(
        select(Permit)
        .where(Permit.person_id == person.id)
        .order_by(Permit.revoked_on.is_(None).desc(), Permit.issued_on.desc())
        .limit(1)
    ).first()


@dataclass
class Issued:
    permit: Permit
    document: Document
    eligibility: Eligibility


def issue(
    session: Session,
    ctx: Context,
    number: str,
    *,
    on: date | None = None,
    permit_number: str | None = None,
    city: str | None = None,
) -> Issued:
    """Issue a residence permit; refused, with the reasons, when the person is not eligible."""
    ctx = access.require(session, ctx, "permit.write")
    day = on or ctx.today()
    if day > ctx.today():
        raise InvalidInput(f"the issue day {day} is in the future")
    check = eligibility(session, ctx, number, on=day, city=city)
    person = check.person
    held = _current_permit(session, person)
    if held is not None and held.revoked_on is None:
        raise Refused(f"{mask(person.number)} already holds residence permit {held.number}")
    if not check.eligible or check.city is None or check.residence_jurisdiction is None:
        reasons = "; ".join(f"{c.label}：{c.detail}" for c in check.failing)
        when = f"; eligible from {check.eligible_from}" if check.eligible_from else ""
        raise Refused(
            f"{mask(person.number)} is not eligible for a residence permit: {reasons}{when}"
        )
    if permit_number is not None:
        permit_number = permit_number.strip().upper()
        if not permit_number or len(permit_number) > 40:
            raise InvalidInput("a permit number has 1 to 40 characters")
        if session.scalar(select(Permit.id).where(Permit.number == permit_number)):
            raise Refused(f"residence permit number {permit_number} is already used")
    number_ = permit_number or f"JZ{check.city.code}{day:%Y%m%d}{uuid.uuid4().hex[:8].upper()}"
    now = ctx.now()
    document = Document(
        id=uuid.uuid4(),
        person_id=person.id,
        doc_type=DocType.RESIDENCE_PERMIT.value,
        number=number_,
        issuer=f"{check.city.name}公安机关",
        valid_from=day,
        valid_to=None,
        long_term=False,
        capture="issued",
        created_at=now,
    )
    session.add(document)
    session.flush()
    permit = Permit(
        id=uuid.uuid4(),
        number=number_,
        person_id=person.id,
        city_code=check.city.code,
        jurisdiction_code=check.residence_jurisdiction,
        document_id=document.id,
        issued_on=day,
        years_from=day,
        cycle=0,
        due_on=add_years(day, 1),
        issued_by=ctx.actor,
        issued_at=now,
    )
    session.add(permit)
    journal.record(
        session,
        ctx,
        "permit.issued",
        "permit",
        permit.id,
        person_id=person.id,
        jurisdiction=permit.jurisdiction_code,
        number=number_,
        on=day,
        due_on=permit.due_on,
    )
    session.flush()
    return Issued(permit, document, check)


@dataclass
class Endorsed:
    permit: Permit
    endorsement: Endorsement
    status: PermitStatus


def endorse(session: Session, ctx: Context, number: str, *, on: date | None = None) -> Endorsed:
    """Endorse the person's permit; a late endorsement restarts the residence years."""
    ctx = access.require(session, ctx, "permit.write")
    person = find_person(session, number)
    day = on or ctx.today()
    if day > ctx.today():
        raise InvalidInput(f"the endorsement day {day} is in the future")
    permit = _current_permit(session, person)
    if permit is None or (permit.revoked_on is not None and permit.revoked_on <= day):
        raise NotFound(f"{mask(person.number)} holds no residence permit")
    if day < permit.issued_on:
        raise InvalidInput(f"the endorsement day is before the issue day {permit.issued_on}")
    first, last = window(permit)
    if day < first:
        raise Refused(
            f"permit {permit.number} can be endorsed from {first} to {last}, not yet on {day}"
        )
    city = get_jurisdiction(session, permit.city_code)
    codes = select(Jurisdiction.code).where(Jurisdiction.path.like(city.path + "%"))
    home = session.scalars(
        select(ResidenceRow)
        .where(
            ResidenceRow.person_id == person.id,
            ResidenceRow.jurisdiction_code.in_(codes),
            *active_on(ResidenceRow, day),
        )
        .order_by(ResidenceRow.valid_from.desc())
        .limit(1)
    ).first()
    if home is None:
        raise Refused(
            f"{mask(person.number)} has no registered residence in {city.name} on {day}; "
            "a permit is endorsed only while the holder lives in the city"
        )
    anniversary = permit.due_on
    late = day >= anniversary
    if late:
        permit.years_from, permit.cycle = day, 0
    else:
        permit.cycle += 1
    permit.due_on = add_years(permit.years_from, permit.cycle + 1)
    permit.jurisdiction_code = home.jurisdiction_code
    endorsement = Endorsement(
        id=uuid.uuid4(),
        permit_id=permit.id,
        person_id=person.id,
        jurisdiction_code=home.jurisdiction_code,
        endorsed_on=day,
        anniversary=anniversary,
        late=late,
        suspended_from=anniversary if late else None,
        years_from=permit.years_from,
        endorsed_by=ctx.actor,
        endorsed_at=ctx.now(),
    )
    session.add(endorsement)
    journal.record(
        session,
        ctx,
        "permit.endorsed",
        "permit",
        permit.id,
        person_id=person.id,
        jurisdiction=home.jurisdiction_code,
        on=day,
        anniversary=anniversary,
        late=late,
        due_on=permit.due_on,
    )
    session.flush()
    return Endorsed(permit, endorsement, status_of(permit, person, day, [endorsement]))


def show(session: Session, ctx: Context, number: str, *, on: date | None = None) -> PermitStatus:
    """The person's (latest) permit with its endorsements and status on the day."""
    person = find_person(session, number)
    permit = _current_permit(session, person)
    if permit is None:
        raise NotFound(f"{mask(person.number)} holds no residence permit")
    endorsements = list(
        session.scalars(
            select(Endorsement)
            .where(Endorsement.permit_id == permit.id)
            .order_by(Endorsement.endorsed_on, Endorsement.endorsed_at)
        )
    )
    return status_of(permit, person, on or ctx.today(), endorsements)


def _listed(
    session: Session, ctx: Context, jurisdiction: str | None, *conditions: object
) -> list[PermitStatus]:
    ctx = access.require(session, ctx, "permits.read")
    scoped = access.places_clause(ctx.principal, Permit.jurisdiction_code)
    query = (
        select(Permit, Person)
        .join(Person, Person.id == Permit.person_id)
        .where(Permit.revoked_on.is_(None), scoped, *conditions)  # type: ignore[arg-type]
        .order_by(Permit.due_on, Person.name)
    )
    if jurisdiction is not None:
        node = get_jurisdiction(session, jurisdiction)
        codes = select(Jurisdiction.code).where(Jurisdiction.path.like(node.path + "%"))
        query = query.where(Permit.jurisdiction_code.in_(codes))
    today = ctx.today()
    return [status_of(p, person, today) for p, person in session.execute(query)]


def due(
    session: Session, ctx: Context, *, jurisdiction: str | None = None, days: int = 30
) -> list[PermitStatus]:
    """Permits whose anniversary falls in the next ``days`` days: to be endorsed now."""
    if not 0 < days <= 366:
        raise InvalidInput("the number of days must be between 1 and 366")
    today = ctx.today()
    until = date.fromordinal(today.toordinal() + days)
    return _listed(session, ctx, jurisdiction, Permit.due_on > today, Permit.due_on <= until)


def suspended(
    session: Session, ctx: Context, *, jurisdiction: str | None = None
) -> list[PermitStatus]:
    """Permits not endorsed by their anniversary: suspended until endorsed."""
    return _listed(session, ctx, jurisdiction, Permit.due_on <= ctx.today())


