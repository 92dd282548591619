"""Read side: where a person lived, who lived in a house, a person's history over time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from registry.db.models import Employer, Employment, House, Person, Residence, Stay, Venue


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


def history(session: Session, person_id: uuid.UUID) -> list[Interval]:
    """Stays, residences and employments of a person, oldest first."""
    lines: list[Interval] = []
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
            )
        )
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
    return sorted(lines, key=lambda i: str(i.start)[:10])
