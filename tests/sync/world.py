"""A station and a front desk with the same small city, and synthetic guests (never real)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from registry.context import Context
from registry.db.models import Document, Event, Person, Residence, Stay
from registry.db.sync_models import LedgerEntry
from registry.identity.cards import CardRead
from registry.identity.ids import DocType, ric_check_digit
from registry.movements import stays
from registry.places import houses, jurisdictions, venues

CITY, DISTRICT, STATION = "4403", "440304", "440304001"
HOTEL, ROOMS = "百花旅馆", [str(r) for r in range(101, 131)]


def rid(i: int, region: str = "110105") -> str:
    born = date(1970, 1, 1) + timedelta(days=(i * 37) % 12000)
    first17 = f"{region}{born:%Y%m%d}{i % 1000:03d}"
    return first17 + ric_check_digit(first17)


def card(i: int, name: str = "张三") -> CardRead:
    number = rid(i)
    gender = "1" if int(number[16]) % 2 else "2"
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return CardRead(
        DocType.RESIDENT,
        name,
        gender,
        born,
        number,
        issuer="北京市公安局朝阳分局",
        valid_from=date(2016, 1, 1),
        valid_to=date(2036, 1, 1),
        ethnicity="01",
        address="北京市朝阳区",
        photo=bytes(range(256)) * 4,
        reader_id="emu-1",
        sam_id="05.01-20101209-0000000001",
    )


def build(sf: sessionmaker[Session], ctx: Context, *, venue_id: uuid.UUID | None = None) -> str:
    """The city, a station, a hotel (and a second hotel, a house); the hotel's id."""
    with sf.begin() as s:
        jurisdictions.add_jurisdiction(s, ctx, CITY, "深圳市", "city")
        jurisdictions.add_jurisdiction(s, ctx, DISTRICT, "福田区", "district", CITY)
        jurisdictions.add_jurisdiction(s, ctx, STATION, "园岭派出所", "station", DISTRICT)
        hotel = venues.add_venue(s, ctx, HOTEL, "hotel", STATION, rooms=ROOMS)
        houses.add_house(s, ctx, "百花二路3号101", STATION, capacity=4, door_plate="BH-3-101")
        return str(hotel.id)


def add_other_hotel(sf: sessionmaker[Session], ctx: Context) -> str:
    with sf.begin() as s:
        return str(venues.add_venue(s, ctx, "华富宾馆", "hotel", STATION, rooms=["1"]).id)


def guests(sf: sessionmaker[Session], ctx: Context, hotel: str, n: int, start: int = 0) -> None:
    """``n`` chip check-ins, one a minute; every third guest checks out again."""
    for i in range(start, start + n):
        at = ctx.at(ctx.now() + timedelta(minutes=i - start))
        with sf.begin() as s:
            stays.check_in(s, at, hotel, ROOMS[i % len(ROOMS)], [card(i, f"旅客{i}")])
        if i % 3 == 0:
            with sf.begin() as s:
                stays.check_out(s, at.at(at.now() + timedelta(seconds=30)), hotel, number=rid(i))


STAY_FIELDS = (
    "room",
    "checked_in_at",
    "checked_out_at",
    "capture",
    "registered_by",
    "terminal",
    "expected_checkout",
)


def snapshot_desk(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """What the desk holds, keyed by what survives the trip (id keys, not row ids)."""
    with Session(engine) as s:
        people = {p.id: p for p in s.scalars(select(Person))}
        return _snap(s, people, lambda t, i: i)


def snapshot_station(engine: Engine, venue: uuid.UUID) -> dict[str, list[tuple[object, ...]]]:
    """The station's records that a desk's uploads became (through the ledger)."""
    with Session(engine) as s:
        people = {p.id: p for p in s.scalars(select(Person))}
        back = {
            (e.kind, e.station_id): e.desk_id
            for e in s.scalars(select(LedgerEntry).where(LedgerEntry.venue_id == venue))
        }
        return _snap(s, people, lambda t, i: back.get((t, i)), only_mapped=True)


def _snap(s: Session, people: dict, desk_id, only_mapped: bool = False) -> dict:
    out: dict[str, list[tuple[object, ...]]] = {}
    rows = [
        (
            desk_id("stays", st.id),
            people[st.person_id].id_key,
            *(getattr(st, f) for f in STAY_FIELDS),
        )
        for st in s.scalars(select(Stay))
    ]
    out["stays"] = sorted(r for r in rows if r[0] is not None or not only_mapped)
    rows = [
        (desk_id("residences", r.id), people[r.person_id].id_key, r.valid_from, r.valid_to)
        for r in s.scalars(select(Residence))
    ]
    out["residences"] = sorted(r for r in rows if r[0] is not None or not only_mapped)
    out["persons"] = sorted(
        (p.id_key, p.name, p.gender, p.birth_date, p.category) for p in people.values()
    )
    out["documents"] = sorted(
        (people[d.person_id].id_key, d.number, d.capture, d.valid_to, d.photo_sha256)
        for d in s.scalars(select(Document))
    )
    ev = [
        (
            e.id,
            e.occurred_at,
            e.actor,
            e.terminal,
            e.action,
            e.subject_kind,
            people[e.person_id].id_key if e.person_id else None,
        )
        for e in s.scalars(
            select(Event).where(
                Event.action.notlike("jurisdiction.%"),
                Event.action.notlike("venue.%"),
                Event.action.notlike("house.%"),
            )
        )
    ]
    out["events"] = sorted(ev, key=str)
    return out


def count(engine: Engine, table: str) -> int:
    with engine.connect() as c:
        return c.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
