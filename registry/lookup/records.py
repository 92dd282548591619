"""Read side: where a person lived, who lived in a house, a person's history over time.

The plain functions take ids and do no access control (internal callers, reports); the
``read_*`` and ``screen`` functions are what a user's read goes through: scope checked by
``registry.privacy.access`` and an audit entry with the persons touched.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db import voiding
from registry.db.models import Employer, Employment, House, Person, Residence, Stay, Venue
from registry.errors import InvalidInput, NotFound
from registry.people import find
from registry.privacy import access, audit


def _on(model: type[Residence] | type[Employment], day: date) -> list[object]:
    return [model.valid_from <= day, or_(model.valid_to.is_(None), model.valid_to > day)]


def residences_on(
    session: Session, person_id: uuid.UUID, day: date
) -> list[tuple[Residence, House]]:
    """Where did the person live on ``day``? (Usually one house; two is a finding.)"""
    return [
        (r, h)
        for r, h in session.execute(
            select(Residence, House)
            .join(House, House.id == Residence.house_id)
            .where(Residence.person_id == person_id, *_on(Residence, day))
            .order_by(Residence.valid_from)
        )
    ]


def residents_on(
    session: Session, house_id: uuid.UUID, day: date
) -> list[tuple[Residence, Person]]:
    """Who lived in the house on ``day``?"""
    return [
        (r, p)
        for r, p in session.execute(
            select(Residence, Person)
            .join(Person, Person.id == Residence.person_id)
            .where(Residence.house_id == house_id, *_on(Residence, day))
            .order_by(Residence.valid_from, Person.name)
        )
    ]


def guests_at(session: Session, venue_id: uuid.UUID, at: datetime) -> list[tuple[Stay, Person]]:
    """Who was checked in at the venue at instant ``at``?"""
    return [
        (s, p)
        for s, p in session.execute(
            select(Stay, Person)
            .join(Person, Person.id == Stay.person_id)
            .where(
                Stay.venue_id == venue_id,
                Stay.checked_in_at <= at,
                or_(Stay.checked_out_at.is_(None), Stay.checked_out_at > at),
            )
            .order_by(Stay.room, Person.name)
        )
    ]


@dataclass(frozen=True)
class Interval:
    """One line of a person's history: a stay, a residence or an employment."""

    kind: str  # stay / residence / employment
    place: str
    start: date | datetime
    end: date | datetime | None
    detail: str
    jurisdiction: str
    voided_at: datetime | None = None  # a cancelled check-in or move-in (issue 19)
    void_reason: str | None = None


def history(session: Session, person_id: uuid.UUID, *, voided: bool = False) -> list[Interval]:
    """Stays, residences and employments of a person, oldest first.

    ``voided``: also the cancelled (voided) stays and residences, marked by ``voided_at`` and
    ``void_reason`` — a person's full history keeps them; what is current leaves them out."""
    lines: list[Interval] = []
    with voiding.included(session) if voided else nullcontext():
        _stays_and_residences(session, person_id, lines)
    _employments(session, person_id, lines)
    return sorted(lines, key=lambda i: str(i.start)[:10])


def _stays_and_residences(session: Session, person_id: uuid.UUID, lines: list[Interval]) -> None:
    for stay, venue in session.execute(
        select(Stay, Venue)
        .join(Venue, Venue.id == Stay.venue_id)
        .where(Stay.person_id == person_id)
    ):
        lines.append(
            Interval(
                "stay",
                venue.name,
                stay.checked_in_at,
                stay.checked_out_at,
                f"房间 {stay.room}",
                stay.jurisdiction_code,
                stay.voided_at,
                stay.void_reason,
            )
        )
    for res, house in session.execute(
        select(Residence, House)
        .join(House, House.id == Residence.house_id)
        .where(Residence.person_id == person_id)
    ):
        lines.append(
            Interval(
                "residence",
                house.address,
                res.valid_from,
                res.valid_to,
                res.relation,
                res.jurisdiction_code,
                res.voided_at,
                res.void_reason,
            )
        )


def _employments(session: Session, person_id: uuid.UUID, lines: list[Interval]) -> None:
    for job, employer in session.execute(
        select(Employment, Employer)
        .join(Employer, Employer.id == Employment.employer_id)
        .where(Employment.person_id == person_id)
    ):
        lines.append(
            Interval(
                "employment",
                employer.name,
                job.valid_from,
                job.valid_to,
                job.post or "",
                job.jurisdiction_code,
            )
        )


# --- audited reads for a user: scope checked, subjects recorded ----------------------------


def read_person(
    session: Session, ctx: Context, number: str, *, reveal_reason: str | None = None
) -> Person:
    """The person with this number for ``person show``; audited as a read, or as a reveal
    (full number, phone, address) when a reason is given. Analysts never reveal."""
    ctx = access.acting(session, ctx)
    if reveal_reason is not None and not reveal_reason.strip():
        raise InvalidInput("a reveal needs a reason")
    access.require(session, ctx, "person.read")
    try:
        person = find.find_person(session, number)
    except NotFound:
        if ctx.principal.unrestricted:
            raise
        # A scoped user is told the same for a stranger and for nobody: whether a number is
        # registered outside their scope is not theirs to learn (audited like a refusal).
        raise access.refuse(session, ctx, "person", "may not read this person") from None
    if reveal_reason is None:
        audit.note(session, ctx, "read", "person.viewed", persons=(person,))
        return person
    if ctx.principal.role == "analyst":
        raise access.refuse(session, ctx, "reveal", "may not reveal", persons=[person.id])
    access.require(session, ctx, "person.reveal")
    audit.note(session, ctx, "reveal", "person.revealed", persons=(person,), purpose=reveal_reason)
    return person


def read_history(
    session: Session, ctx: Context, number: str, day: date | None = None
) -> tuple[Person, list[Interval]]:
    """A person's whereabouts (PIPL: sensitive) for ``person history``; audited."""
    ctx = access.acting(session, ctx)
    access.require(session, ctx, "person.read")
    person = find.find_person(session, number)
    if day is None:
        lines = history(session, person.id, voided=True)
    else:
        lines = [
            Interval(
                "residence", h.address, r.valid_from, r.valid_to, r.relation, r.jurisdiction_code
            )
            for r, h in residences_on(session, person.id, day)
        ]
    audit.note(session, ctx, "read", "person.history", persons=(person,), on=day)
    return person, lines


def screen(
    session: Session, ctx: Context, persons: list[Person], action: str, **detail: object
) -> list[Person]:
    """The persons of a search or list the user may see, audited with them as subjects."""
    ctx = access.acting(session, ctx)
    access.require(session, ctx, "person.read")
    p = ctx.principal
    if not p.unrestricted and persons:
        ids = {x.id for x in persons}
        visible = set(
            session.scalars(
                select(Person.id).where(
                    Person.id.in_(ids), access.persons_clause(session, p, Person.id)
                )
            )
        )
        persons = [x for x in persons if x.id in visible]
    audit.note(session, ctx, "read", action, persons=persons, count=len(persons), **detail)
    return persons


def guests_now(session: Session, ctx: Context, venue_ref: str) -> list[tuple[Stay, Person]]:
    """The current guests of a venue (a desk: its own only); audited."""
    from registry.places import venues  # not with the module: a search does not need it

    ctx = access.acting(session, ctx)
    venue = venues.resolve_venue(session, venue_ref)
    rows = guests_at(session, venue.id, ctx.now())
    audit.note(session, ctx, "read", "venue.guests", persons=[p for _, p in rows], venue=venue.id)
    return rows
