"""The content builder on both engines: every figure of the small town, refusals, no data."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime

import pytest
from dbtools import ENGINES, NOW, _drop_pg, _fresh_pg
from report_town import C1, CITY, DISTRICT, G1, S1, S2, build
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.rules_models import Endorsement, Permit
from registry.errors import InvalidInput, NotFound
from reports.content import build_monthly, parse_month
from reports.figures import NO_DATA, MonthlyReport


@pytest.fixture(scope="module", params=ENGINES)
def town(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    """The town, built once per engine for the tests that only read it."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("town") / "town.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url, name = f"sqlite:///{path}", None
    else:
        server = request.getfixturevalue("pg_server")
        name, url = _fresh_pg(server, request.getfixturevalue("pg_template"))
    engine = make_engine(url)
    sf = session_factory(engine)
    build(sf, Context(actor="tester", terminal="test-desk", now_fixed=NOW))
    yield sf
    engine.dispose()
    if name is not None:
        _drop_pg(request.getfixturevalue("pg_server"), name)


@pytest.fixture
def own_town(sf: sessionmaker[Session], ctx: Context) -> sessionmaker[Session]:
    """A town of the test's own, for tests that change it."""
    build(sf, ctx)
    return sf


def report(
    sf: sessionmaker[Session], ctx: Context, code: str = CITY, month: str = "2026-05", **kw: object
) -> MonthlyReport:
    with sf() as s:
        return build_monthly(s, code, month, ctx=ctx, **kw)  # type: ignore[arg-type]


def test_city_totals(town: sessionmaker[Session], ctx: Context) -> None:
    r = report(town, ctx)
    t = r.totals
    assert (t.code, t.floating, t.arrivals, t.departures) == (CITY, 5, 3, 1)
    assert (t.rental_houses, t.occupied_houses) == (4, 3)
    assert (t.stays, t.stays_reported, t.stays_on_time) == (3, 3, 2)
    assert (t.overdue, t.ratio, t.coordinators) == (1, 400, 1)
    assert not r.empty
    assert r.period == (date(2026, 5, 1), date(2026, 5, 31))
    assert r.generated_at.isoformat() == "2026-06-15T10:00:00+08:00"


def test_units_roll_up_and_count_a_person_once(town: sessionmaker[Session], ctx: Context) -> None:
    units = {u.code: u for u in report(town, ctx).units}
    assert [c for c in units] == [DISTRICT, S1, C1, G1, S2]
    assert {c: u.floating for c, u in units.items()} == {DISTRICT: 5, S1: 4, C1: 4, G1: 3, S2: 2}
    assert {c: u.depth for c, u in units.items()} == {DISTRICT: 1, S1: 2, C1: 3, G1: 4, S2: 2}
    assert (units[G1].arrivals, units[S2].arrivals, units[C1].departures) == (2, 1, 1)
    assert (units[S1].overdue, units[S2].overdue) == (1, 0)
    assert (units[S2].rental_houses, units[S2].occupied_houses) == (2, 1)
    assert units[G1].stays == 3 and units[S2].stays == 0


def test_station_report_is_its_subtree(town: sessionmaker[Session], ctx: Context) -> None:
    r = report(town, ctx, S2)
    assert (r.totals.floating, r.totals.arrivals, r.units) == (2, 1, ())
    assert r.title == "华富派出所流动人口居住登记月报"


def test_origin_age_and_gender(town: sessionmaker[Session], ctx: Context) -> None:
    r = report(town, ctx)
    assert dict(r.provinces) == {
        "北京市": 1,
        "四川省": 1,
        "广东省": 1,
        "香港特别行政区": 1,
        "湖北省": 1,
    }
    ages = {label: (m, f, o) for label, m, f, o in r.ages}
    # P7 is born 1966-06-01: still 59 on the month end 2026-05-31.
    assert ages == {
        "16岁以下": (0, 0, 0),
        "16–29岁": (1, 0, 0),
        "30–44岁": (1, 1, 0),
        "45–59岁": (1, 1, 0),
        "60岁及以上": (0, 0, 0),
    }


def test_guests_findings_and_trend(town: sessionmaker[Session], ctx: Context) -> None:
    r = report(town, ctx)
    guests = {g.label: (g.stays, g.reported, g.on_time) for g in r.guests}
    assert guests == {"境内旅客": (2, 2, 1), "港澳台旅客": (1, 1, 1), "外籍旅客": (0, 0, 0)}
    findings = {f.code: f for f in r.findings}
    assert findings["PH-OVERDUE-DEPARTURE"].open_at_end == 1
    assert findings["PH-OVERDUE-DEPARTURE"].label == "超期未注销"
    assert findings["PC-TWO-PLACES"].opened == 1
    trend = {p.month: (p.floating, p.arrivals, p.departures) for p in r.trend}
    assert len(trend) == 12 and min(trend) == "2025-06"
    assert trend["2026-01"] == (1, 1, 0)  # P8
    assert trend["2026-02"] == (2, 1, 0)  # + P3
    assert trend["2026-04"] == (4, 2, 1)  # + P5, P7, - P8
    assert trend["2026-05"] == (5, 3, 1)


def test_no_id_numbers_or_names_in_content(town: sessionmaker[Session], ctx: Context) -> None:
    from report_town import GUESTS, P1, P2, P3, P5, P6, P7

    text = repr(asdict(report(town, ctx)))
    for who in (P1, P2, P3, P5, P6, P7, *GUESTS):
        assert who.number not in text and who.number[-4:] not in text.replace("2026", "")
        assert who.name not in text


def test_configured_ratio(town: sessionmaker[Session], ctx: Context) -> None:
    r = report(town, ctx, ratio=2)
    assert (r.totals.ratio, r.totals.coordinators) == (2, 3)
    with pytest.raises(InvalidInput):
        report(town, ctx, ratio=0)


def test_ratio_rules_per_jurisdiction(own_town: sessionmaker[Session], ctx: Context) -> None:
    from registry.matching import rules

    april = ctx.at(datetime(2026, 4, 1, 2, tzinfo=UTC))
    with own_town.begin() as s:
        rules.set_rule(s, april, S2, "coordinator_ratio", 1)
        rules.set_rule(s, april, DISTRICT, "coordinator_ratio", 3)
        rules.set_rule(s, ctx, S1, "coordinator_ratio", 1)  # from 06-15: not in force in May
    r = report(own_town, ctx)
    units = {u.code: u for u in r.units}
    assert (r.totals.ratio, r.totals.coordinators) == (400, 1)
    assert (units[DISTRICT].ratio, units[DISTRICT].coordinators) == (3, 2)
    assert (units[S1].ratio, units[G1].ratio, units[S1].coordinators) == (3, 3, 2)
    assert (units[S2].ratio, units[S2].coordinators) == (1, 2)


def test_another_city_stays_out(own_town: sessionmaker[Session], ctx: Context) -> None:
    from report_town import at, person

    from registry.movements.residences import move_in
    from registry.places import houses, jurisdictions

    day = date(2026, 5, 6)
    with own_town.begin() as s:
        jurisdictions.add_jurisdiction(s, at(ctx, day), "4401", "广州市", "city")
        # A house belongs to a station (here directly under a city without districts).
        jurisdictions.add_jurisdiction(s, at(ctx, day), "44010001", "天河派出所", "station", "4401")
        house = houses.add_house(s, at(ctx, day), "天河路1号", "44010001")
        move_in(s, at(ctx, day), str(house.id), person("110105", "19900101", "991", "甲"), on=day)
    r = report(own_town, ctx)
    assert (r.totals.floating, r.totals.arrivals, r.totals.rental_houses) == (5, 3, 4)
    assert report(own_town, ctx, "4401").totals.floating == 1


def test_permits(own_town: sessionmaker[Session], ctx: Context) -> None:
    assert report(own_town, ctx).permits is not None
    now = datetime(2026, 5, 2, tzinfo=UTC)
    rows = [
        # issued in May; due next year
        dict(issued_on=date(2026, 5, 2), years_from=date(2026, 5, 2), due_on=date(2027, 5, 2)),
        # anniversary 2026-06-20: endorsement window is May, not yet endorsed
        dict(issued_on=date(2025, 6, 20), years_from=date(2025, 6, 20), due_on=date(2026, 6, 20)),
        # anniversary passed on 2026-05-03 without endorsement: suspended at month end
        dict(issued_on=date(2025, 5, 3), years_from=date(2025, 5, 3), due_on=date(2026, 5, 3)),
    ]
    with own_town.begin() as s:
        ids, holders = [], []
        for row in rows:
            ids.append(uuid.uuid4())
            holders.append(uuid.uuid4())
            s.execute(
                insert(Permit).values(
                    id=ids[-1],
                    number=f"P{len(ids)}",
                    person_id=holders[-1],
                    city_code=CITY,
                    jurisdiction_code=G1,
                    document_id=uuid.uuid4(),
                    cycle=0,
                    issued_by="t",
                    issued_at=now,
                    **row,
                )
            )
        s.execute(
            insert(Endorsement).values(
                id=uuid.uuid4(),
                permit_id=ids[0],
                person_id=holders[0],  # an endorsement is the permit holder's
                jurisdiction_code=G1,
                endorsed_on=date(2026, 5, 20),
                anniversary=date(2026, 6, 1),
                late=False,
                years_from=date(2025, 6, 1),
                endorsed_by="t",
                endorsed_at=now,
            )
        )
    p = report(own_town, ctx).permits
    assert p is not None
    assert (p.issued, p.endorsed, p.endorsed_late, p.due, p.suspended, p.valid) == (
        1,
        1,
        0,
        2,
        1,
        2,
    )
    assert report(own_town, ctx, S2).permits == type(p)(0, 0, 0, 0, 0, 0)


def test_month_without_data(town: sessionmaker[Session], ctx: Context) -> None:
    r = report(town, ctx, month="2025-12")
    assert r.empty and r.totals.floating == 0
    assert NO_DATA in r.sections[0].paragraphs[0]


def test_refusals(town: sessionmaker[Session], ctx: Context) -> None:
    with pytest.raises(NotFound, match="jurisdiction 9999 is not registered"):
        report(town, ctx, "9999")
    for bad in ("2026-13", "2026-5", "26-05", "May 2026", "", "2026-00"):
        with pytest.raises(InvalidInput, match="YYYY-MM"):
            report(town, ctx, month=bad)
    with pytest.raises(InvalidInput, match="future"):
        report(town, ctx, month="2026-07")


def test_parse_month() -> None:
    assert parse_month(" 2026-02 ", date(2026, 6, 1)) == date(2026, 2, 1)
    assert parse_month("2026-06", date(2026, 6, 1)) == date(2026, 6, 1)
