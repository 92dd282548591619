"""What a user reads about places: lists of houses and employers, one house with its tenants
(now and past), one employer with its employees.

Every function is scope-checked (``registry.privacy.access``) and audited as a read, with the
persons shown as the entry's subjects. Houses are seen by coordinators (their subtree),
intermediaries (the houses entrusted to them) and admins; employers by coordinators and
admins; a list without persons (counts only) also by analysts of the subtree. What a search
finds among places is ``registry.lookup.placesearch``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.access_models import ManagedHouse
from registry.db.models import Employer, Employment, Finding, House, Person, Residence, Venue
from registry.db.tree import subtree
from registry.lookup.placesearch import Tenancy, current
from registry.matching.codes import CODES
from registry.places import employers, houses, venues
from registry.privacy import access, audit

LIST_LIMIT = 1000


# --- houses ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseRow:
    """A house of a list, with how many live there today."""

    house: House
    tenants: int


@dataclass(frozen=True)
class HouseFile:
    """A house as ``house show`` prints it."""

    house: House
    landlord: Person | None
    now: list[Tenancy]  # living there today
    past: list[Tenancy]  # moved out (or not yet moved in), latest first
    findings: list[Finding]  # open findings of the house and of its residences
    intermediaries: list[Venue] = field(default_factory=list)


def list_houses(
    session: Session, ctx: Context, jurisdiction: str | None = None, limit: int = LIST_LIMIT
) -> list[HouseRow]:
    """The houses the caller may see (of ``jurisdiction``'s subtree when given), by
    jurisdiction and address, with today's number of tenants; audited.

    Raises ``NotFound`` (unknown jurisdiction) and ``OutOfScope`` (a jurisdiction outside the
    caller's)."""
    ctx = access.acting(session, ctx)
    if jurisdiction is not None:
        access.check_jurisdiction(session, ctx, jurisdiction)
    tenants = (
        select(Residence.house_id, func.count().label("n"))
        .where(current(Residence, ctx))
        .group_by(Residence.house_id)
        .subquery()
    )
    query = (
        select(House, func.coalesce(tenants.c.n, 0))
        .outerjoin(tenants, tenants.c.house_id == House.id)
        .where(access.houses_clause(ctx.principal))
        .order_by(House.jurisdiction_code, House.address)
        .limit(limit)
    )
    codes = subtree(session, jurisdiction)
    if codes is not None:
        query = query.where(House.jurisdiction_code.in_(codes))
    rows = [HouseRow(h, n) for h, n in session.execute(query)]
    audit.note(session, ctx, "read", "house.listed", count=len(rows), where=jurisdiction)
    return rows


def house_file(session: Session, ctx: Context, ref: str) -> HouseFile:
    """The house ``ref`` names (id, id prefix or door plate) with its landlord, its tenants now
    and in the past, its intermediaries and open findings; audited with the persons shown.

    Raises ``NotFound``, ``Ambiguous`` and ``OutOfScope`` (a house outside the scope)."""
    ctx = access.acting(session, ctx)
    house = houses.resolve_house(session, ref)
    ctx = access.require(session, ctx, "person.read", house=house)
    rows = session.execute(
        select(Residence, Person)
        .join(Person, Person.id == Residence.person_id)
        .where(Residence.house_id == house.id)
        .order_by(Residence.valid_from.desc(), Person.name)
    ).all()
    today = ctx.today()
    now = [
        Tenancy(r, p)
        for r, p in rows
        if r.valid_from <= today and (r.valid_to is None or r.valid_to > today)
    ]
    current = {t.residence.id for t in now}
    past = [Tenancy(r, p) for r, p in rows if r.id not in current]
    landlord = session.get(Person, house.landlord_id) if house.landlord_id else None
    findings = _open_findings(session, "house", house.id, rows)
    venues = list(
        session.scalars(
            select(Venue)
            .join(ManagedHouse, ManagedHouse.venue_id == Venue.id)
            .where(ManagedHouse.house_id == house.id)
            .order_by(Venue.name)
        )
    )
    shown = [p for _, p in rows] + ([landlord] if landlord else [])
    audit.note(session, ctx, "read", "house.viewed", persons=shown, house=house.id)
    return HouseFile(house, landlord, now, past, findings, venues)


# --- employers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmployerRow:
    employer: Employer
    employees: int  # employed today


@dataclass(frozen=True)
class Job:
    employment: Employment
    person: Person


@dataclass(frozen=True)
class EmployerFile:
    """An employer as ``employer show`` prints it."""

    employer: Employer
    now: list[Job]
    past: list[Job]
    findings: list[Finding]  # open findings of the employer and of its employments


def list_employers(
    session: Session, ctx: Context, jurisdiction: str | None = None, limit: int = LIST_LIMIT
) -> list[EmployerRow]:
    """The employers the caller may see (of ``jurisdiction``'s subtree when given), by
    jurisdiction and name, with today's number of employees; audited.

    Raises ``NotFound`` (unknown jurisdiction) and ``OutOfScope``."""
    ctx = access.acting(session, ctx)
    if jurisdiction is not None:
        access.check_jurisdiction(session, ctx, jurisdiction)
    staff = (
        select(Employment.employer_id, func.count().label("n"))
        .where(current(Employment, ctx))
        .group_by(Employment.employer_id)
        .subquery()
    )
    query = (
        select(Employer, func.coalesce(staff.c.n, 0))
        .outerjoin(staff, staff.c.employer_id == Employer.id)
        .where(access.employers_clause(ctx.principal))
        .order_by(Employer.jurisdiction_code, Employer.name)
        .limit(limit)
    )
    codes = subtree(session, jurisdiction)
    if codes is not None:
        query = query.where(Employer.jurisdiction_code.in_(codes))
    rows = [EmployerRow(e, n) for e, n in session.execute(query)]
    audit.note(session, ctx, "read", "employer.listed", count=len(rows), where=jurisdiction)
    return rows


def employer_file(session: Session, ctx: Context, ref: str) -> EmployerFile:
    """The employer ``ref`` names (id, id prefix, credit code or name) with its employees now
    and in the past and its open findings; audited with the persons shown.

    Raises ``NotFound``, ``Ambiguous`` and ``OutOfScope``."""
    ctx = access.acting(session, ctx)
    employer = employers.resolve_employer(session, ref)
    ctx = access.require(session, ctx, "person.read")
    rows = session.execute(
        select(Employment, Person)
        .join(Person, Person.id == Employment.person_id)
        .where(Employment.employer_id == employer.id)
        .order_by(Employment.valid_from.desc(), Person.name)
    ).all()
    today = ctx.today()
    now = [
        Job(e, p)
        for e, p in rows
        if e.valid_from <= today and (e.valid_to is None or e.valid_to > today)
    ]
    current = {j.employment.id for j in now}
    past = [Job(e, p) for e, p in rows if e.id not in current]
    findings = _open_findings(session, "employer", employer.id, rows)
    audit.note(
        session, ctx, "read", "employer.viewed", persons=[p for _, p in rows], employer=employer.id
    )
    return EmployerFile(employer, now, past, findings)


def _open_findings(
    session: Session, kind: str, place_id: uuid.UUID, rows: Sequence[Row[Any]]
) -> list[Finding]:
    """Open findings of a place (by their keys) and of its residences or employments (by the
    persons' index), oldest first."""
    keys = [f"{code}:{kind}:{place_id}" for code, c in CODES.items() if c.level == kind]
    found = {
        f.id: f
        for f in session.scalars(
            select(Finding).where(Finding.key.in_(keys), Finding.resolved_at.is_(None))
        )
    }
    records = {record.id for record, _ in rows}
    persons = sorted({person.id for _, person in rows}, key=str)
    for i in range(0, len(persons), 1000):
        for f in session.scalars(
            select(Finding).where(
                Finding.person_id.in_(persons[i : i + 1000]), Finding.resolved_at.is_(None)
            )
        ):
            if f.subject_id in records:
                found[f.id] = f
    return sorted(found.values(), key=lambda f: f.found_at)


# --- venues ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VenueFile:
    """A venue as ``venue show`` prints it: its rooms and the houses entrusted to it."""

    venue: Venue
    rooms: list[str]
    entrusted: int  # houses entrusted to it (an intermediary)


def venue_file(session: Session, ctx: Context, ref: str) -> VenueFile:
    """The venue ``ref`` names (a name, ``NAME@JURISDICTION``, its id or an id prefix of 8 or
    more characters, ``places.venues.venue_by_ref``) with its rooms; audited as a read.

    Raises ``NotFound``, ``Ambiguous`` and ``OutOfScope`` (a venue outside the scope)."""
    ctx = access.acting(session, ctx)
    venue = venues.resolve_venue(session, ref)
    rooms = sorted(venues.venue_rooms(session, venue.id))
    entrusted = session.scalar(
        select(func.count()).where(ManagedHouse.venue_id == venue.id)
    )
    audit.note(session, ctx, "read", "venue.viewed", venue=venue.id)
    return VenueFile(venue, rooms, int(entrusted or 0))
