"""Overdue residences (走有核销): list them, cancel one (注销) or extend its planned end.

A residence is overdue once its planned end has passed and nobody reported the move-out
(PH-OVERDUE-DEPARTURE). A coordinator cancels it with a reason and the day the person left,
or extends it to a new planned end; each action is an event with the operator. A cancellation
is not a report by the responsible reporter, so it leaves ``departure_reported_at`` empty and
never counts as a late move-out report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Finding, House, Person, Residence
from registry.db.tree import subtree
from registry.errors import Ambiguous, InvalidInput, NotFound, Refused
from registry.identity.ids import mask
from registry.identity.text import remark
from registry.matching import checks, rules
from registry.movements.residences import withdraw_exempt_late
from registry.people.find import find_person
from registry.places.common import Changed
from registry.places.houses import resolve_house
from registry.privacy import access, journal

CODE = "PH-OVERDUE-DEPARTURE"


@dataclass(frozen=True)
class Overdue:
    residence: Residence
    person: Person
    house: House
    days_over: int


def overdue_residences(
    session: Session, ctx: Context, jurisdiction: str | None = None
) -> list[Overdue]:
    """Open residences past their planned end, oldest planned end first."""
    ctx = access.require(session, ctx, "residence.write")
    today = ctx.today()
    query = (
        select(Residence, Person, House)
        .join(Person, Person.id == Residence.person_id)
        .join(House, House.id == Residence.house_id)
        .where(
            Residence.valid_to.is_(None),
            Residence.planned_end < today,
            access.places_clause(ctx.principal, Residence.jurisdiction_code),
            access.persons_clause(session, ctx.principal, Residence.person_id),
        )
        .order_by(Residence.planned_end, Person.name)
    )
    codes = subtree(session, jurisdiction)
    if codes is not None:
        query = query.where(Residence.jurisdiction_code.in_(codes))
    return [
        Overdue(r, p, h, (today - r.planned_end).days)
        for r, p, h in session.execute(query)
        if r.planned_end is not None
    ]


def open_residence(session: Session, number: str, house_ref: str | None = None) -> Residence:
    """The person's open residence (in the given house, or the only one)."""
    person = find_person(session, number)
    query = select(Residence).where(Residence.person_id == person.id, Residence.valid_to.is_(None))
    if house_ref:
        query = query.where(Residence.house_id == resolve_house(session, house_ref).id)
    found = list(session.scalars(query))
    if not found:
        where = "in this house" if house_ref else "anywhere"
        raise NotFound(f"{mask(person.number)} has no open residence {where}")
    if len(found) > 1:
        raise Ambiguous(f"{mask(person.number)} has {len(found)} open residences; name the house")
    return found[0]


def _settle(session: Session, ctx: Context, residence: Residence, resolution: str) -> None:
    """Close the residence's open overdue finding with what the coordinator did."""
    key = f"{CODE}:residence:{residence.id}"
    for finding in session.scalars(
        select(Finding).where(Finding.key == key, Finding.resolved_at.is_(None))
    ):
        finding.resolved_at, finding.resolution = ctx.now(), resolution[:200]


def cancel(
    session: Session,
    ctx: Context,
    number: str,
    *,
    reason: str,
    on: date | None = None,
    house: str | None = None,
) -> Changed[Residence]:
    """Cancel an overdue residence: the person left on ``on`` (default today)."""
    ctx = access.require(session, ctx, "residence.write")
    residence = open_residence(session, number, house)
    today = ctx.today()
    reason = remark(reason)
    if reason is None:
        raise InvalidInput("a cancellation needs a reason")
    if residence.planned_end is None or residence.planned_end >= today:
        raise Refused(
            "this residence is not overdue (no planned end, or the planned end has not passed); "
            "report the move-out instead"
        )
    day = on or today
    if day > today:
        raise InvalidInput(f"the departure day {day} is in the future")
    if day < residence.valid_from:
        raise InvalidInput(f"the departure day is before the move-in day {residence.valid_from}")
    residence.valid_to = day
    residence.end_reason = reason
    residence.departure_deadline = rules.departure_deadline(
        rules.effective(session, residence.jurisdiction_code, day), day
    )
    journal.record(
        session,
        ctx,
        "residence.cancelled",
        "residence",
        residence.id,
        person_id=residence.person_id,
        jurisdiction=residence.jurisdiction_code,
        on=day,
        reason=residence.end_reason,
        planned_end=residence.planned_end,
    )
    _settle(session, ctx, residence, f"协管员注销：{residence.end_reason}")
    withdraw_exempt_late(session, ctx, residence)
    session.flush()
    found = checks.refresh(
        session,
        ctx,
        checks.Scope(persons={residence.person_id}, houses={residence.house_id}),
    )
    return Changed(residence, found)


def extend(
    session: Session,
    ctx: Context,
    number: str,
    *,
    until: date,
    reason: str | None = None,
    house: str | None = None,
) -> Changed[Residence]:
    """Extend an open residence to a new planned end (today or later)."""
    ctx = access.require(session, ctx, "residence.write")
    residence = open_residence(session, number, house)
    if until < ctx.today():
        raise InvalidInput(f"the new planned end {until} has already passed")
    if until <= residence.valid_from:
        raise InvalidInput("the planned end must be after the move-in day")
    if until == residence.planned_end:
        raise InvalidInput(f"the planned end is already {until}")
    before = residence.planned_end
    residence.planned_end = until
    journal.record(
        session,
        ctx,
        "residence.extended",
        "residence",
        residence.id,
        person_id=residence.person_id,
        jurisdiction=residence.jurisdiction_code,
        planned_end_before=before,
        planned_end=until,
        reason=remark(reason),
    )
    _settle(session, ctx, residence, f"协管员延期至 {until}")
    session.flush()
    found = checks.refresh(session, ctx, checks.Scope(persons={residence.person_id}))
    return Changed(residence, found)
