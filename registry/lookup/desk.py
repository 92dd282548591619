"""What a hotel desk's page shows at a glance: rooms with occupancy, the guests in the house now
by room, today's arrivals and departures, and one guest's stay (for the registration slip).

Reads only, audited like ``records.guests_now`` (the persons listed are the audit's subjects);
the caller owns the (short) transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from registry.context import Context
from registry.db.models import Finding, Person, Stay, Venue
from registry.errors import NotFound
from registry.identity.ids import parse
from registry.lookup.records import guests_at
from registry.places import venues
from registry.privacy import access, audit


@dataclass(frozen=True)
class Guest:
    """One stay as a desk lists it (the person is the registry's row; mask before showing)."""

    stay: Stay
    person: Person


@dataclass(frozen=True)
class RoomState:
    number: str
    guests: list[Guest] = field(default_factory=list)

    @property
    def occupied(self) -> bool:
        return bool(self.guests)


@dataclass(frozen=True)
class DeskView:
    venue: Venue
    rooms: list[RoomState]
    arrivals: list[Guest]  # checked in today (local day), in or out since
    departures: list[Guest]  # checked out today
    findings: list[Finding]  # open findings of the guests in the house

    @property
    def in_house(self) -> list[Guest]:
        return [g for r in self.rooms for g in r.guests]


def _room_key(number: str) -> tuple[int, str]:
    digits = "".join(ch for ch in number if ch.isdigit())
    return (int(digits) if digits else 1 << 30, number)


def desk_view(session: Session, ctx: Context, venue_ref: str) -> DeskView:
    """Rooms with their guests now, today's arrivals and departures, open findings."""
    ctx = access.acting(session, ctx)
    venue = venues.resolve_venue(session, venue_ref)
    now = ctx.now()
    today = ctx.today()
    start, end = ctx.start_of(today), ctx.end_of(today)
    current = [Guest(s, p) for s, p in guests_at(session, venue.id, now)]
    by_room: dict[str, list[Guest]] = {}
    for g in current:
        by_room.setdefault(g.stay.room, []).append(g)
    numbers = sorted(set(venues.venue_rooms(session, venue.id)) | set(by_room), key=_room_key)
    rooms = [RoomState(n, by_room.get(n, [])) for n in numbers]
    rows = session.execute(
        select(Stay, Person)
        .join(Person, Person.id == Stay.person_id)
        .where(
            Stay.venue_id == venue.id,
            or_(
                and_(Stay.checked_in_at >= start, Stay.checked_in_at < end),
                and_(Stay.checked_out_at >= start, Stay.checked_out_at < end),
            ),
        )
        .order_by(Stay.checked_in_at)
    ).all()
    arrivals = [Guest(s, p) for s, p in rows if start <= s.checked_in_at < end]
    departures = [
        Guest(s, p)
        for s, p in rows
        if s.checked_out_at is not None and start <= s.checked_out_at < end
    ]
    departures.sort(key=lambda g: g.stay.checked_out_at or now)
    persons = {g.person.id for g in current}
    findings = (
        list(
            session.scalars(
                select(Finding)
                .where(
                    Finding.person_id.in_(persons),
                    Finding.resolved_at.is_(None),
                    _desk_may_see(venue.id),
                )
                .order_by(Finding.found_at.desc())
            )
        )
        if persons
        else []
    )
    seen = {g.person.id: g.person for g in [*current, *arrivals, *departures]}
    audit.note(session, ctx, "read", "venue.desk", persons=list(seen.values()), venue=venue.id)
    return DeskView(venue, rooms, arrivals, departures, findings)


def _desk_may_see(venue_id: uuid.UUID) -> ColumnElement[bool]:
    """A desk sees the findings about its own stays and its guests' person-level findings
    (e.g. a document expired); never those about a stay at another hotel or a residence."""
    own_stays = select(Stay.id).where(Stay.venue_id == venue_id)
    return or_(
        and_(Finding.subject_kind == "stay", Finding.subject_id.in_(own_stays)),
        Finding.subject_kind == "person",
    )


def findings_for_desk(
    session: Session, venue_id: uuid.UUID, findings: list[Finding]
) -> list[Finding]:
    """Of ``findings`` (e.g. a check-in's), those this venue's desk may see."""
    stays = {f.subject_id for f in findings if f.subject_kind == "stay"}
    own = (
        set(session.scalars(select(Stay.id).where(Stay.id.in_(stays), Stay.venue_id == venue_id)))
        if stays
        else set()
    )
    return [
        f
        for f in findings
        if f.subject_kind == "person" or (f.subject_kind == "stay" and f.subject_id in own)
    ]


def stay_of(session: Session, ctx: Context, venue_ref: str, stay_id: uuid.UUID) -> Guest:
    """One stay of this venue with its guest (a registration slip, a check-out by guest)."""
    ctx = access.acting(session, ctx)
    venue = venues.resolve_venue(session, venue_ref)
    stay = session.get(Stay, stay_id)
    if stay is None or stay.venue_id != venue.id:
        raise NotFound(f"stay {stay_id} is not a stay of {venue.name}")
    person = session.get_one(Person, stay.person_id)
    audit.note(session, ctx, "read", "stay.slip", persons=[person], stay=stay.id)
    return Guest(stay, person)


def open_stay_of(
    session: Session, ctx: Context, venue_ref: str, person_id: uuid.UUID
) -> Stay | None:
    """The guest's open stay at this venue, if any (a swipe of someone already in the house)."""
    ctx = access.acting(session, ctx)
    venue = venues.resolve_venue(session, venue_ref)
    return session.scalar(
        select(Stay).where(
            Stay.venue_id == venue.id,
            Stay.person_id == person_id,
            Stay.checked_out_at.is_(None),
        )
    )


def open_stay_by_number(
    session: Session, ctx: Context, venue_ref: str, number: str, doc_type: str | None = None
) -> Stay | None:
    """The open stay at this venue of whoever holds this document (a swipe at the terminal
    desk: check out if staying). Raises ``InvalidNumber`` for a malformed number."""
    key = parse(number, doc_type, today=ctx.today()).key
    person_id = session.scalar(select(Person.id).where(Person.id_key == key))
    return None if person_id is None else open_stay_of(session, ctx, venue_ref, person_id)


def party_of(session: Session, stay: Stay) -> list[Guest]:
    """The stays registered together with ``stay`` (one check-in), in the order registered."""
    rows = session.execute(
        select(Stay, Person)
        .join(Person, Person.id == Stay.person_id)
        .where(Stay.party_id == stay.party_id)
        .order_by(Stay.checked_in_at, Person.name)
    )
    return [Guest(s, p) for s, p in rows]

