"""Places of the registry: the jurisdiction tree, venues with rooms, houses and employers.

The resolvers (``resolve_venue``, ``resolve_house``, ``resolve_employer``, ``find_person``) are
where a reference becomes a record, so they are where a scoped user is refused
(``registry.access``); a session bound to no user resolves everything.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import access, journal, matching
from registry.context import Context
from registry.db.access_models import ManagedHouse
from registry.db.cache import per_transaction
from registry.db.models import Employer, Finding, House, Jurisdiction, Person, Room, Venue
from registry.errors import Ambiguous, InvalidInput, NotFound, Refused
from registry.ids import parse, validate_uscc

LEVELS = ("city", "district", "station", "community", "grid")
VENUE_KINDS = ("hotel", "intermediary", "station", "employer")
HOUSE_USES = ("rental", "owner", "dormitory", "collective")


T = TypeVar("T")


@dataclass
class Changed(Generic[T]):
    """A record a use case created or changed, and the findings that opened because of it."""

    record: T
    findings: list[Finding]


def add_jurisdiction(
    session: Session, ctx: Context, code: str, name: str, level: str, parent: str | None = None
) -> Jurisdiction:
    code, name = code.strip(), name.strip()
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if not code or not name:
        raise InvalidInput("a jurisdiction needs a code and a name")
    access.require(session, ctx, "place.write" if parent else "place.root", jurisdiction=parent)
    if session.get(Jurisdiction, code) is not None:
        raise Refused(f"jurisdiction {code} already exists")
    path = f"/{code}/"
    if parent:
        up = get_jurisdiction(session, parent)
        if LEVELS.index(level) <= LEVELS.index(up.level):
            raise InvalidInput(f"a {level} cannot sit under a {up.level}")
        path = f"{up.path}{code}/"
    elif level != "city":
        raise InvalidInput(f"a {level} needs a parent jurisdiction")
    node = Jurisdiction(code=code, name=name, level=level, parent_code=parent, path=path)
    session.add(node)
    journal.record(
        session,
        ctx,
        "jurisdiction.added",
        "jurisdiction",
        None,
        jurisdiction=code,
        name=name,
        level=level,
    )
    return node


_NODES = "laiqu.places.nodes"  # session.info: strong references to the nodes looked up
_ROOMS = "laiqu.places.rooms"  # per transaction: venue id -> room numbers


def get_jurisdiction(session: Session, code: str) -> Jurisdiction:
    """A jurisdiction node; kept for the transaction (the identity map holds it weakly)."""
    nodes: dict[str, Jurisdiction] = per_transaction(session, _NODES)
    node = nodes.get(code) or session.get(Jurisdiction, code)
    if node is None:
        raise NotFound(f"jurisdiction {code} is not registered")
    nodes[code] = node
    return node


def city_of(session: Session, code: str) -> Jurisdiction:
    """The root (city) of the tree a jurisdiction belongs to."""
    return get_jurisdiction(session, city_code(session, code))


def city_code(session: Session, code: str) -> str:
    """The code of the city a jurisdiction belongs to (one look-up: it is in the path)."""
    return get_jurisdiction(session, code).path.strip("/").split("/")[0]


def add_venue(
    session: Session,
    ctx: Context,
    name: str,
    kind: str,
    jurisdiction: str,
    rooms: Iterable[str] = (),
    address: str | None = None,
) -> Venue:
    if kind not in VENUE_KINDS:
        raise InvalidInput(f"venue kind must be one of {', '.join(VENUE_KINDS)}")
    if not name.strip():
        raise InvalidInput("a venue needs a name")
    get_jurisdiction(session, jurisdiction)
    access.require(session, ctx, "place.write", jurisdiction=jurisdiction)
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
    numbers = [r.strip() for r in rooms if r.strip()]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("a room number is listed twice")
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


def _by_id(session: Session, model: type, ref: str) -> object | None:
    try:
        return session.get(model, uuid.UUID(ref))
    except ValueError:
        return None


def _guard(session: Session, check: Callable[[Session, Context, T], None], record: T) -> T:
    """``record`` if the user the session is bound to may use it; else refused and audited."""
    ctx: Context | None = session.info.get(access.KEY)
    if ctx is not None and not ctx.principal.unrestricted:
        check(session, ctx, record)
    return record


def resolve_venue(session: Session, ref: str) -> Venue:
    """A venue by the identifier printed when it was added, or by its exact name."""
    return _guard(session, access.check_venue, _resolve_venue(session, ref))


def _resolve_venue(session: Session, ref: str) -> Venue:
    found = _by_id(session, Venue, ref)
    if isinstance(found, Venue):
        return found
    matches = session.scalars(select(Venue).where(Venue.name == ref.strip())).all()
    if not matches:
        raise NotFound(f"venue {ref!r} is not registered")
    if len(matches) > 1:
        raise Ambiguous(f"{len(matches)} venues are named {ref!r}; use the venue's id")
    return matches[0]


def venue_rooms(session: Session, venue_id: uuid.UUID) -> list[str]:
    """The venue's room numbers, read once per transaction (a batch checks many in)."""
    rooms: dict[uuid.UUID, list[str]] = per_transaction(session, _ROOMS)
    if venue_id not in rooms:
        query = select(Room.number).where(Room.venue_id == venue_id)
        rooms[venue_id] = list(session.scalars(query))
    return rooms[venue_id]


def find_person(session: Session, number: str) -> Person:
    """The registered person with this document number (any document type)."""
    return _guard(session, access.check_person, _find_person(session, number))


def _find_person(session: Session, number: str) -> Person:
    """``find_person`` without the scope check: for use cases that checked the place."""
    idn = parse(number) if number else None
    if idn is None:
        raise InvalidInput("an ID number is needed")
    person = session.scalar(select(Person).where(Person.id_key == idn.key))
    if person is None:
        raise NotFound(f"no person with ID number {idn.masked} is registered")
    return person


def add_house(
    session: Session,
    ctx: Context,
    address: str,
    jurisdiction: str,
    *,
    landlord: str | None = None,
    capacity: int | None = None,
    filing: str | None = None,
    pledge: bool = False,
    use: str = "rental",
    rooms: int | None = None,
    door_plate: str | None = None,
    street: str | None = None,
    building: str | None = None,
    unit: str | None = None,
    room: str | None = None,
) -> House:
    if not address.strip():
        raise InvalidInput("a house needs an address")
    if use not in HOUSE_USES:
        raise InvalidInput(f"house use must be one of {', '.join(HOUSE_USES)}")
    _check_count("capacity", capacity)
    _check_count("rooms", rooms)
    get_jurisdiction(session, jurisdiction)
    ctx = access.require(session, ctx, "house.add", jurisdiction=_place_scope(ctx, jurisdiction))
    landlord_id = _find_person(session, landlord).id if landlord else None
    house = House(
        id=uuid.uuid4(),
        jurisdiction_code=jurisdiction,
        address=address.strip(),
        street=street,
        building=building,
        unit=unit,
        room=room,
        door_plate=door_plate,
        landlord_id=landlord_id,
        use=use,
        rooms=rooms,
        capacity=capacity,
        filing_number=filing or None,
        pledge_signed=pledge,
        created_at=ctx.now(),
    )
    session.add(house)
    if ctx.principal.role == "intermediary" and ctx.principal.venue_id is not None:
        session.add(
            ManagedHouse(house_id=house.id, venue_id=ctx.principal.venue_id, since=ctx.now())
        )
    journal.record(
        session,
        ctx,
        "house.added",
        "house",
        house.id,
        jurisdiction=jurisdiction,
        use=use,
        capacity=capacity,
    )
    return house


def update_house(
    session: Session,
    ctx: Context,
    ref: str,
    *,
    landlord: str | None = None,
    capacity: int | None = None,
    filing: str | None = None,
    pledge: bool | None = None,
) -> Changed[House]:
    """Record a house's filing, pledge, landlord or capacity; re-checks its findings."""
    access.require(session, ctx, "house.write")
    house = resolve_house(session, ref)
    _check_count("capacity", capacity)
    changes: dict[str, object] = {}
    if landlord is not None:
        house.landlord_id = _find_person(session, landlord).id
        changes["landlord"] = "set"
    if capacity is not None:
        house.capacity = changes["capacity"] = capacity
    if filing is not None:
        house.filing_number = changes["filing"] = filing or None
    if pledge is not None:
        house.pledge_signed = changes["pledge"] = pledge
    if not changes:
        raise InvalidInput("nothing to change: give a landlord, capacity, filing or pledge")
    journal.record(
        session,
        ctx,
        "house.updated",
        "house",
        house.id,
        jurisdiction=house.jurisdiction_code,
        **changes,
    )
    session.flush()
    found = matching.refresh(session, ctx, matching.Scope(houses={house.id}))
    return Changed(house, found)


def resolve_house(session: Session, ref: str) -> House:
    """A house by its id or its door-plate code."""
    return _guard(session, access.check_house, _resolve_house(session, ref))


def _resolve_house(session: Session, ref: str) -> House:
    found = _by_id(session, House, ref)
    if isinstance(found, House):
        return found
    matches = session.scalars(select(House).where(House.door_plate == ref.strip())).all()
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise Ambiguous(f"{len(matches)} houses carry door plate {ref!r}; use the house's id")
    raise NotFound(f"house {ref!r} is not registered")


def add_employer(
    session: Session,
    ctx: Context,
    name: str,
    uscc: str,
    jurisdiction: str,
    *,
    headcount: int | None = None,
    industry: str | None = None,
    address: str | None = None,
) -> Changed[Employer]:
    """Register an employer; one known only from employment reports becomes registered."""
    code = validate_uscc(uscc)
    _check_count("headcount", headcount)
    if not name.strip():
        raise InvalidInput("an employer needs a name")
    get_jurisdiction(session, jurisdiction)
    access.require(session, ctx, "place.write", jurisdiction=jurisdiction)
    existing = session.scalar(select(Employer).where(Employer.uscc == code))
    if existing is None:
        existing = session.scalar(
            select(Employer).where(Employer.name == name.strip(), Employer.registered.is_(False))
        )
    if existing is not None and existing.registered:
        raise Refused(f"an employer with credit code {code} is already registered")
    employer = existing or Employer(id=uuid.uuid4(), created_at=ctx.now())
    employer.name, employer.uscc, employer.jurisdiction_code = name.strip(), code, jurisdiction
    employer.headcount, employer.industry, employer.address = headcount, industry, address
    employer.registered = True
    if existing is None:
        session.add(employer)
    journal.record(
        session,
        ctx,
        "employer.registered",
        "employer",
        employer.id,
        jurisdiction=jurisdiction,
        headcount=headcount,
    )
    session.flush()
    found = matching.refresh(session, ctx, matching.Scope(employers={employer.id}))
    return Changed(employer, found)


def update_employer(
    session: Session, ctx: Context, ref: str, *, headcount: int
) -> Changed[Employer]:
    access.require(session, ctx, "place.write")
    employer = resolve_employer(session, ref)
    _check_count("headcount", headcount)
    employer.headcount = headcount
    journal.record(
        session,
        ctx,
        "employer.updated",
        "employer",
        employer.id,
        jurisdiction=employer.jurisdiction_code,
        headcount=headcount,
    )
    session.flush()
    return Changed(
        employer, matching.refresh(session, ctx, matching.Scope(employers={employer.id}))
    )


def resolve_employer(session: Session, ref: str) -> Employer:
    """An employer by id, credit code or exact name."""
    return _guard(session, access.check_employer, _resolve_employer(session, ref))


def _resolve_employer(session: Session, ref: str) -> Employer:
    found = _by_id(session, Employer, ref)
    if isinstance(found, Employer):
        return found
    text = ref.strip()
    by_code = session.scalar(select(Employer).where(Employer.uscc == text.upper()))
    if by_code is not None:
        return by_code
    matches: Sequence[Employer] = session.scalars(
        select(Employer).where(Employer.name == text)
    ).all()
    if len(matches) > 1:
        raise Ambiguous(f"{len(matches)} employers are named {ref!r}; use the credit code")
    if not matches:
        raise NotFound(f"employer {ref!r} is not registered")
    return matches[0]


def _place_scope(ctx: Context | None, jurisdiction: str) -> str | None:
    """The jurisdiction to check for a new house: an intermediary's houses are its own."""
    return None if ctx is not None and ctx.principal.role == "intermediary" else jurisdiction


def _check_count(what: str, value: int | None) -> None:
    if value is not None and (value < 0 or value > 100_000):
        raise InvalidInput(f"{what} must be a whole number between 0 and 100000")
