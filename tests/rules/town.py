"""A small synthetic city for the rules and permit tests (never real persons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import uscc

from registry.context import DEFAULT_ZONE, Context
from registry.identity.ids import ric_check_digit
from registry.people.registration import TypedIdentity
from registry.places import employers, houses, jurisdictions, venues

CITY, DISTRICT, STATION, GRID = "4403", "440304", "440304001", "44030400101"
OTHER_STATION = "440304002"
OTHER_CITY = "4401"
OTHER_CITY_STATION = "44010601"


def rid(seq: str = "001", region: str = "110105", born: str = "19900101") -> str:
    first17 = region + born + seq
    return first17 + ric_check_digit(first17)


def who(number: str, name: str = "张三", **kw: object) -> TypedIdentity:
    return TypedIdentity(number=number, name=name, **kw)  # type: ignore[arg-type]


def at(ctx: Context, day: date, hour: int = 10, minute: int = 0) -> Context:
    """The context at a local (Shanghai) time of ``day``."""
    return ctx.at(datetime.combine(day, time(hour, minute), tzinfo=DEFAULT_ZONE))


@dataclass
class Town:
    hotel: str  # in GRID (under STATION)
    house: str  # in GRID, rental, no filing number
    filed: str  # in OTHER_STATION, filed rental
    elsewhere: str  # a house in OTHER_CITY
    employer: str  # registered, in STATION


def build(sf: sessionmaker[Session], ctx: Context) -> Town:
    with sf.begin() as s:
        jurisdictions.add_jurisdiction(s, ctx, CITY, "深圳市", "city")
        jurisdictions.add_jurisdiction(s, ctx, DISTRICT, "福田区", "district", CITY)
        jurisdictions.add_jurisdiction(s, ctx, STATION, "园岭派出所", "station", DISTRICT)
        jurisdictions.add_jurisdiction(s, ctx, OTHER_STATION, "华富派出所", "station", DISTRICT)
        jurisdictions.add_jurisdiction(s, ctx, GRID, "百花社区", "community", STATION)
        jurisdictions.add_jurisdiction(s, ctx, OTHER_CITY, "广州市", "city")
        # A house belongs to a station or below, never to a city directly.
        jurisdictions.add_jurisdiction(s, ctx, "440106", "天河区", "district", OTHER_CITY)
        jurisdictions.add_jurisdiction(
            s, ctx, OTHER_CITY_STATION, "天河派出所", "station", "440106"
        )
        hotel = venues.add_venue(s, ctx, "百花旅馆", "hotel", GRID, rooms=["101", "102"])
        house = houses.add_house(s, ctx, "百花二路3号101", GRID, capacity=6)
        filed = houses.add_house(
            s, ctx, "华富路8号2楼", OTHER_STATION, filing="ZL-2026-0008", pledge=True
        )
        elsewhere = houses.add_house(s, ctx, "天河路1号", OTHER_CITY_STATION, filing="GZ-1")
        body = "91440300MA5F00001"
        code = body + uscc.calc_check_digit(body)
        emp = employers.add_employer(s, ctx, "百花电子厂", code, STATION)
        return Town(
            str(hotel.id), str(house.id), str(filed.id), str(elsewhere.id), str(emp.record.id)
        )
