"""A small synthetic city for the core's integration tests (never real persons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from registry.context import Context
from registry.identity.cards import CardRead
from registry.identity.ids import DocType, ric_check_digit
from registry.people.registration import TypedIdentity
from registry.places import employers, houses, jurisdictions, venues

CITY, DISTRICT, STATION, COMMUNITY, GRID = "4403", "440304", "440304001", "44030400101", "G01"
OTHER_STATION = "440304002"


def rid(region: str = "110105", born: str = "19900101", seq: str = "001") -> str:
    first17 = region + born + seq
    return first17 + ric_check_digit(first17)


def typed(number: str, name: str = "张三", **kw: object) -> TypedIdentity:
    return TypedIdentity(number=number, name=name, **kw)  # type: ignore[arg-type]


def card(
    number: str,
    name: str = "张三",
    *,
    gender: str | None = None,
    born: date | None = None,
    valid_to: date | None = date(2036, 1, 1),
    ethnicity: str = "01",
    valid_from: date = date(2016, 1, 1),
) -> CardRead:
    gender = gender or ("1" if int(number[16]) % 2 else "2")
    born = born or date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return CardRead(
        DocType.RESIDENT, name, gender, born, number, issuer="北京市公安局朝阳分局",
        valid_from=valid_from, valid_to=valid_to, ethnicity=ethnicity, address="北京市朝阳区",
        photo=bytes(range(256)) * 4, reader_id="emu-1", sam_id="05.01-20101209-0000000001",
    )


@dataclass
class City:
    hotel: str
    hotel2: str
    house: str
    house2: str
    employer: str


def build(sf: sessionmaker[Session], ctx: Context) -> City:
    with sf.begin() as s:
        jurisdictions.add_jurisdiction(s, ctx, CITY, "深圳市", "city")
        jurisdictions.add_jurisdiction(s, ctx, DISTRICT, "福田区", "district", CITY)
        jurisdictions.add_jurisdiction(s, ctx, STATION, "园岭派出所", "station", DISTRICT)
        jurisdictions.add_jurisdiction(s, ctx, OTHER_STATION, "华富派出所", "station", DISTRICT)
        jurisdictions.add_jurisdiction(s, ctx, COMMUNITY, "百花社区", "community", STATION)
        jurisdictions.add_jurisdiction(s, ctx, GRID, "百花一网格", "grid", COMMUNITY)
        hotel = venues.add_venue(s, ctx, "百花旅馆", "hotel", GRID, rooms=["101", "102", "201"])
        hotel2 = venues.add_venue(s, ctx, "华富宾馆", "hotel", OTHER_STATION)
        house = houses.add_house(s, ctx, "百花二路3号101", GRID, capacity=2, door_plate="BH-3-101")
        house2 = houses.add_house(s, ctx, "华富路8号2楼", OTHER_STATION, filing="ZL-2026-0008",
                                  pledge=True)
        emp = employers.add_employer(s, ctx, "百花电子厂", _uscc(),
                                  STATION)
        return City(str(hotel.id), str(hotel2.id), str(house.id), str(house2.id),
                    str(emp.record.id))


def _uscc() -> str:
    from stdnum.cn import uscc

    body = "91440300MA5F00001"
    return body + uscc.calc_check_digit(body)
