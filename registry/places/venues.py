"""Places of the registry: the jurisdiction tree, venues with rooms, houses and employers.

The resolvers (``resolve_venue``, ``resolve_house``, ``resolve_employer``, ``find_person``) are
where a reference becomes a record, so they are where a scoped user is refused
(``registry.privacy.access``); a session bound to no user resolves everything.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached

from registry.context import Context
from registry.db import refcache
from registry.db.idrefs import MAX_CANDIDATES, short
from registry.db.models import Room, Venue
from registry.db.refcache import reference
from registry.db.tree import subtree
from registry.errors import Ambiguous, InvalidInput, Refused
from registry.identity.text import fields, line, same_text_key
from registry.places.common import by_ref
from registry.places.jurisdictions import check_place_level
from registry.privacy import access, journal

VENUE_KINDS = ("hotel", "intermediary", "station", "employer")


ROOM_MAX = 32  # characters, the width of ``Room.number``
_ROOMS = "laiqu.places.rooms"  # per transaction: venue id -> room numbers
_VENUES = "laiqu.places.venues"  # venue id -> its column values
_VENUE_COLUMNS = tuple(c.key for c in Venue.__mapper__.column_attrs)


def add_venue(
    session: Session,
    ctx: Context,
    name: str,
    kind: str,
    jurisdiction: str,
    rooms: Iterable[str] = (),
    address: str | None = None,
) -> Venue:
    fields(venue_name=(name, Venue.name), address=(address, Venue.address))
    if kind not in VENUE_KINDS:
        raise InvalidInput(f"venue kind must be one of {', '.join(VENUE_KINDS)}")
    if not name.strip():
        raise InvalidInput("a venue needs a name")
    numbers = room_numbers(rooms)
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("a room number is listed twice")
    check_place_level(session, jurisdiction, "venue")
    access.require(session, ctx, "place.write", jurisdiction=jurisdiction)
    refuse_same_name(session, name, jurisdiction)
    refcache.writing(session)
    venue = Venue(
        id=uuid.uuid4(),
        name=name.strip(),
        kind=kind,
        jurisdiction_code=jurisdiction,
        address=address,
        created_at=ctx.now(),
    )
    session.add(venue)
    session.flush()  # rooms refer to the venue; no ORM relationship orders the inserts
    session.add_all(Room(id=uuid.uuid4(), venue_id=venue.id, number=n) for n in numbers)
    journal.record(
        session,
        ctx,
        "venue.added",
        "venue",
        venue.id,
        jurisdiction=jurisdiction,
        kind=kind,
        rooms=len(numbers),
    )
    return venue


def room_numbers(rooms: Iterable[str]) -> list[str]:
    """The room numbers of a list, trimmed, blanks dropped. Raises ``InvalidInput`` for a
    number with a control or bidirectional character (``registry.identity.text``) or longer
    than the 32 characters of ``Room.number`` (both engines alike)."""
    numbers = [r.strip() for r in rooms if r.strip()]
    for number in numbers:
        line(number, "room")
        if len(number) > ROOM_MAX:
            raise InvalidInput(f"a room number has 1 to {ROOM_MAX} characters ({len(number)})")
    return numbers


def refuse_same_name(
    session: Session, name: str, jurisdiction: str, other_than: uuid.UUID | None = None
) -> None:
    """``Refused`` when another venue of the jurisdiction has the name (compared as
    ``same_text_key``: whitespace and full-width forms do not make a second venue)."""
    key = same_text_key(name)
    for other in session.scalars(select(Venue).where(Venue.jurisdiction_code == jurisdiction)):
        if other.id != other_than and same_text_key(other.name) == key:
            raise Refused(
                f"venue {other.name} is registered in {jurisdiction} already "
                f"({other.id.hex[:8]}); update or merge it instead"
            )


def update_venue(
    session: Session,
    ctx: Context,
    ref: str,
    *,
    name: str | None = None,
    address: str | None = None,
    add_rooms: Iterable[str] = (),
) -> Venue:
    """Rename a venue, change its address or add rooms; journalled (``venue.updated``) and
    audited. ``InvalidInput`` when nothing changes or a room exists, ``Refused`` when the new
    name is another venue's in the jurisdiction, ``NotFound``/``Ambiguous``/``OutOfScope``."""
    venue = venue_by_ref(session, ref)
    ctx = access.require(session, ctx, "place.write", jurisdiction=venue.jurisdiction_code)
    fields(venue_name=(name, Venue.name), address=(address, Venue.address))
    changes: dict[str, object] = {}
    known_as = venue.name  # a refusal names the venue as it is, not as it was to become
    if name is not None and " ".join(name.split()) != venue.name:
        new = " ".join(name.split())
        if not new:
            raise InvalidInput("a venue needs a name")
        refuse_same_name(session, new, venue.jurisdiction_code, other_than=venue.id)
        changes["name_before"], venue.name = venue.name, new
        changes["name"] = new
    if address is not None and (address.strip() or None) != venue.address:
        venue.address = address.strip() or None
        changes["address"] = "set" if venue.address else "cleared"
    numbers = room_numbers(add_rooms)
    if numbers:
        known = set(venue_rooms(session, venue.id))
        twice = sorted(set(numbers) & known) or sorted({n for n in numbers if numbers.count(n) > 1})
        if twice:
            raise InvalidInput(f"room {twice[0]} is a room of {known_as} already")
        session.add_all(Room(id=uuid.uuid4(), venue_id=venue.id, number=n) for n in numbers)
        changes["rooms_added"] = len(numbers)
    if not changes:
        raise InvalidInput("no change given: give a new name, address or rooms")
    refcache.writing(session)
    journal.record(
        session,
        ctx,
        "venue.updated",
        "venue",
        venue.id,
        jurisdiction=venue.jurisdiction_code,
        **changes,
    )
    session.flush()
    return venue


def resolve_venue(session: Session, ref: str) -> Venue:
    """A venue by the identifier printed when it was added, or by its exact name."""
    return access.guard(session, access.check_venue, venue_by_ref(session, ref))


def venue_by_ref(session: Session, ref: str) -> Venue:
    """A venue by its id, its exact name, ``NAME@JURISDICTION`` when several venues share a
    name, or the first 8 or more characters of its id (as lists print it), through the
    places' one resolver (``common.by_ref``); no scope check (see ``resolve_venue``). Raises
    ``NotFound`` and ``Ambiguous`` (naming the candidates)."""

    def by_name(text: str) -> Venue | None:
        name, _, code = text.partition("@")
        query = select(Venue).where(Venue.name == name.strip())
        if code:
            query = query.where(Venue.jurisdiction_code == code.strip())
        matches = list(session.scalars(query.limit(MAX_CANDIDATES + 1)))
        if len(matches) > 1:
            named = ", ".join(f"{v.name}@{v.jurisdiction_code} ({short(v.id)})" for v in matches)
            raise Ambiguous(
                f"{len(matches)} venues are named {name.strip()!r}: {named}; "
                "name one as NAME@JURISDICTION or by the first 8 characters of its id"
            )
        return matches[0] if matches else None

    return by_ref(
        session,
        Venue,
        ref,
        kind="venue",
        label=lambda v: f"{v.name}@{v.jurisdiction_code}",
        natural=by_name,
        get=lambda venue_id: _venue_by_id(session, venue_id),
    )


def _venue_by_id(session: Session, venue_id: uuid.UUID) -> Venue | None:
    """The venue of this id, from the session, else from the process's reference cache (no
    SELECT: every check-in names its venue), else read and cached.

    A cached venue joins the session as a persistent object built from the cached column
    values (``make_transient_to_detached``), as if it had been loaded; the cache holds plain
    values only and is dropped when the reference version moves (``registry.db.refcache``).
    """
    present = session.identity_map.get(session.identity_key(Venue, venue_id))
    if isinstance(present, Venue):
        return present
    cache: dict[uuid.UUID, dict[str, object]] = reference(session, _VENUES)
    values = cache.get(venue_id)
    if values is None:
        found = session.get(Venue, venue_id)
        if found is not None:
            cache[venue_id] = {key: getattr(found, key) for key in _VENUE_COLUMNS}
            return found
        return None
    venue = Venue(**values)
    make_transient_to_detached(venue)
    session.add(venue)
    return venue


def venue_rooms(session: Session, venue_id: uuid.UUID) -> list[str]:
    """The venue's room numbers, read once per transaction (a batch checks many in)."""
    rooms: dict[uuid.UUID, list[str]] = reference(session, _ROOMS)
    if venue_id not in rooms:
        query = select(Room.number).where(Room.venue_id == venue_id)
        rooms[venue_id] = list(session.scalars(query))
    return rooms[venue_id]


def list_venues(session: Session, under: str | None = None) -> list[tuple[Venue, list[str]]]:
    """Venues by jurisdiction and name, each with its room numbers; only the subtree of
    ``under`` when given (``NotFound`` when it is not registered), and only those the user
    the session is bound to may see (``access.visible_clause``: a desk its own venue, a
    coordinator its subtree's)."""
    query = select(Venue).order_by(Venue.jurisdiction_code, Venue.name)
    visible = access.visible_clause(session, Venue)
    if visible is not None:
        query = query.where(visible)
    codes = subtree(session, under)
    if codes is not None:
        query = query.where(Venue.jurisdiction_code.in_(codes))
    return [(v, venue_rooms(session, v.id)) for v in session.scalars(query)]
