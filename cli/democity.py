"""The sample city of ``laiqu demo``: places, and a day at its desks driven by card swipes.

Everything here is synthetic: jurisdiction names are real districts of Shanghai for realism,
people come from the emulator's deck (valid-checksum numbers of nobody) or are made up here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import uscc

from cli.desk import checkin_text, checkout_result
from cli.output import CAPTURES, findings_text, joined
from registry.context import Context
from registry.identity.cards import CardRead
from registry.identity.ids import DocType, mask, ric_check_digit
from registry.movements import employment, residences, stays
from registry.people import registration
from registry.places import employers, houses, jurisdictions, venues

CITY = "310100"
JURISDICTIONS = [  # code, name, level, parent
    (CITY, "上海市", "city", None),
    ("310104", "徐汇区", "district", CITY),
    ("31010401", "天平路派出所", "station", "310104"),
    ("3101040101", "天平社区", "community", "31010401"),
    ("310104010101", "天平第一网格", "grid", "3101040101"),
    ("310104010102", "天平第二网格", "grid", "3101040101"),
    ("3101040102", "湖南社区", "community", "31010401"),
    ("310104010201", "湖南第一网格", "grid", "3101040102"),
    ("310105", "长宁区", "district", CITY),
    ("31010501", "华阳路派出所", "station", "310105"),
    ("3101050101", "华阳社区", "community", "31010501"),
    ("310105010101", "华阳第一网格", "grid", "3101050101"),
]
HOTEL_A, HOTEL_B = "天平宾馆", "华阳旅社"


def _uscc(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


def _number(region: str, born: str, seq: int) -> str:
    first17 = f"{region}{born}{seq:03d}"
    return first17 + ric_check_digit(first17)


@dataclass
class City:
    houses: dict[str, str]  # door plate → house id
    employers: dict[str, str]  # short name → employer id


def build_city(sessions: sessionmaker[Session], ctx: Context) -> City:
    """Jurisdictions, two hotels with rooms, an intermediary, a station, houses, employers."""
    with sessions.begin() as s:
        for code, name, level, parent in JURISDICTIONS:
            jurisdictions.add_jurisdiction(s, ctx, code, name, level, parent)
        venues.add_venue(
            s,
            ctx,
            HOTEL_A,
            "hotel",
            "3101040101",
            [str(n) for n in (*range(101, 111), *range(201, 211))],
            "天平路 120 号",
        )
        venues.add_venue(
            s, ctx, HOTEL_B, "hotel", "3101050101", [str(n) for n in range(1, 9)], "华阳路 31 号"
        )
        venues.add_venue(s, ctx, "徐汇安居房产中介", "intermediary", "3101040101")
        venues.add_venue(s, ctx, "天平社区服务站", "station", "3101040101")
        house_ids = {}
        for plate, address, grid, capacity, filing, pledge in [
            (
                "XH-TP-0088-3-201",
                "徐汇区天平路 88 弄 3 号 201 室",
                "310104010101",
                3,
                "沪徐租备 2026-0001",
                True,
            ),
            ("XH-HN-0012-101", "徐汇区湖南路 12 号 101 室", "310104010201", 2, None, False),
            (
                "CN-HY-0005-302",
                "长宁区华阳路 5 号 302 室",
                "310105010101",
                4,
                "沪长租备 2026-0107",
                True,
            ),
        ]:
            house = houses.add_house(
                s,
                ctx,
                address,
                grid,
                capacity=capacity,
                filing=filing,
                pledge=pledge,
                door_plate=plate,
                rooms=2,
            )
            house_ids[plate] = str(house.id)
        employer_ids = {}
        for short, name, code, grid, headcount in [
            ("快递", "徐汇迅达快递服务有限公司", "91310104MA1FL0001", "310104010102", 2),
            ("餐饮", "长宁华阳餐饮管理有限公司", "91310105MA1GB0002", "310105010101", 1),
        ]:
            changed = employers.add_employer(
                s,
                ctx,
                name,
                _uscc(code),
                grid,
                headcount=headcount,
                industry="H" if short == "餐饮" else "G",
            )
            employer_ids[short] = str(changed.record.id)
    return City(house_ids, employer_ids)


Swipe = Callable[[int | CardRead], CardRead]
Say = Callable[[str], None]


def day_at_the_desks(
    sessions: sessionmaker[Session], ctx: Context, city: City, swipe: Swipe, say: Say
) -> int:
    """Check guests in and out and move tenants in and out by swiping cards; returns steps."""
    steps = 0

    def step(title: str, action: Callable[[Session], str]) -> None:
        nonlocal steps
        steps += 1
        with sessions.begin() as session:
            say(f"[{steps:02d}] {title}\n" + _indent(action(session)))

    h1, h2, h3 = city.houses.values()
    landlord = swipe(1)
    step(
        "房东刷卡登记",
        lambda s: _registered(registration.register_person(s, ctx, landlord, city=CITY)),
    )
    step(
        "房东登记到两处房屋",
        lambda s: "\n".join(
            f"{houses.update_house(s, ctx, h, landlord=landlord.number).record.address}"
            for h in (h1, h3)
        ),
    )
    guest = swipe(0)
    step(
        "旅客入住（读卡）", lambda s: checkin_text(stays.check_in(s, ctx, HOTEL_A, "101", [guest]))
    )
    expired = swipe(2)
    step(
        "旅客入住，证件已过期",
        lambda s: checkin_text(stays.check_in(s, ctx, HOTEL_A, "102", [expired])),
    )
    party = [swipe(6), swipe(7)]
    step(
        "港澳台旅客两人同住（两次刷卡）",
        lambda s: checkin_text(
            stays.check_in(s, ctx, HOTEL_A, "201", party, expected_checkout=ctx.today())
        ),
    )
    foreigner = swipe(8)
    step("外国旅客入住", lambda s: checkin_text(stays.check_in(s, ctx, HOTEL_B, "3", [foreigner])))
    again = swipe(0)
    step(
        "同一证件在另一家旅馆入住",
        lambda s: checkin_text(stays.check_in(s, ctx, HOTEL_B, "5", [again])),
    )
    typed = registration.TypedIdentity(
        number=_number("420106", "19930412", 57), name="周建华", gender="1"
    )
    step(
        "手工录入入住（读卡器故障）",
        lambda s: checkin_text(stays.check_in(s, ctx, HOTEL_B, "6", [typed])),
    )
    leaving = swipe(0)
    step(
        "第一家旅馆退房（刷卡核销）",
        lambda s: checkout_result(s, stays.check_out(s, ctx, HOTEL_A, number=leaving.number))[1],
    )

    # A person registered by hand earlier with a name the chip does not confirm.
    chip = CardRead(
        DocType.RESIDENT,
        "马晓东",
        "1",
        date(1991, 8, 8),
        number=_number("320102", "19910808", 31),
        issuer="南京市公安局玄武分局",
        valid_from=date(2020, 1, 1),
        valid_to=date(2040, 1, 1),
        ethnicity="01",
        address="江苏省南京市玄武区北京东路 1 号",
    )
    step(
        "此前手工登记的人员",
        lambda s: _registered(
            registration.register_person(
                s, ctx, registration.TypedIdentity(number=chip.number, name="马小东"), city=CITY
            )
        ),
    )
    tenant = swipe(chip)
    step(
        "租客迁入（读卡，姓名与登记不符）",
        lambda s: _moved_in(residences.move_in(s, ctx, h1, tenant, reporter="intermediary")),
    )
    for index, note_ in ((3, "租客迁入"), (4, "合租人迁入"), (5, "第三人迁入，超过核定人数")):
        card = swipe(index)
        step(
            note_,
            lambda s, card=card: _moved_in(
                residences.move_in(s, ctx, h2, card, relation="co-tenant", reporter="landlord")
            ),
        )
    late = swipe(9)
    step(
        "迁入 10 天后才申报",
        lambda s: _moved_in(
            residences.move_in(
                s, ctx, h3, late, on=ctx.today() - timedelta(days=10), reporter="self"
            )
        ),
    )
    worker = registration.TypedIdentity(number=_number("500101", "19980606", 73), name="谭小龙")
    step(
        "快递公司员工上岗",
        lambda s: _job(
            employment.start_job(
                s, ctx, city.employers["快递"], worker.number, name=worker.name, post="快递员"
            )
        ),
    )
    colleague = swipe(4)
    step(
        "合租人在快递公司上岗",
        lambda s: _job(
            employment.start_job(s, ctx, city.employers["快递"], colleague.number, post="分拣员")
        ),
    )
    out = swipe(5)
    step(
        "第三人迁出（刷卡核销）",
        lambda s: _moved_out(residences.move_out(s, ctx, h2, out.number, reason="合同到期")),
    )
    step(
        "外国旅客按房间退房",
        lambda s: checkout_result(s, stays.check_out(s, ctx, HOTEL_B, room="3"))[1],
    )
    return steps


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.splitlines())


def _registered(reg: registration.Registration) -> str:
    verb = "已登记" if reg.created else "已核对"
    return joined(
        f"{verb}：{reg.person.name} {mask(reg.person.number)}（{CAPTURES[reg.capture]}）",
        findings_text(reg.findings),
    )


def _moved_in(done: residences.MoveIn) -> str:
    p = done.guest.person
    return joined(
        f"已迁入：{p.name} {mask(p.number)} → {done.house.address}"
        f"（{CAPTURES[done.guest.capture]}）",
        findings_text(done.findings),
    )


def _moved_out(done: residences.MoveOut) -> str:
    return joined(
        f"已迁出：{done.house.address}（{done.residence.valid_from} 至 {done.residence.valid_to}）",
        findings_text(done.findings),
    )


def _job(done: employment.Job) -> str:
    return joined(
        f"已上岗：{done.person.name} {mask(done.person.number)} @ {done.employer.name}",
        findings_text(done.findings),
    )
