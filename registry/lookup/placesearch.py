"""The places a search text names, for ``laiqu person search``: the houses among the search
tiers' hits that the caller may see, each with who lives there today, and the venues whose name
or address holds the text.

Kept apart from the place lists and files so that a search imports neither the place use
cases nor the matchings (the start-up of the command line, issue 19).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Employment, House, Person, Residence, Venue
from registry.lookup.search import Hit
from registry.privacy import access


def current(model: type[Residence] | type[Employment], ctx: Context) -> ColumnElement[bool]:
    """Residences or employments that hold on the caller's today: [valid_from, valid_to)."""
    today = ctx.today()
    return (model.valid_from <= today) & or_(model.valid_to.is_(None), model.valid_to > today)


@dataclass(frozen=True)
class Tenancy:
    """A residence with its person."""

    residence: Residence
    person: Person


@dataclass(frozen=True)
class HouseHit:
    """A house a search found, with who lives there today."""

    house: House
    match: str
    tenants: list[Tenancy]


def found_places(
    session: Session, ctx: Context, hits: list[Hit], text: str, limit: int
) -> tuple[list[HouseHit], list[Venue]]:
    """The houses among search ``hits`` that the caller may see, each with its tenants today,
    and the venues whose name or address holds ``text`` (3 or more characters; shorter: whose
    name starts with it), at most ``limit``. The caller audits the persons
    (``registry.lookup.persons.search_all``)."""
    p = access.acting(session, ctx).principal
    house_ids = [h.id for h in hits if h.kind == "house"]
    found: list[HouseHit] = []
    if house_ids:
        visible = {
            h.id: h
            for h in session.scalars(
                select(House).where(House.id.in_(house_ids), access.houses_clause(p))
            )
        }
        rows = (
            session.execute(
                select(Residence, Person)
                .join(Person, Person.id == Residence.person_id)
                .where(Residence.house_id.in_(list(visible)), current(Residence, ctx))
                .order_by(Residence.valid_from, Person.name)
            ).all()
            if visible
            else []
        )
        by_house: dict[uuid.UUID, list[Tenancy]] = {}
        for r, person in rows:
            by_house.setdefault(r.house_id, []).append(Tenancy(r, person))
        found = [
            HouseHit(visible[h.id], h.match, by_house.get(h.id, []))
            for h in hits
            if h.kind == "house" and h.id in visible
        ]
    needle = "".join(text.split())
    venues: list[Venue] = []
    if needle and (p.unrestricted or p.role != "analyst"):
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition = (
            or_(Venue.name.like(pattern, escape="\\"), Venue.address.like(pattern, escape="\\"))
            if len(needle) >= 3
            else Venue.name.like(pattern.removeprefix("%"), escape="\\")  # a name's start
        )
        venues = list(
            session.scalars(
                select(Venue)
                .where(condition, access.venues_clause(p))
                .order_by(Venue.jurisdiction_code, Venue.name)
                .limit(limit)
            )
        )
    return found, venues
