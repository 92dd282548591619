"""A coordinator cancels or extends an overdue residence; each action is an event."""

from datetime import date

import pytest
from dbtools import table_counts
from sqlalchemy import select

from registry.db.models import Event, Finding, Residence
from registry.errors import InvalidInput, NotFound, Refused
from registry.matching import checks
from registry.movements import overdue, residences
from tests.rules.town import GRID, OTHER_STATION, STATION, at, build, rid, who

PLANNED = date(2026, 6, 10)


def _overdue_town(sf, ctx):
    """A tenant whose planned end (June 10) passed, found overdue on June 15."""
    town = build(sf, ctx)
    with sf.begin() as s:
        residences.move_in(
            s, at(ctx, date(2026, 5, 1)), town.house, who(rid()), planned_end=PLANNED
        )
        residences.move_in(s, at(ctx, date(2026, 5, 1)), town.filed, who(rid("002"), "李四"))
        checks.check(s, ctx)
    return town


def _open(s, code="PH-OVERDUE-DEPARTURE"):
    return s.scalars(select(Finding).where(Finding.code == code, Finding.resolved_at.is_(None)))


def test_overdue_list_by_jurisdiction(sf, ctx):
    _overdue_town(sf, ctx)
    with sf() as s:
        listed = overdue.overdue_residences(s, ctx)
        assert [(o.person.name, o.days_over) for o in listed] == [("张三", 5)]
        assert len(overdue.overdue_residences(s, ctx, STATION)) == 1
        assert overdue.overdue_residences(s, ctx, OTHER_STATION) == []
        assert len(list(_open(s))) == 1


def test_cancel_overdue_residence(sf, ctx):
    officer = ctx.__class__("coordinator-7", "station-pc", ctx.now_fixed)
    town = _overdue_town(sf, ctx)
    with sf.begin() as s:
        got = overdue.cancel(s, officer, rid(), reason="已搬离，房东确认", on=date(2026, 6, 11))
        assert got.record.valid_to == date(2026, 6, 11)
        assert got.record.end_reason == "已搬离，房东确认"
        assert got.record.departure_deadline == date(2026, 6, 14)
        assert got.record.departure_reported_at is None  # a cancellation is not a late report
        assert "PH-LATE" not in [f.code for f in got.findings]
    with sf() as s:
        assert list(_open(s)) == []
        settled = s.scalars(select(Finding).where(Finding.code == "PH-OVERDUE-DEPARTURE")).one()
        assert settled.resolution == "协管员注销：已搬离，房东确认"
        event = s.scalars(select(Event).where(Event.action == "residence.cancelled")).one()
        assert (event.actor, event.terminal, event.jurisdiction_code) == (
            "coordinator-7",
            "station-pc",
            GRID,
        )
        assert event.detail["reason"] == "已搬离，房东确认"
        assert event.detail["on"] == "2026-06-11"
        assert overdue.overdue_residences(s, ctx) == []
    with pytest.raises(NotFound), sf.begin() as s:  # nothing open any more
        overdue.cancel(s, ctx, rid(), reason="again", house=town.house)


@pytest.mark.parametrize(
    ("number", "kw", "error"),
    [
        (rid(), {"reason": "  "}, InvalidInput),
        (rid(), {"reason": "走了", "on": date(2026, 6, 16)}, InvalidInput),  # future
        (rid(), {"reason": "走了", "on": date(2026, 4, 30)}, InvalidInput),  # before move-in
        (rid("002"), {"reason": "走了"}, Refused),  # not overdue: no planned end
        (rid("003"), {"reason": "走了"}, NotFound),  # not registered
    ],
)
def test_bad_cancellations_change_nothing(sf, ctx, engine, number, kw, error):
    _overdue_town(sf, ctx)
    before = table_counts(engine)
    with pytest.raises(error), sf.begin() as s:
        overdue.cancel(s, ctx, number, **kw)
    assert table_counts(engine) == before


def test_cancel_refused_before_the_planned_end_has_passed(sf, ctx):
    town = build(sf, ctx)
    with sf.begin() as s:
        residences.move_in(s, ctx, town.house, who(rid()), planned_end=date(2026, 6, 20))
    with pytest.raises(Refused), sf.begin() as s:
        overdue.cancel(s, at(ctx, date(2026, 6, 20)), rid(), reason="走了")
    with sf.begin() as s:
        overdue.cancel(s, at(ctx, date(2026, 6, 21)), rid(), reason="走了")


def test_extend_overdue_residence(sf, ctx):
    _overdue_town(sf, ctx)
    with sf.begin() as s:
        got = overdue.extend(s, ctx, rid(), until=date(2026, 12, 31), reason="续租半年")
        assert got.record.planned_end == date(2026, 12, 31)
        assert got.record.valid_to is None
    with sf() as s:
        assert list(_open(s)) == []
        event = s.scalars(select(Event).where(Event.action == "residence.extended")).one()
        assert event.actor == "tester"
        assert event.detail["planned_end_before"] == "2026-06-10"
        assert event.detail["planned_end"] == "2026-12-31"
    with sf.begin() as s:  # overdue again once the new end passes
        later = at(ctx, date(2027, 1, 1))
        found = checks.refresh(
            s, later, checks.Scope(persons=set(s.scalars(select(Residence.person_id))))
        )
        assert "PH-OVERDUE-DEPARTURE" in [f.code for f in found]


@pytest.mark.parametrize(
    "until", [date(2026, 6, 14), date(2026, 4, 30), PLANNED]
)  # passed, before move-in, unchanged
def test_bad_extensions_change_nothing(sf, ctx, engine, until):
    _overdue_town(sf, ctx)
    before = table_counts(engine)
    with pytest.raises(InvalidInput), sf.begin() as s:
        overdue.extend(s, ctx, rid(), until=until)
    assert table_counts(engine) == before


def test_family_residence_cancelled_within_exemption_withdraws_late(sf, ctx):
    town = build(sf, ctx)
    with sf.begin() as s:  # reported on June 15 for a move-in on April 1: looks late
        got = residences.move_in(
            s,
            ctx,
            town.house,
            who(rid()),
            on=date(2026, 4, 1),
            relation="family",
            planned_end=date(2026, 4, 20),
        )
        assert "PH-LATE" in [f.code for f in got.findings]
    with sf.begin() as s:
        overdue.cancel(s, ctx, rid(), reason="探亲结束", on=date(2026, 4, 20))
    with sf() as s:
        assert list(_open(s, "PH-LATE")) == []
