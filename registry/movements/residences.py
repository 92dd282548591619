"""Residences: a person moves into a house and out of it (人房), with reporting deadlines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Finding, House, Person, Residence
from registry.errors import InvalidInput, NotFound, Refused
from registry.identity.ids import mask
from registry.identity.text import remark
from registry.matching import checks, rules
from registry.movements import voids
from registry.people.find import find_person
from registry.people.registration import Identity, Registration, identify
from registry.places.houses import house_by_ref, resolve_house
from registry.places.jurisdictions import city_code
from registry.privacy import access, journal

RELATIONS = ("tenant", "co-tenant", "family", "dormitory", "owner")
REPORTERS = ("landlord", "intermediary", "employer", "self")


@dataclass
class MoveIn:
    house: House
    guest: Registration
    residence: Residence
    findings: list[Finding] = field(default_factory=list)


def _not_future(ctx: Context, day: date, what: str) -> None:
    if day > ctx.today():
        raise InvalidInput(f"the {what} day {day} is in the future; record it on or after the day")


def move_in(
    session: Session,
    ctx: Context,
    house_ref: str,
    identity: Identity,
    *,
    on: date | None = None,
    relation: str = "tenant",
    reporter: str = "self",
    planned_end: date | None = None,
) -> MoveIn:
    """Register a residence from ``on``; late reports and overcrowding come back as findings."""
    house = house_by_ref(session, house_ref)
    ctx = access.require(session, ctx, "residence.write", house=house)
    day = on or ctx.today()
    _not_future(ctx, day, "move-in")
    if relation not in RELATIONS:
        raise InvalidInput(f"relation must be one of {', '.join(RELATIONS)}")
    if reporter not in REPORTERS:
        raise InvalidInput(f"reporter must be one of {', '.join(REPORTERS)}")
    if planned_end is not None and planned_end <= day:
        raise InvalidInput("the planned end must be after the move-in day")
    reg = identify(session, ctx, identity, city=city_code(session, house.jurisdiction_code))
    overlapping = session.scalar(
        select(Residence).where(
            Residence.person_id == reg.person.id,
            Residence.house_id == house.id,
            or_(Residence.valid_to.is_(None), Residence.valid_to > day),
        )
    )
    if overlapping is not None:
        raise Refused(
            f"{mask(reg.person.number)} already lives in this house from "
            f"{overlapping.valid_from}; move out first or correct the dates"
        )
    residence = Residence(
        id=uuid.uuid4(),
        person_id=reg.person.id,
        house_id=house.id,
        jurisdiction_code=house.jurisdiction_code,
        valid_from=day,
        planned_end=planned_end,
        relation=relation,
        reporter=reporter,
        capture=reg.capture,
        document_id=reg.document.id,
        registered_by=ctx.actor,
        reported_at=ctx.now(),
        report_deadline=rules.residence_deadline(
            rules.effective(session, house.jurisdiction_code, day),
            day,
            relation=relation,
            category=reg.person.category,
        ),
    )
    session.add(residence)
    moved_in = journal.entry(
        "residence.moved_in",
        "residence",
        residence.id,
        person_id=reg.person.id,
        jurisdiction=house.jurisdiction_code,
        house=house.id,
        on=day,
        relation=relation,
        reporter=reporter,
    )
    session.flush()
    found = checks.refresh(session, ctx, checks.Scope(persons={reg.person.id}, houses={house.id}))
    journal.record_all(session, ctx, [e for e in (reg.entry, moved_in) if e is not None])
    return MoveIn(house, reg, residence, found)


@dataclass
class MoveOut:
    house: House
    residence: Residence
    findings: list[Finding]


def move_out(
    session: Session,
    ctx: Context,
    house_ref: str,
    number: str,
    *,
    on: date | None = None,
    reason: str | None = None,
) -> MoveOut:
    """End a person's residence in a house on ``on`` (走有核销)."""
    ctx = access.require(session, ctx, "residence.write")
    house = resolve_house(session, house_ref)
    person = find_person(session, number)
    day = on or ctx.today()
    _not_future(ctx, day, "move-out")
    here = select(Residence).where(
        Residence.person_id == person.id, Residence.house_id == house.id
    )
    residence = session.scalar(here.where(Residence.valid_to.is_(None)))
    if residence is None:  # the latest one cancelled: say so
        voids.latest_unvoided(session, here.order_by(Residence.valid_from.desc()))
        raise NotFound(f"{mask(person.number)} does not live in this house")
    if day < residence.valid_from:
        raise InvalidInput(f"the move-out day is before the move-in day {residence.valid_from}")
    residence.valid_to = day
    residence.end_reason = remark(reason)
    residence.departure_reported_at = ctx.now()
    residence.departure_deadline = rules.departure_deadline(
        rules.effective(session, house.jurisdiction_code, day), day
    )
    withdraw_exempt_late(session, ctx, residence)
    journal.record(
        session,
        ctx,
        "residence.moved_out",
        "residence",
        residence.id,
        person_id=person.id,
        jurisdiction=house.jurisdiction_code,
        on=day,
        reason=residence.end_reason,
    )
    session.flush()
    found = checks.refresh(session, ctx, checks.Scope(persons={person.id}, houses={house.id}))
    return MoveOut(house, residence, found)


def withdraw_exempt_late(session: Session, ctx: Context, residence: Residence) -> None:
    """A stay with close relatives that ended within the exemption needed no report at all:
    resolve the PH-LATE found while it looked open-ended (PH-LATE is otherwise a fact)."""
    assert residence.valid_to is not None
    in_force = rules.effective(session, residence.jurisdiction_code, residence.valid_from)
    if not rules.family_exempt(
        in_force, residence.relation, residence.valid_from, residence.valid_to
    ):
        return
    keys = [f"PH-LATE:residence:{residence.id}", f"PH-LATE:departure:{residence.id}"]
    for finding in session.scalars(
        select(Finding).where(Finding.key.in_(keys), Finding.resolved_at.is_(None))
    ):
        finding.resolved_at = ctx.now()
        finding.resolution = "投靠近亲属居住未超过免登记期限，无需申报"


@dataclass
class Cancelled:
    """A voided move-in: the residence (kept, marked void), its person and what resolved."""

    house: House
    residence: Residence
    person: Person
    resolved: int  # findings about the residence resolved with it
    findings: list[Finding]  # what re-checking the person and the house opened


def cancel_move_in(
    session: Session, ctx: Context, house_ref: str, number: str, *, reason: str
) -> Cancelled:
    """Void a mistaken move-in of the person with ``number`` into the house (their open
    residence there, else their latest one). The residence is kept with ``voided_at``/
    ``voided_by``/``void_reason`` and leaves occupancy (overcrowding), overdue lists, findings,
    reports and search; its findings are resolved; journalled (``residence.voided``) and
    audited; a desk uploads the void like any change of the residence.

    Raises ``InvalidInput`` (no reason, or over 200 characters), ``NotFound`` (house, person,
    or no residence of theirs there) and ``OutOfScope``.
    """
    why = voids.reason_of(reason)
    house = house_by_ref(session, house_ref)
    ctx = access.require(session, ctx, "residence.write", house=house)
    person = find_person(session, number)
    closed = Residence.valid_to.is_not(None) | Residence.voided_at.is_not(None)
    residence = voids.latest_unvoided(
        session,
        select(Residence)
        .where(Residence.person_id == person.id, Residence.house_id == house.id)
        .order_by(closed, Residence.valid_from.desc()),
    )
    if residence is None:
        raise NotFound(f"{mask(person.number)} does not live in this house")
    resolved = voids.void(session, ctx, residence, why)
    journal.record(
        session,
        ctx,
        "residence.voided",
        "residence",
        residence.id,
        person_id=person.id,
        jurisdiction=residence.jurisdiction_code,
        house=house.id,
        reason=why,
    )
    session.flush()
    found = checks.refresh(session, ctx, checks.Scope(persons={person.id}, houses={house.id}))
    return Cancelled(house, residence, person, resolved, found)
