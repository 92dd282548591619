"""A small synthetic town for the report tests, built through the core's use cases.

Month under report: 2026-05 (month end 2026-05-31). What it holds at month end:

| unit              | floating persons                       |
|-------------------|----------------------------------------|
| grid G1 (H1)      | P1 北京, P2 四川 (arrived 05-03), P6 广东 |
| community C1 (H2) | + P7 湖北 (planned end 05-10: overdue)   |
| station S1        | 4                                      |
| station S2 (H3)   | P5 香港, P6 广东 (second residence)      |
| district, city    | 5 (P6 once)                            |

P3 湖南 moved out 05-20 (a departure), P4 is local (never counted), P8 left in April.
Hotel in G1: three stays in May (one late), one in April.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from registry.context import Context
from registry.db.models import Stay
from registry.identity.ids import ric_check_digit
from registry.matching import checks
from registry.movements.residences import move_in, move_out
from registry.movements.stays import check_in
from registry.people.registration import TypedIdentity
from registry.places import houses, jurisdictions, venues

CITY, DISTRICT, S1, S2 = "4403", "440304", "440304001", "440304002"
C1, G1 = "44030400101", "4403040010101"


def rid(region: str, born: str, seq: str) -> str:
    first17 = region + born + seq
    return first17 + ric_check_digit(first17)


def person(region: str, born: str, seq: str, name: str) -> TypedIdentity:
    return TypedIdentity(number=rid(region, born, seq), name=name)


P1 = person("110105", "19900101", "011", "赵一")  # male, 36
P2 = person("510104", "19850315", "022", "钱二")  # female, 41
P3 = person("430102", "20150101", "031", "孙三")  # male, 11
P4 = person("440304", "19800101", "041", "李四")  # local
P5 = person("810000", "19700101", "052", "周五")  # Hong Kong, female, 56
P6 = person("440104", "20000101", "061", "吴六")  # Guangzhou: floating in Shenzhen, 26
P7 = person("420102", "19660601", "071", "郑七")  # 59 on 05-31, 60 on 06-01
P8 = person("360102", "19950101", "081", "王八")
GUESTS = (
    person("320102", "19920101", "091", "冯九"),
    person("330102", "19930101", "102", "陈十"),
    person("820000", "19880101", "111", "褚十一"),  # Macao
    person("350102", "19910101", "121", "卫十二"),
)


def at(ctx: Context, day: date, hour: int = 2) -> Context:
    return ctx.at(datetime(day.year, day.month, day.day, hour, tzinfo=UTC))


def build(sf: sessionmaker[Session], ctx: Context) -> dict[str, str]:
    jan = at(ctx, date(2026, 1, 5))
    with sf.begin() as s:
        jurisdictions.add_jurisdiction(s, jan, CITY, "深圳市", "city")
        jurisdictions.add_jurisdiction(s, jan, DISTRICT, "福田区", "district", CITY)
        jurisdictions.add_jurisdiction(s, jan, S1, "园岭派出所", "station", DISTRICT)
        jurisdictions.add_jurisdiction(s, jan, S2, "华富派出所", "station", DISTRICT)
        jurisdictions.add_jurisdiction(s, jan, C1, "百花社区", "community", S1)
        jurisdictions.add_jurisdiction(s, jan, G1, "百花一网格", "grid", C1)
        venues.add_venue(s, jan, "百花旅馆", "hotel", G1, rooms=["101", "102"])
        ids = {
            "H1": str(houses.add_house(s, jan, "百花二路3号101", G1, capacity=3).id),
            "H2": str(houses.add_house(s, jan, "百花四路8号", C1).id),
            "H3": str(houses.add_house(s, jan, "华富路8号2楼", S2).id),
            "H4": str(houses.add_house(s, jan, "华富路9号", S2, use="owner").id),
            "H5": str(houses.add_house(s, jan, "华富路10号", S2).id),
        }
    moves = [
        ("H1", P1, date(2026, 3, 10), None),
        ("H1", P2, date(2026, 5, 3), None),
        ("H2", P3, date(2026, 2, 1), None),
        ("H2", P4, date(2026, 5, 5), None),
        ("H3", P5, date(2026, 4, 1), None),
        ("H1", P6, date(2026, 5, 10), None),
        ("H3", P6, date(2026, 5, 12), None),
        ("H2", P7, date(2026, 4, 1), date(2026, 5, 10)),
        ("H2", P8, date(2026, 1, 10), None),
    ]
    for house, who, day, planned in moves:
        with sf.begin() as s:
            move_in(s, at(ctx, day), ids[house], who, on=day, planned_end=planned)
    for house, who, day in (("H2", P3, date(2026, 5, 20)), ("H2", P8, date(2026, 4, 15))):
        with sf.begin() as s:
            move_out(s, at(ctx, day), ids[house], who.number, on=day)
    stays = []
    for day, guest in zip(
        (date(2026, 5, 8), date(2026, 5, 9), date(2026, 5, 9), date(2026, 4, 30)),
        GUESTS,
        strict=True,
    ):
        with sf.begin() as s:
            stays.append(check_in(s, at(ctx, day), "百花旅馆", "101", [guest]).stays[0].id)
    with sf.begin() as s:  # the second May guest was reported two days late
        stay = s.get(Stay, stays[1])
        assert stay is not None
        s.execute(
            update(Stay)
            .where(Stay.id == stays[1])
            .values(reported_at=datetime(2026, 5, 11, 2, tzinfo=UTC))
        )
    with sf.begin() as s:  # a batch check late in May opens PH-OVERDUE-DEPARTURE for P7
        checks.check(s, at(ctx, date(2026, 5, 25)), CITY)
    return ids
