"""Rules as data: per jurisdiction, inherited down the tree, with effective dates; deadlines."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from dbtools import table_counts
from sqlalchemy import select, update

from registry.db.models import Finding, Residence, Stay
from registry.errors import InvalidInput, NotFound
from registry.matching import checks, rules
from registry.movements import residences, stays
from tests.rules.town import CITY, DISTRICT, GRID, OTHER_STATION, STATION, at, build, rid, who


def _late(s, code="PH-LATE"):
    """Open findings of the code: (subject kind, detail)."""
    query = select(Finding).where(Finding.code == code, Finding.resolved_at.is_(None))
    return [(f.subject_kind, f.detail) for f in s.scalars(query)]


# --- lookup -----------------------------------------------------------------------------


def test_defaults_without_any_setting(sf, ctx):
    build(sf, ctx)
    with sf() as s:
        rs = rules.effective(s, GRID, ctx.today())
        assert rs == rules.DEFAULTS
        assert (rs.movein_days, rs.moveout_days, rs.foreign_guest_hours) == (3, 3, 24)
        assert (rs.domestic_guest_minutes, rs.family_exempt_days, rs.coordinator_ratio) == (
            0,
            30,
            400,
        )
        assert rs.source("movein_days") is None
        assert rules.effective(s, "no-such-node", ctx.today()) == rules.DEFAULTS


def test_inherited_down_the_tree_nearest_node_wins(sf, ctx):
    build(sf, ctx)
    today = ctx.today()
    with sf.begin() as s:
        rules.set_rule(s, ctx, CITY, "movein_days", 7)
        rules.set_rule(s, ctx, STATION, "movein_days", 2)
        rules.set_rule(s, ctx, DISTRICT, "stay_grace_hours", 6)
    with sf() as s:
        assert rules.effective(s, GRID, today).movein_days == 2
        assert rules.effective(s, GRID, today).source("movein_days") == STATION
        assert rules.effective(s, STATION, today).movein_days == 2
        assert rules.effective(s, OTHER_STATION, today).movein_days == 7
        assert rules.effective(s, DISTRICT, today).source("movein_days") == CITY
        assert rules.effective(s, GRID, today).stay_grace_hours == 6
        assert rules.effective(s, CITY, today).stay_grace_hours == 12
    with sf.begin() as s:  # a setting without a value inherits again
        rules.set_rule(s, ctx, STATION, "movein_days", None)
    with sf() as s:
        assert rules.effective(s, GRID, today).movein_days == 7


def test_effective_dates_and_later_setting_wins(sf, ctx):
    build(sf, ctx)
    today = ctx.today()
    with sf.begin() as s:
        rules.set_rule(s, ctx, CITY, "movein_days", 5, effective_from=date(2026, 7, 1))
        assert rules.effective(s, GRID, date(2026, 7, 1)).movein_days == 5  # cache dropped
    with sf() as s:
        assert rules.effective(s, GRID, today).movein_days == 3
        assert rules.effective(s, GRID, date(2026, 6, 30)).movein_days == 3
        assert rules.effective(s, GRID, date(2026, 7, 1)).movein_days == 5
    with sf.begin() as s:  # a correction for the same day at the same instant still wins
        rules.set_rule(s, ctx, CITY, "movein_days", 4, effective_from=date(2026, 7, 1))
    with sf() as s:
        assert rules.effective(s, GRID, date(2026, 7, 2)).movein_days == 4
        assert [r.value for r in rules.settings(s, GRID)] == [5, 4]
    # a station rule effective later does not hide the city's rule before its date
    with sf.begin() as s:
        rules.set_rule(s, ctx, STATION, "movein_days", 1, effective_from=date(2026, 8, 1))
    with sf() as s:
        assert rules.effective(s, GRID, date(2026, 7, 31)).movein_days == 4
        assert rules.effective(s, GRID, date(2026, 8, 1)).movein_days == 1


@pytest.mark.parametrize(
    ("code", "name", "value", "when", "error"),
    [
        (CITY, "movein_days", 3, date(2026, 6, 14), InvalidInput),  # history is not rewritten
        (CITY, "no_such_rule", 3, None, NotFound),
        (CITY, "movein_days", -1, None, InvalidInput),
        (CITY, "coordinator_ratio", 0, None, InvalidInput),
        ("9999", "movein_days", 3, None, NotFound),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    sf, ctx, engine, code, name, value, when, error
):
    build(sf, ctx)
    before = table_counts(engine)
    with pytest.raises(error), sf.begin() as s:
        rules.set_rule(s, ctx, code, name, value, effective_from=when)
    assert table_counts(engine) == before


def test_rules_are_append_only(sf, ctx, engine):
    build(sf, ctx)
    with sf.begin() as s:
        rules.set_rule(s, ctx, CITY, "movein_days", 5)
    with pytest.raises(sa.exc.DatabaseError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE rules SET value = 9"))
    with pytest.raises(sa.exc.DatabaseError), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM rules"))


# --- residence deadlines ------------------------------------------------------------------


@pytest.mark.parametrize(("days_after", "late"), [(0, False), (3, False), (4, True)])
def test_move_in_reported_on_day_3_is_on_time_day_4_late(sf, ctx, days_after, late):
    town = build(sf, ctx)
    moved = date(2026, 6, 1)
    with sf.begin() as s:
        result = residences.move_in(
            s, at(ctx, moved + timedelta(days=days_after), 23, 59), town.house, who(rid()), on=moved
        )
        assert result.residence.report_deadline == date(2026, 6, 4)
        assert [f.code for f in result.findings].count("PH-LATE") == int(late)


def test_rule_change_mid_period_applies_from_its_day_without_rewriting(sf, ctx):
    town = build(sf, ctx)
    with sf.begin() as s:  # on 2026-02-01 the city sets 5 days from 2026-03-01
        rules.set_rule(
            s, at(ctx, date(2026, 2, 1)), CITY, "movein_days", 5, effective_from=date(2026, 3, 1)
        )
    cases = [  # (moved in, reported, expected deadline, late)
        (date(2026, 2, 27), date(2026, 3, 3), date(2026, 3, 2), True),  # old rule: 3 days
        (date(2026, 2, 28), date(2026, 3, 3), date(2026, 3, 3), False),
        (date(2026, 3, 1), date(2026, 3, 6), date(2026, 3, 6), False),  # new rule: 5 days
        (date(2026, 3, 1), date(2026, 3, 7), date(2026, 3, 6), True),
    ]
    for i, (moved, reported, deadline, late) in enumerate(cases):
        with sf.begin() as s:
            got = residences.move_in(
                s, at(ctx, reported), town.house, who(rid(f"00{i + 1}")), on=moved
            )
            assert got.residence.report_deadline == deadline
            assert ("PH-LATE" in [f.code for f in got.findings]) is late
    with sf.begin() as s:  # a later change leaves the stored deadlines alone
        rules.set_rule(s, ctx, CITY, "movein_days", 1)
        checks.check(s, ctx)
    with sf() as s:
        assert sorted(s.scalars(select(Residence.report_deadline))) == [
            date(2026, 3, 2),
            date(2026, 3, 3),
            date(2026, 3, 6),
            date(2026, 3, 6),
        ]
        assert len(_late(s)) == 2


def test_station_rule_applies_only_below_the_station(sf, ctx):
    town = build(sf, ctx)
    with sf.begin() as s:
        rules.set_rule(s, at(ctx, date(2026, 6, 1)), STATION, "movein_days", 1)
    with sf.begin() as s:
        here = residences.move_in(s, ctx, town.house, who(rid("001")), on=date(2026, 6, 13))
        there = residences.move_in(s, ctx, town.filed, who(rid("002")), on=date(2026, 6, 13))
        assert here.residence.report_deadline == date(2026, 6, 14)
        assert "PH-LATE" in [f.code for f in here.findings]
        assert there.residence.report_deadline == date(2026, 6, 16)
        assert "PH-LATE" not in [f.code for f in there.findings]


def test_foreign_persons_have_a_day(sf, ctx):
    town = build(sf, ctx)
    john = who("E12345678", "JOHN SMITH", doc_type="passport", nationality="USA")
    with sf.begin() as s:
        got = residences.move_in(s, ctx, town.house, john, on=date(2026, 6, 13))
        assert got.residence.report_deadline == date(2026, 6, 14)
        assert "PH-LATE" in [f.code for f in got.findings]


@pytest.mark.parametrize(
    ("reported_after", "lived", "late"),
    [
        (20, None, False),  # still living there, within the exemption
        (33, None, False),  # 30 exempt days + 3 days to report
        (34, None, True),
        (40, 30, False),  # left after 30 days: never needed registering
        (40, 31, True),  # stayed 31 days: needed registering by day 33
    ],
)
def test_family_exemption(sf, ctx, reported_after, lived, late):
    town = build(sf, ctx)
    moved = date(2026, 4, 1)
    number = rid()
    when = at(ctx, moved + timedelta(days=reported_after))
    with sf.begin() as s:
        got = residences.move_in(s, when, town.house, who(number), on=moved, relation="family")
        assert got.residence.report_deadline == date(2026, 5, 4)
        if lived is not None:
            residences.move_out(s, when, town.house, number, on=moved + timedelta(days=lived))
    with sf() as s:
        assert (len(_late(s)) > 0) is late


def test_tenant_is_not_exempt(sf, ctx):
    town = build(sf, ctx)
    moved = date(2026, 4, 1)
    with sf.begin() as s:
        when = at(ctx, date(2026, 4, 20))
        got = residences.move_in(s, when, town.house, who(rid()), on=moved)
        residences.move_out(s, when, town.house, rid(), on=date(2026, 4, 10))
        assert got.residence.report_deadline == date(2026, 4, 4)
    with sf() as s:
        assert sorted(k for k, _ in _late(s)) == ["departure", "residence"]


@pytest.mark.parametrize(("days_after", "late"), [(3, False), (4, True)])
def test_move_out_reported_on_day_3_is_on_time_day_4_late(sf, ctx, days_after, late):
    town = build(sf, ctx)
    number = rid()
    with sf.begin() as s:
        residences.move_in(s, at(ctx, date(2026, 5, 1)), town.house, who(number))
    left = date(2026, 6, 1)
    with sf.begin() as s:
        out = residences.move_out(
            s, at(ctx, left + timedelta(days=days_after), 22), town.house, number, on=left
        )
        assert out.residence.departure_deadline == date(2026, 6, 4)
        assert [f.subject_kind for f in out.findings if f.code == "PH-LATE"] == (
            ["departure"] if late else []
        )


def test_move_out_deadline_uses_the_rule_on_the_move_out_day(sf, ctx):
    town = build(sf, ctx)
    number = rid()
    with sf.begin() as s:
        residences.move_in(s, at(ctx, date(2026, 5, 1)), town.house, who(number))
        rules.set_rule(
            s, at(ctx, date(2026, 5, 1)), GRID, "moveout_days", 10, effective_from=date(2026, 6, 1)
        )
    with sf.begin() as s:
        out = residences.move_out(s, ctx, town.house, number, on=date(2026, 6, 5))
        assert out.residence.departure_deadline == date(2026, 6, 15)
        assert "PH-LATE" not in [f.code for f in out.findings]
        before = residences.move_in(s, ctx, town.house, who(rid("002")), on=date(2026, 5, 20))
        out = residences.move_out(s, ctx, town.house, rid("002"), on=date(2026, 5, 31))
        assert out.residence.departure_deadline == date(2026, 6, 3)  # the rule of May 31
        assert before.residence.report_deadline == date(2026, 5, 23)


# --- hotel stays ------------------------------------------------------------------------


def _check_in(sf, ctx, town, identity, **kw):
    with sf.begin() as s:
        got = stays.check_in(s, ctx, town.hotel, "101", [identity], **kw)
        return got.stays[0].id, got.guests[0].person.id


def _reported_late_by(sf, ctx, stay_id, person_id, delay):
    with sf.begin() as s:
        stay = s.get(Stay, stay_id)
        s.execute(
            update(Stay).where(Stay.id == stay_id).values(reported_at=stay.checked_in_at + delay)
        )
        return [
            f.code for f in checks.refresh(s, ctx, checks.Scope(persons={person_id}))
        ].count("PH-LATE")


def test_stay_deadlines_domestic_immediate_foreign_24_hours(sf, ctx):
    town = build(sf, ctx)
    dom_stay, _ = _check_in(sf, ctx, town, who(rid()))
    john = who("E12345678", "JOHN SMITH", doc_type="passport", nationality="USA")
    for_stay, _ = _check_in(sf, ctx, town, john)
    with sf() as s:
        assert s.get(Stay, dom_stay).report_deadline == ctx.now()
        assert s.get(Stay, for_stay).report_deadline == ctx.now() + timedelta(hours=24)
    with sf.begin() as s:
        rules.set_rule(s, ctx, CITY, "foreign_guest_hours", 12)
    other = who("E87654321", "JANE DOE", doc_type="passport", nationality="GBR")
    stay, _ = _check_in(sf, ctx, town, other)
    with sf() as s:
        assert s.get(Stay, stay).report_deadline == ctx.now() + timedelta(hours=12)


@pytest.mark.parametrize(("minutes", "late"), [(30, False), (31, True)])
def test_domestic_late_report_alerts_after_the_delay(sf, ctx, minutes, late):
    town = build(sf, ctx)
    stay, person = _check_in(sf, ctx, town, who(rid()))
    assert _reported_late_by(sf, ctx, stay, person, timedelta(minutes=minutes)) == int(late)


def test_domestic_alert_delay_is_a_rule(sf, ctx):
    town = build(sf, ctx)
    with sf.begin() as s:
        rules.set_rule(s, ctx, STATION, "domestic_alert_minutes", 5)
    stay, person = _check_in(sf, ctx, town, who(rid()))
    assert _reported_late_by(sf, ctx, stay, person, timedelta(minutes=6)) == 1


@pytest.mark.parametrize(
    ("delay", "late"), [(timedelta(hours=24), False), (timedelta(hours=24, seconds=1), True)]
)
def test_foreign_guest_reported_within_24_hours(sf, ctx, delay, late):
    town = build(sf, ctx)
    john = who("E12345678", "JOHN SMITH", doc_type="passport", nationality="USA")
    stay, person = _check_in(sf, ctx, town, john)
    assert _reported_late_by(sf, ctx, stay, person, delay) == int(late)


# --- overdue departures -------------------------------------------------------------------


def _overdue(sf, ctx, person_id):
    with sf.begin() as s:
        found = checks.refresh(
            s, ctx, checks.Scope(persons={person_id}), ["PH-OVERDUE-DEPARTURE"]
        )
        return [f.subject_kind for f in found]


@pytest.mark.parametrize(
    ("after", "overdue"),
    [(timedelta(hours=12) - timedelta(seconds=1), False), (timedelta(hours=12), True)],
)
def test_stay_overdue_after_expected_checkout_plus_grace(sf, ctx, after, overdue):
    town = build(sf, ctx)
    _, person = _check_in(sf, ctx, town, who(rid()), expected_checkout=date(2026, 6, 16))
    end_of_day = datetime(2026, 6, 16, 16, 0, tzinfo=UTC)  # 2026-06-17 00:00 in Shanghai
    assert _overdue(sf, ctx.at(end_of_day + after), person) == (["stay"] if overdue else [])


def test_stay_grace_is_the_rule_of_the_expected_day(sf, ctx):
    town = build(sf, ctx)
    with sf.begin() as s:
        rules.set_rule(s, ctx, GRID, "stay_grace_hours", 2, effective_from=date(2026, 6, 16))
    _, person = _check_in(sf, ctx, town, who(rid()), expected_checkout=date(2026, 6, 16))
    end_of_day = datetime(2026, 6, 16, 16, 0, tzinfo=UTC)
    assert _overdue(sf, ctx.at(end_of_day + timedelta(hours=2)), person) == ["stay"]


@pytest.mark.parametrize(
    ("today", "overdue"), [(date(2026, 6, 20), False), (date(2026, 6, 21), True)]
)
def test_residence_overdue_after_its_planned_end(sf, ctx, today, overdue):
    town = build(sf, ctx)
    with sf.begin() as s:
        got = residences.move_in(s, ctx, town.house, who(rid()), planned_end=date(2026, 6, 20))
        person = got.guest.person.id
    assert _overdue(sf, at(ctx, today), person) == (["residence"] if overdue else [])


# --- thresholds -----------------------------------------------------------------------------


def test_no_house_stay_days_per_jurisdiction(sf, ctx):
    town = build(sf, ctx)
    _, person = _check_in(sf, at(ctx, date(2026, 6, 1)), town, who(rid()))
    with sf.begin() as s:
        found = checks.refresh(s, ctx, checks.Scope(persons={person}), ["PH-NO-HOUSE"])
        assert found == []  # 14 days < 30
        rules.set_rule(s, at(ctx, date(2026, 5, 1)), CITY, "no_house_stay_days", 10)
    with sf.begin() as s:
        found = checks.refresh(s, ctx, checks.Scope(persons={person}), ["PH-NO-HOUSE"])
        assert [f.code for f in found] == ["PH-NO-HOUSE"]


def test_coordinators_needed(sf, ctx):
    town = build(sf, ctx)
    with sf.begin() as s:
        for i in range(3):
            residences.move_in(s, ctx, town.house, who(rid(f"00{i + 1}")))
        residences.move_in(s, ctx, town.house, who(rid("009", region="440304"), "本地人"))
        assert rules.coordinators_needed(s, ctx, CITY) == (3, 1)
        rules.set_rule(s, ctx, CITY, "coordinator_ratio", 2)
        assert rules.coordinators_needed(s, ctx, CITY) == (3, 2)
        assert rules.coordinators_needed(s, ctx, OTHER_STATION) == (0, 0)
