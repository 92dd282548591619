"""Hotel stays: check a party of guests in at a room, check them out by room or by ID.

来有登记、走有核销: each guest of a party is a stay of their own, sharing a party id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db import locks
from registry.db.fast import deferred, insert_now
from registry.db.models import Finding, Person, Stay, Venue
from registry.errors import InvalidInput, NotFound, Refused, RegistryError
from registry.identity.ids import mask
from registry.matching import checks, rules
from registry.matching.person_rules import Facts
from registry.movements import voids
from registry.people import registration
from registry.people.registration import Identity, Registration
from registry.places.jurisdictions import city_code
from registry.places.venues import venue_by_ref, venue_rooms
from registry.privacy import access, journal


@dataclass
class CheckIn:
    venue: Venue
    room: str
    guests: list[Registration]
    stays: list[Stay]
    findings: list[Finding] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [w for g in self.guests for w in g.warnings]


@dataclass(frozen=True)
class Arrival:
    """A party arriving at a room of a hotel: what one check-in is asked to register."""

    venue: str  # a venue reference: id or exact name
    room: str
    guests: Sequence[Identity]
    expected_checkout: date | None = None
    # Replayed arrivals (a desk's upload at the station) keep their own instant and clerk;
    # unset, the arrival is now, by the caller's actor at the caller's terminal.
    at: datetime | None = None
    clerk: str | None = None
    terminal: str | None = None
    # A replayed arrival was reported when its upload reached the station (never before its
    # check-in): the late-report matching (PH-LATE) sees that instant. Unset: at check-in.
    reported_at: datetime | None = None

    def context(self, ctx: Context) -> Context:
        """The context this arrival is registered in (its instant, clerk and terminal)."""
        if self.at is None and self.clerk is None and self.terminal is None:
            return ctx
        return replace(
            ctx,
            actor=(self.clerk or ctx.actor)[:64],
            terminal=self.terminal if self.terminal is not None else ctx.terminal,
            now_fixed=self.at if self.at is not None else ctx.now_fixed,
        )


def check_in(
    session: Session,
    ctx: Context,
    venue_ref: str,
    room: str,
    guests: Sequence[Identity],
    *,
    expected_checkout: date | None = None,
    reported_at: datetime | None = None,
) -> CheckIn:
    """Register a party of guests into a room; findings (expired card, two places) come back.
    ``reported_at``: when a replayed check-in reached the station (``Arrival.reported_at``)."""
    arrival = Arrival(venue_ref, room, guests, expected_checkout, reported_at=reported_at)
    return check_in_many(session, ctx, [arrival])[0]


def check_in_many(session: Session, ctx: Context, arrivals: Sequence[Arrival]) -> list[CheckIn]:
    """Check many parties in at once, all or none: a tour group, a register, an intake batch.

    Each arrival gets what ``check_in`` gives it. Done together, their documents are locked
    and their persons read in one statement each, the new rows go out as one INSERT per table
    and the matchings run once over all guests, so a batch costs a few statements, not a few
    per guest. A refusal names the arrival and leaves nothing written. An arrival with its
    own instant, clerk or terminal (``Arrival.at``) is registered as of then, by them; the
    matchings run as of ``ctx``.
    """
    now = ctx.now()
    # The documents' locks first, with the reference version read along (one statement).
    locks.hold_all(session, ("document:" + key for key in _valid_keys(session, ctx, arrivals, now)))
    plans = []
    for i, arrival in enumerate(arrivals):
        with _naming(i, len(arrivals)):
            plans.append(_checked(session, arrival.context(ctx), arrival, arrival.at or now))
    venues = {plan.venue.id: plan.venue for plan in plans}.values()
    ctx = access.require(session, ctx, "stay.write", venues=venues)
    registration.prefetch(session, (key for plan in plans for key in plan.keys))
    done, entries = [], []
    with deferred(session):
        for i, plan in enumerate(plans):
            with _naming(i, len(arrivals)):
                arrival = plan.arrival
                done.append(
                    _arrive(session, arrival.context(ctx), plan, arrival.at or now, entries)
                )
    session.flush()
    guests = {reg.person.id: result for result in done for reg in result.guests}
    scope = checks.Scope(persons=set(guests))
    for finding in checks.refresh(session, ctx, scope, new=_created(done)):
        guests.get(finding.person_id, done[0]).findings.append(finding)  # type: ignore[arg-type]
    journal.record_all(session, ctx, entries)
    return done


def _valid_keys(
    session: Session, ctx: Context, arrivals: Sequence[Arrival], now: datetime
) -> list[str]:
    """The document keys of the guests whose numbers are valid (an invalid one is refused
    later, in its turn, by ``_checked``)."""
    keys = []
    for arrival in arrivals:
        day = arrival.context(ctx).local_day(arrival.at or now)
        for guest in arrival.guests:
            try:
                keys.append(registration.parse_once(session, guest.number, guest.doc_type, day).key)
            except RegistryError:
                continue
    return keys


@contextmanager
def _naming(index: int, count: int) -> Iterator[None]:
    """In a batch, a refusal says which arrival it is about (alone, it reads as before)."""
    try:
        yield
    except RegistryError as exc:
        if count == 1:
            raise
        raise type(exc)(f"arrival {index + 1} of {count}: {exc}") from exc


@dataclass(frozen=True)
class _Plan:
    """An arrival checked against the registry's places and rules, ready to write."""

    arrival: Arrival
    venue: Venue
    room: str
    keys: list[str]
    city: str | None
    in_force: rules.RuleSet


def _checked(session: Session, ctx: Context, arrival: Arrival, now: datetime) -> _Plan:
    if not arrival.guests:
        raise InvalidInput("a check-in needs at least one guest")
    venue = venue_by_ref(session, arrival.venue)  # in scope: checked once by check_in_many
    if venue.kind != "hotel":
        raise Refused(f"{venue.name} is a {venue.kind}, not a hotel: guests check in at hotels")
    room = arrival.room.strip()
    rooms = venue_rooms(session, venue.id)
    if not room or (rooms and room not in rooms):
        raise InvalidInput(f"room {room!r} is not a room of {venue.name}")
    day = ctx.local_day(now)
    keys = [registration.parse_once(session, g.number, g.doc_type, day).key for g in arrival.guests]
    if len(set(keys)) != len(keys):
        raise InvalidInput("the same document is listed twice in one check-in")
    if arrival.expected_checkout is not None and arrival.expected_checkout < day:
        raise InvalidInput("the expected check-out day is before today")
    city = city_code(session, venue.jurisdiction_code)
    in_force = rules.effective(session, venue.jurisdiction_code, day)
    return _Plan(arrival, venue, room, keys, city, in_force)


def _arrive(
    session: Session, ctx: Context, plan: _Plan, now: datetime, entries: list[journal.Entry]
) -> CheckIn:
    """Register the party of one arrival and open a stay for each guest; the journal events
    go to ``entries``."""
    venue, room = plan.venue, plan.room
    party = uuid.uuid4()
    registrations: list[Registration] = []
    stays: list[Stay] = []
    for identity in plan.arrival.guests:
        reg = registration.identify(session, ctx, identity, city=plan.city)
        entries.extend([reg.entry] if reg.entry else [])
        open_here = (
            None
            if reg.created
            else session.scalar(
                select(Stay).where(
                    Stay.person_id == reg.person.id,
                    Stay.venue_id == venue.id,
                    Stay.checked_out_at.is_(None),
                )
            )
        )
        if open_here is not None:
            raise Refused(
                f"{reg.person.name} ({mask(reg.person.number)}) is already checked in at "
                f"{venue.name}, room {open_here.room}"
            )
        stay = Stay(
            id=uuid.uuid4(),
            person_id=reg.person.id,
            venue_id=venue.id,
            room=room,
            jurisdiction_code=venue.jurisdiction_code,
            party_id=party,
            checked_in_at=now,
            expected_checkout=plan.arrival.expected_checkout,
            capture=reg.capture,
            document_id=reg.document.id,
            registered_by=ctx.actor,
            terminal=ctx.terminal,
            report_deadline=rules.stay_report_deadline(plan.in_force, reg.person.category, now),
            reported_at=max(plan.arrival.reported_at or now, now),
        )
        insert_now(session, stay)
        entries.append(
            journal.entry(
                "stay.checked_in",
                "stay",
                stay.id,
                person_id=reg.person.id,
                jurisdiction=venue.jurisdiction_code,
                venue=venue.id,
                room=room,
                capture=reg.capture,
                party=party,
            )
        )
        registrations.append(reg)
        stays.append(stay)
    return CheckIn(venue, room, registrations, stays)


def _created(done: Sequence[CheckIn]) -> list[Facts]:
    """The facts of the persons this batch created: all they have is in it (one may arrive
    twice in a batch: two places at once)."""
    facts: dict[uuid.UUID, Facts] = {}
    for result in done:
        for reg, stay in zip(result.guests, result.stays, strict=True):
            if reg.created and reg.person.id not in facts:
                facts[reg.person.id] = Facts(reg.person)
            if (f := facts.get(reg.person.id)) is not None:
                if reg.document not in f.documents:
                    f.documents.append(reg.document)
                f.stays.append(stay)
    return list(facts.values())


@dataclass
class CheckOut:
    venue: Venue
    stays: list[Stay]
    findings: list[Finding]
    # The guests as read before the check-out: a desk's own login may not read them after it
    # (row-level security shows a desk only its current guests).
    guests: dict[uuid.UUID, Person] = field(default_factory=dict)


def check_out(
    session: Session,
    ctx: Context,
    venue_ref: str,
    *,
    room: str | None = None,
    number: str | None = None,
    at: datetime | None = None,
) -> CheckOut:
    """Close the open stays of a room (the whole party) or of one guest."""
    if (room is None) == (number is None):
        raise InvalidInput("check out either a room or one guest's ID number")
    venue = venue_by_ref(session, venue_ref)
    ctx = access.require(session, ctx, "stay.write", venue=venue)
    when = at or ctx.now()
    if when > ctx.now():
        raise InvalidInput("a check-out cannot be in the future")
    query = select(Stay).where(Stay.venue_id == venue.id, Stay.checked_out_at.is_(None))
    if room is not None:
        stays = list(session.scalars(query.where(Stay.room == room.strip())))
        if not stays:
            raise NotFound(f"nobody is checked in at {venue.name}, room {room}")
    else:
        from registry.people.find import find_person

        person = find_person(session, number or "")
        stays = list(session.scalars(query.where(Stay.person_id == person.id)))
        if not stays:
            _latest_not_voided(session, venue, person)
            raise NotFound(f"{mask(person.number)} is not checked in at {venue.name}")
    guests = {s.person_id: session.get_one(Person, s.person_id) for s in stays}
    entries = []
    for stay in stays:
        if when < stay.checked_in_at:
            raise InvalidInput("the check-out time is before the check-in")
        stay.checked_out_at = when
        entries.append(
            journal.entry(
                "stay.checked_out",
                "stay",
                stay.id,
                person_id=stay.person_id,
                jurisdiction=stay.jurisdiction_code,
                at=when,
            )
        )
    session.flush()
    found = checks.refresh(session, ctx, checks.Scope(persons={s.person_id for s in stays}))
    journal.record_all(session, ctx, entries)
    return CheckOut(venue, stays, found, guests)


@dataclass
class Cancelled:
    """A voided check-in: the stay (kept, marked void), its guest and what was resolved."""

    venue: Venue
    stay: Stay
    person: Person
    resolved: int  # findings about the stay that were resolved with it
    findings: list[Finding]  # opened by re-checking the guest (none, as a rule)


def _latest_not_voided(session: Session, venue: Venue, person: Person) -> None:
    """``Refused`` when the guest's latest stay at the venue is a voided one (a check-out or
    room change of a cancelled check-in says so, not "not checked in")."""
    query = select(Stay).where(Stay.person_id == person.id, Stay.venue_id == venue.id)
    voids.latest_unvoided(session, query.order_by(Stay.checked_in_at.desc()))


def _stay_of(session: Session, venue: Venue, person: Person) -> Stay:
    """The guest's open stay at the venue, else their latest one there; ``Refused`` when that
    one is voided already (``voids.latest_unvoided``)."""
    query = select(Stay).where(Stay.person_id == person.id, Stay.venue_id == venue.id)
    closed = Stay.checked_out_at.is_not(None) | Stay.voided_at.is_not(None)
    stay = voids.latest_unvoided(session, query.order_by(closed, Stay.checked_in_at.desc()))
    if stay is None:
        raise NotFound(f"{mask(person.number)} is not checked in at {venue.name}")
    return stay


def cancel_check_in(
    session: Session, ctx: Context, venue_ref: str, number: str, *, reason: str
) -> Cancelled:
    """Void a mistaken check-in of the guest with ``number`` at the venue (their open stay,
    else their latest one there). The stay is kept with ``voided_at``/``voided_by``/
    ``void_reason`` and leaves occupancy, findings, reports and search; the findings about it
    are resolved; the act is journalled (``stay.voided``) and audited. A desk uploads the void
    like any change of the stay (``registry.sync.handlers``).

    Raises ``InvalidInput`` (no reason, or one over 200 characters), ``NotFound`` (venue,
    person, or no stay of theirs there) and ``OutOfScope``.
    """
    why = voids.reason_of(reason)
    venue = venue_by_ref(session, venue_ref)
    ctx = access.require(session, ctx, "stay.write", venue=venue)
    from registry.people.find import find_person

    person = find_person(session, number)
    stay = _stay_of(session, venue, person)
    resolved = voids.void(session, ctx, stay, why)
    journal.record(
        session,
        ctx,
        "stay.voided",
        "stay",
        stay.id,
        person_id=person.id,
        jurisdiction=stay.jurisdiction_code,
        venue=venue.id,
        room=stay.room,
        reason=why,
    )
    session.flush()
    found = checks.refresh(session, ctx, checks.Scope(persons={person.id}))
    return Cancelled(venue, stay, person, resolved, found)


@dataclass
class RoomChange:
    venue: Venue
    stay: Stay
    person: Person
    old_room: str


def move_room(session: Session, ctx: Context, venue_ref: str, number: str, room: str) -> RoomChange:
    """Move a guest (their open stay) to another room of the same hotel (换房). The stay keeps
    its check-in; the journal keeps the history (``stay.moved`` with both rooms), and a desk
    uploads the change. Co-guests move with their own command: a party may split.

    Raises ``InvalidInput`` (not a room of the venue, or the same room), ``NotFound`` (venue,
    person, or no open stay there) and ``OutOfScope``.
    """
    venue = venue_by_ref(session, venue_ref)
    ctx = access.require(session, ctx, "stay.write", venue=venue)
    new_room = room.strip()
    rooms = venue_rooms(session, venue.id)
    if not new_room or (rooms and new_room not in rooms):
        raise InvalidInput(f"room {new_room!r} is not a room of {venue.name}")
    from registry.people.find import find_person

    person = find_person(session, number)
    stay = session.scalar(
        select(Stay).where(
            Stay.person_id == person.id,
            Stay.venue_id == venue.id,
            Stay.checked_out_at.is_(None),
        )
    )
    if stay is None:
        _latest_not_voided(session, venue, person)
        raise NotFound(f"{mask(person.number)} is not checked in at {venue.name}")
    if stay.room == new_room:
        raise InvalidInput(f"the guest is in room {new_room} already")
    old = stay.room
    stay.room = new_room
    journal.record(
        session,
        ctx,
        "stay.moved",
        "stay",
        stay.id,
        person_id=person.id,
        jurisdiction=stay.jurisdiction_code,
        venue=venue.id,
        room_from=old,
        room=new_room,
    )
    session.flush()
    return RoomChange(venue, stay, person, old)
