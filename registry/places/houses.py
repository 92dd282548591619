"""Houses (出租屋 and other dwellings): registration, updates and the resolver a scoped user is
checked at."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.access_models import ManagedHouse
from registry.db.cache import per_transaction
from registry.db.models import House
from registry.errors import Ambiguous, InvalidInput, Refused
from registry.identity.text import fields, same_text_key
from registry.matching import checks
from registry.people.find import person_by_number
from registry.places.common import (
    Changed,
    by_ref,
    check_count,
    place_scope,
)
from registry.places.jurisdictions import check_place_level
from registry.places.venues import venue_by_ref
from registry.privacy import access, journal

HOUSE_USES = ("rental", "owner", "dormitory", "collective")


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
    fields(
        address=(address, House.address),
        street=(street, House.street),
        building=(building, House.building),
        unit=(unit, House.unit),
        room=(room, House.room),
        door_plate=(door_plate, House.door_plate),
        filing_number=(filing, House.filing_number),
    )
    if not address.strip():
        raise InvalidInput("a house needs an address")
    if use not in HOUSE_USES:
        raise InvalidInput(f"house use must be one of {', '.join(HOUSE_USES)}")
    check_count("capacity", capacity)
    check_count("rooms", rooms)
    check_place_level(session, jurisdiction, "house")
    ctx = access.require(session, ctx, "house.add", jurisdiction=place_scope(ctx, jurisdiction))
    refuse_same_address(session, address, jurisdiction)
    if door_plate is not None and door_plate.strip():
        door_plate = door_plate.strip()
        refuse_same_door_plate(session, door_plate, jurisdiction)
    else:
        door_plate = None
    landlord_id = person_by_number(session, landlord).id if landlord else None
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
    _addresses(session, jurisdiction)[same_text_key(house.address)] = house.id
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


_ADDRESSES = "laiqu.places.addresses"  # per transaction: jurisdiction -> {address key: id}


def _addresses(session: Session, jurisdiction: str) -> dict[str, uuid.UUID]:
    """The houses of a jurisdiction by ``same_text_key`` of their address, read once per
    transaction (an import adds many houses to one grid)."""
    known: dict[str, dict[str, uuid.UUID]] = per_transaction(session, _ADDRESSES)
    if jurisdiction not in known:
        rows = session.execute(
            select(House.address, House.id).where(House.jurisdiction_code == jurisdiction)
        )
        known[jurisdiction] = {same_text_key(a): i for a, i in rows}
    return known[jurisdiction]


def refuse_same_address(
    session: Session, address: str, jurisdiction: str, other_than: uuid.UUID | None = None
) -> None:
    """``Refused`` when another house of the jurisdiction has the address (compared as
    ``same_text_key``: whitespace and full-width forms do not make a second house)."""
    found = _addresses(session, jurisdiction).get(same_text_key(address))
    if found is not None and found != other_than:
        raise Refused(
            f"a house at this address is registered in {jurisdiction} already "
            f"({found.hex[:8]}); update or merge it instead"
        )


def refuse_same_door_plate(
    session: Session, door_plate: str, jurisdiction: str, other_than: uuid.UUID | None = None
) -> None:
    """``Refused`` when another house of the jurisdiction carries the door plate (the plate
    identifies one house on the ground, as its address does)."""
    query = select(House.id).where(
        House.jurisdiction_code == jurisdiction, House.door_plate == door_plate
    )
    if other_than is not None:
        query = query.where(House.id != other_than)
    found = session.scalars(query.limit(1)).first()
    if found is not None:
        raise Refused(
            f"a house with this door plate is registered in {jurisdiction} already "
            f"({found.hex[:8]}); update or merge it instead"
        )


def update_house(
    session: Session,
    ctx: Context,
    ref: str,
    *,
    landlord: str | None = None,
    capacity: int | None = None,
    filing: str | None = None,
    pledge: bool | None = None,
    address: str | None = None,
    door_plate: str | None = None,
    use: str | None = None,
    rooms: int | None = None,
) -> Changed[House]:
    """Record a house's filing, pledge, landlord, capacity, address, door plate, use or number
    of rooms; re-checks its findings. ``InvalidInput`` when nothing changes or a value is
    wrong, ``Refused`` when the new address is another house's in the jurisdiction."""
    access.require(session, ctx, "house.write")
    house = resolve_house(session, ref)
    check_count("capacity", capacity)
    check_count("rooms", rooms)
    changes: dict[str, object] = {}
    if address is not None and " ".join(address.split()) != house.address:
        new = " ".join(address.split())
        fields(address=(new, House.address))
        if not new:
            raise InvalidInput("a house needs an address")
        refuse_same_address(session, new, house.jurisdiction_code, other_than=house.id)
        table = _addresses(session, house.jurisdiction_code)
        table.pop(same_text_key(house.address), None)
        table[same_text_key(new)] = house.id
        house.address = new
        changes["address"] = "set"
    if door_plate is not None:
        fields(door_plate=(door_plate, House.door_plate))
        if door_plate.strip():
            refuse_same_door_plate(
                session, door_plate.strip(), house.jurisdiction_code, other_than=house.id
            )
        house.door_plate = door_plate.strip() or None
        changes["door_plate"] = "set" if house.door_plate else "cleared"
    if use is not None:
        if use not in HOUSE_USES:
            raise InvalidInput(f"house use must be one of {', '.join(HOUSE_USES)}")
        house.use = changes["use"] = use
    if rooms is not None:
        house.rooms = changes["rooms"] = rooms
    if landlord is not None:
        house.landlord_id = person_by_number(session, landlord).id
        changes["landlord"] = "set"
    if capacity is not None:
        house.capacity = changes["capacity"] = capacity
    if filing is not None:
        fields(filing_number=(filing, House.filing_number))
        house.filing_number = changes["filing"] = filing or None
    if pledge is not None:
        house.pledge_signed = changes["pledge"] = pledge
    if not changes:
        raise InvalidInput(
            "nothing to change: give a landlord, capacity, filing, pledge, address, door plate,"
            " use or rooms"
        )
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
    found = checks.refresh(session, ctx, checks.Scope(houses={house.id}))
    return Changed(house, found)


def resolve_house(session: Session, ref: str) -> House:
    """A house by its id, an id prefix of 8 or more characters or its door-plate code
    (``house_by_ref``), refused (``OutOfScope``, audited) outside the bound user's scope."""
    return access.guard(session, access.check_house, house_by_ref(session, ref))


def house_by_ref(session: Session, ref: str) -> House:
    """A house by its id, its door-plate code or an id prefix of 8 or more characters (as
    lists print it), through the places' one resolver (``common.by_ref``); no scope check.
    Raises ``NotFound`` and ``Ambiguous`` (two houses carry the plate, or several ids start
    with the prefix: they are listed)."""

    def by_plate(text: str) -> House | None:
        matches = session.scalars(select(House).where(House.door_plate == text).limit(2)).all()
        if len(matches) > 1:
            raise Ambiguous(f"{len(matches)} houses carry door plate {text!r}; use the house's id")
        return matches[0] if matches else None

    return by_ref(session, House, ref, kind="house", label=lambda h: h.address, natural=by_plate)


def entrust(session: Session, ctx: Context, house_ref: str, venue_ref: str) -> ManagedHouse:
    """Entrust a house to a rental intermediary (中介托管): its users may then register the
    house's tenants. For a coordinator of the house's jurisdiction or an admin; journaled.

    Raises ``NotFound`` (house or venue), ``Refused`` (the venue is no intermediary, or the
    house is entrusted to it already) and ``OutOfScope``.
    """
    house = house_by_ref(session, house_ref)
    venue = venue_by_ref(session, venue_ref)
    ctx = access.require(session, ctx, "house.write", jurisdiction=house.jurisdiction_code)
    if venue.kind != "intermediary":
        raise Refused(f"{venue.name} is a {venue.kind}, not a rental intermediary")
    if session.get(ManagedHouse, (house.id, venue.id)) is not None:
        raise Refused(f"the house is entrusted to {venue.name} already")
    row = ManagedHouse(house_id=house.id, venue_id=venue.id, since=ctx.now())
    session.add(row)
    journal.record(
        session,
        ctx,
        "house.entrusted",
        "house",
        house.id,
        jurisdiction=house.jurisdiction_code,
        venue=venue.id,
    )
    return row
