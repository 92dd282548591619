"""Who stays at hotels (``laiqu guests``): at one venue, or in a jurisdiction subtree, now and
today (checked in or out during the local day).

A desk sees its own venue; a coordinator the venues of its subtree; an admin everything;
analysts and intermediaries no guests (``person.read`` on hotels' guests). Audited as one read
with every guest shown as a subject (``venue.guests``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, select, true
from sqlalchemy.orm import Session

from registry.context import Context, Principal
from registry.db.models import Person, Stay, Venue
from registry.db.tree import subtree
from registry.places import venues
from registry.privacy import access, audit

LIMIT = 1000


@dataclass(frozen=True)
class Guest:
    """One stay: the guest (mask before showing), the venue and the room."""

    stay: Stay
    person: Person
    venue: Venue


@dataclass(frozen=True)
class Guests:
    """The guests of a venue or a jurisdiction: in the house now, arrived and left today."""

    venue: Venue | None
    jurisdiction: str | None
    now: list[Guest]
    arrived: list[Guest]  # checked in during the local day (some may have left since)
    left: list[Guest]  # checked out during the local day
    truncated: bool  # a list reached ``limit``


def guests(
    session: Session,
    ctx: Context,
    *,
    venue: str | None = None,
    jurisdiction: str | None = None,
    limit: int = LIMIT,
) -> Guests:
    """The guests of ``venue`` (a reference as ``places.venues.resolve_venue`` takes it), or of
    the venues of ``jurisdiction``'s subtree, or, with neither, of everywhere the caller may
    see (a desk: its venue). At most ``limit`` per list.

    Raises ``NotFound`` (unknown venue or jurisdiction), ``Ambiguous`` (venue name) and
    ``OutOfScope`` (outside the caller's scope; audited)."""
    ctx = access.acting(session, ctx)
    p = ctx.principal
    place = None
    if venue is not None:
        place = venues.resolve_venue(session, venue)
        ctx = access.require(session, ctx, "person.read", venue=place)
        where: ColumnElement[bool] = Stay.venue_id == place.id
    else:
        ctx = access.require(session, ctx, "person.read", jurisdiction=jurisdiction)
        codes = subtree(session, jurisdiction)
        where = Stay.jurisdiction_code.in_(codes) if codes is not None else true()
        if not p.unrestricted:
            where = and_(where, _scope(p))
    now = ctx.now()
    start, end = ctx.start_of(ctx.today()), ctx.end_of(ctx.today())
    base = (
        select(Stay, Person, Venue)
        .join(Person, Person.id == Stay.person_id)
        .join(Venue, Venue.id == Stay.venue_id)
        .where(where)
    )
    order = (Venue.name, Stay.room, Person.name)

    def fetch(condition: ColumnElement[bool]) -> list[Guest]:
        rows = session.execute(base.where(condition).order_by(*order).limit(limit + 1))
        return [Guest(s, person, v) for s, person, v in rows]

    in_house = fetch(and_(Stay.checked_in_at <= now, Stay.checked_out_at.is_(None)))
    arrived = fetch(and_(Stay.checked_in_at >= start, Stay.checked_in_at < end))
    left = fetch(and_(Stay.checked_out_at >= start, Stay.checked_out_at < end))
    truncated = any(len(x) > limit for x in (in_house, arrived, left))
    in_house, arrived, left = in_house[:limit], arrived[:limit], left[:limit]
    shown = {g.person.id: g.person for g in [*in_house, *arrived, *left]}
    audit.note(
        session,
        ctx,
        "read",
        "venue.guests",
        persons=list(shown.values()),
        venue=place.id if place else None,
        where=jurisdiction,
    )
    return Guests(place, jurisdiction, in_house, arrived, left, truncated)


def _scope(p: Principal) -> ColumnElement[bool]:
    """The stays a restricted caller may list: its venue's (desk), its subtree's
    (coordinator); nothing for other roles."""
    if p.role == "desk":
        return Stay.venue_id == p.venue_id
    if p.role == "coordinator":
        return access.places_clause(p, Stay.jurisdiction_code)
    return false()
