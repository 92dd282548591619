"""Residence permits: eligibility explained, issue, endorsement window, suspension, lists."""

from datetime import date

import pytest
import sqlalchemy as sa
from dbtools import table_counts
from sqlalchemy import select

from registry.db.models import Document, Event
from registry.db.rules_models import Permit
from registry.errors import NotFound, Refused
from registry.identity.ids import ric_check_digit
from registry.matching import rules
from registry.movements import employment, residences, studies
from registry.permits import eligibility, lifecycle
from tests.rules.town import CITY, GRID, OTHER_STATION, STATION, at, build, rid, who


def _lives(sf, ctx, house, since, number=None, *, reported=None, relation="tenant", until=None):
    number = number or rid()
    with sf.begin() as s:
        when = at(ctx, reported or since)
        residences.move_in(s, when, house, who(number), on=since, relation=relation)
        if until is not None:
            residences.move_out(s, at(ctx, until), house, number, on=until)
    return number


def _check(sf, ctx, number, on=None):
    with sf() as s:
        return eligibility.eligibility(s, ctx, number, on=on)


# --- eligibility ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "eligible"), [(date(2026, 6, 14), False), (date(2026, 6, 15), True)]
)
def test_six_months_of_registered_residence(sf, ctx, on, eligible):
    town = build(sf, ctx)
    number = _lives(sf, ctx, town.filed, date(2025, 12, 15))
    got = _check(sf, ctx, number, on)
    assert got.eligible is eligible
    assert got.eligible_from == date(2026, 6, 15)
    assert got.city.code == CITY
    assert got.residence_jurisdiction == OTHER_STATION
    assert got.condition("residence").holds is eligible
    assert got.condition("housing").holds and got.condition("housing").since == date(2025, 12, 15)
    text = "\n".join(got.lines())
    assert "ZL-2026-0008" in text
    if not eligible:
        assert "预计自 2026-06-15 起符合" in text


def test_residence_alone_is_not_enough_then_a_job_makes_it(sf, ctx):
    town = build(sf, ctx)
    number = _lives(sf, ctx, town.house, date(2025, 1, 1))  # no filing number
    got = _check(sf, ctx, number)
    assert not got.eligible and got.eligible_from is None
    assert [c.code for c in got.failing] == ["employment", "housing", "study"]
    assert got.condition("housing").detail == "现居住房屋无租赁备案号，且非自有住房"
    with sf.begin() as s:
        employment.start_job(s, ctx, town.employer, number, on=date(2026, 3, 1))
    got = _check(sf, ctx, number)
    assert got.eligible and got.eligible_from == date(2026, 3, 1)
    assert got.failing == []
    assert _check(sf, ctx, number, date(2026, 2, 28)).eligible is False


def test_job_at_unregistered_employer_does_not_count(sf, ctx):
    town = build(sf, ctx)
    number = _lives(sf, ctx, town.house, date(2025, 1, 1))
    with sf.begin() as s:
        employment.start_job(s, ctx, "无名小作坊", number, on=date(2026, 1, 1), jurisdiction=GRID)
    got = _check(sf, ctx, number)
    assert not got.eligible
    assert got.condition("employment").detail == "就业单位无名小作坊未登记"


def test_owner_and_study_count(sf, ctx):
    town = build(sf, ctx)
    owner = _lives(sf, ctx, town.house, date(2025, 1, 1), rid("001"), relation="owner")
    assert _check(sf, ctx, owner).eligible
    student = _lives(sf, ctx, town.house, date(2025, 1, 1), rid("002"))
    with sf.begin() as s:
        studies.record_study(s, ctx, student, "深圳职业技术学院", GRID, start=date(2025, 9, 1))
    got = _check(sf, ctx, student)
    assert got.eligible and got.eligible_from == date(2025, 9, 1)
    with sf.begin() as s:
        studies.end_study(s, ctx, student, "深圳职业技术学院", on=date(2026, 6, 1))
    assert not _check(sf, ctx, student).eligible


def test_local_and_foreign_persons_are_not_eligible(sf, ctx):
    town = build(sf, ctx)
    local = _lives(sf, ctx, town.filed, date(2025, 1, 1), rid("003", region="440304"))
    got = _check(sf, ctx, local)
    assert not got.eligible and got.condition("citizen").detail == "户籍在本市，无需申领居住证"
    first17 = "915644" + "19900101" + "001"  # a 2023 foreign permanent resident ID
    foreign = first17 + ric_check_digit(first17)
    with sf.begin() as s:
        residences.move_in(s, at(ctx, date(2025, 1, 1)), town.filed, who(foreign, "JOHN SMITH"))
    got = _check(sf, ctx, foreign)
    assert not got.eligible and not got.condition("citizen").holds


def test_late_report_counts_from_the_report_day(sf, ctx):
    town = build(sf, ctx)
    number = _lives(sf, ctx, town.filed, date(2025, 12, 1), reported=date(2026, 1, 10))
    got = _check(sf, ctx, number)
    assert not got.eligible
    assert got.eligible_from == date(2026, 7, 10)
    assert got.condition("residence").since == date(2026, 1, 10)


@pytest.mark.parametrize(
    ("gap_rule", "second", "eligible_from"),
    [
        (None, date(2026, 1, 20), date(2026, 4, 1)),  # 19 days apart: continuous
        (None, date(2026, 1, 31), date(2026, 4, 1)),  # 30 days apart: continuous
        (None, date(2026, 2, 1), date(2026, 8, 1)),  # 31 days apart: starts again
        (10, date(2026, 1, 20), date(2026, 7, 20)),  # the city allows only 10 days
    ],
)
def test_continuity_across_houses(sf, ctx, gap_rule, second, eligible_from):
    town = build(sf, ctx)
    if gap_rule is not None:
        with sf.begin() as s:
            rules.set_rule(s, ctx, CITY, "permit_gap_days", gap_rule)
    number = _lives(sf, ctx, town.house, date(2025, 10, 1), until=date(2026, 1, 1))
    _lives(sf, ctx, town.filed, second, number)
    assert _check(sf, ctx, number).eligible_from == eligible_from


def test_residence_in_another_city_does_not_count(sf, ctx):
    town = build(sf, ctx)
    number = _lives(sf, ctx, town.elsewhere, date(2025, 1, 1), until=date(2026, 3, 1))
    _lives(sf, ctx, town.filed, date(2026, 3, 1), number)
    got = _check(sf, ctx, number)
    assert got.city.code == CITY and got.eligible_from == date(2026, 9, 1)


def test_months_rule_per_city(sf, ctx):
    town = build(sf, ctx)
    with sf.begin() as s:
        rules.set_rule(s, ctx, CITY, "permit_residence_months", 3)
    number = _lives(sf, ctx, town.filed, date(2026, 3, 15))
    assert _check(sf, ctx, number).eligible_from == date(2026, 6, 15)


# --- issue ------------------------------------------------------------------------------


def test_issue_refused_when_not_eligible(sf, ctx, engine):
    town = build(sf, ctx)
    number = _lives(sf, ctx, town.filed, date(2026, 1, 1))
    before = table_counts(engine)
    with pytest.raises(Refused, match="eligible from 2026-07-01"), sf.begin() as s:
        lifecycle.issue(s, ctx, number)
    assert table_counts(engine) == before


def test_issue_permit_is_also_a_document(sf, ctx):
    town = build(sf, ctx)
    number = _lives(sf, ctx, town.filed, date(2025, 1, 1))
    with sf.begin() as s:
        got = lifecycle.issue(s, ctx, number, permit_number="jz-4403-0001")
        assert got.permit.number == "JZ-4403-0001"
        assert got.permit.issued_on == got.permit.years_from == date(2026, 6, 15)
        assert got.permit.due_on == date(2027, 6, 15)
        assert got.permit.jurisdiction_code == OTHER_STATION
    with sf() as s:
        doc = s.scalars(select(Document).where(Document.doc_type == "residence_permit")).one()
        assert (doc.number, doc.valid_from, doc.capture) == (
            "JZ-4403-0001",
            date(2026, 6, 15),
            "issued",
        )
        assert doc.issuer == "深圳市公安机关"
        assert s.scalars(select(Event.action).where(Event.action == "permit.issued")).one()
    with pytest.raises(Refused, match="already holds"), sf.begin() as s:
        lifecycle.issue(s, ctx, number)
    other = _lives(sf, ctx, town.filed, date(2025, 1, 1), rid("002"))
    with pytest.raises(Refused, match="already used"), sf.begin() as s:
        lifecycle.issue(s, ctx, other, permit_number="JZ-4403-0001")
    with sf.begin() as s:
        generated = lifecycle.issue(s, ctx, other).permit.number
        assert generated.startswith("JZ440320260615")


# --- endorsement ------------------------------------------------------------------------

ISSUED = date(2025, 3, 10)


def _holder(sf, ctx, issued=ISSUED, since=date(2024, 6, 1)):
    town = build(sf, ctx)
    number = _lives(sf, ctx, town.filed, since)
    with sf.begin() as s:
        lifecycle.issue(s, at(ctx, issued), number)
    return town, number


def _endorse(sf, ctx, number, day):
    with sf.begin() as s:
        return lifecycle.endorse(s, at(ctx, day), number)


@pytest.mark.parametrize(
    ("day", "outcome"),
    [
        (date(2026, 2, 9), "early"),  # the month before the anniversary has not begun
        (date(2026, 2, 10), "on time"),
        (date(2026, 3, 9), "on time"),
        (date(2026, 3, 10), "late"),  # the anniversary itself is late
    ],
)
def test_endorsement_in_the_month_before_the_anniversary(sf, ctx, engine, day, outcome):
    _, number = _holder(sf, ctx)
    if outcome == "early":
        before = table_counts(engine)
        with pytest.raises(Refused, match="from 2026-02-10 to 2026-03-09"):
            _endorse(sf, ctx, number, day)
        assert table_counts(engine) == before
        return
    got = _endorse(sf, ctx, number, day)
    if outcome == "on time":
        assert not got.endorsement.late and got.endorsement.suspended_from is None
        assert got.permit.years_from == ISSUED and got.permit.due_on == date(2027, 3, 10)
        assert got.status.residence_years == 0
    else:
        assert got.endorsement.late and got.endorsement.suspended_from == date(2026, 3, 10)
        assert got.permit.years_from == date(2026, 3, 10)
        assert got.permit.due_on == date(2027, 3, 10)
    assert got.status.status == "valid"


def test_suspension_lists_and_restart_of_residence_years(sf, ctx):
    _, number = _holder(sf, ctx, issued=date(2024, 3, 1), since=date(2023, 6, 1))
    _endorse(sf, ctx, number, date(2025, 2, 15))
    _endorse(sf, ctx, number, date(2026, 2, 15))
    with sf() as s:
        shown = lifecycle.show(s, ctx, number)
        assert (shown.status, shown.residence_years, shown.due_on) == ("valid", 2, date(2027, 3, 1))
        assert len(shown.endorsements) == 2

    def lists(day, where=None):
        with sf() as s:
            c = at(ctx, day)
            due = [p.permit.number for p in lifecycle.due(s, c, jurisdiction=where)]
            gone = [p.permit.number for p in lifecycle.suspended(s, c, jurisdiction=where)]
            return len(due), len(gone), lifecycle.show(s, c, number).status

    assert lists(date(2027, 1, 29)) == (0, 0, "valid")  # anniversary 31 days away
    assert lists(date(2027, 1, 30)) == (1, 0, "valid")  # 30 days away: listed as due
    assert lists(date(2027, 2, 1)) == (1, 0, "due")  # the window is open
    assert lists(date(2027, 2, 28)) == (1, 0, "due")  # last day
    assert lists(date(2027, 3, 1)) == (0, 1, "suspended")
    assert lists(date(2027, 3, 1), OTHER_STATION) == (0, 1, "suspended")
    assert lists(date(2027, 3, 1), STATION) == (0, 0, "suspended")
    with sf() as s:
        shown = lifecycle.show(s, at(ctx, date(2027, 4, 1)), number)
        assert shown.suspended_from == date(2027, 3, 1) and shown.residence_years == 2
    late = _endorse(sf, ctx, number, date(2027, 4, 1))
    assert late.endorsement.late and late.endorsement.anniversary == date(2027, 3, 1)
    assert late.status.residence_years == 0
    assert lists(date(2027, 4, 2)) == (0, 0, "valid")
    with sf() as s:
        shown = lifecycle.show(s, at(ctx, date(2028, 3, 31)), number)
        assert (shown.status, shown.due_on, shown.residence_years) == ("due", date(2028, 4, 1), 0)
        assert lifecycle.show(s, at(ctx, date(2028, 4, 1)), number).status == "suspended"
        assert [e.late for e in shown.endorsements] == [False, False, True]


def test_leap_day_permit(sf, ctx):
    _, number = _holder(sf, ctx, issued=date(2024, 2, 29), since=date(2023, 6, 1))
    with sf() as s:
        shown = lifecycle.show(s, at(ctx, date(2024, 3, 1)), number)
        assert shown.due_on == date(2025, 2, 28)
        assert shown.window == (date(2025, 1, 28), date(2025, 2, 27))
    with pytest.raises(Refused):
        _endorse(sf, ctx, number, date(2025, 1, 27))
    assert _endorse(sf, ctx, number, date(2025, 2, 27)).permit.due_on == date(2026, 2, 28)
    assert _endorse(sf, ctx, number, date(2026, 2, 27)).permit.due_on == date(2027, 2, 28)
    got = _endorse(sf, ctx, number, date(2027, 2, 1))
    assert got.permit.due_on == date(2028, 2, 29)  # back on the 29th in a leap year
    with sf() as s:
        assert lifecycle.show(s, at(ctx, date(2028, 2, 28)), number).status == "due"
        assert lifecycle.show(s, at(ctx, date(2028, 2, 29)), number).status == "suspended"
        assert lifecycle.show(s, at(ctx, date(2028, 2, 28)), number).residence_years == 3


def test_leap_day_permit_late_on_the_28th(sf, ctx):
    _, number = _holder(sf, ctx, issued=date(2024, 2, 29), since=date(2023, 6, 1))
    got = _endorse(sf, ctx, number, date(2025, 2, 28))
    assert got.endorsement.late and got.permit.due_on == date(2026, 2, 28)


def test_endorsement_needs_a_residence_in_the_city(sf, ctx, engine):
    town, number = _holder(sf, ctx)
    with sf.begin() as s:
        residences.move_out(s, at(ctx, date(2026, 1, 5)), town.filed, number, on=date(2026, 1, 5))
    before = table_counts(engine)
    with pytest.raises(Refused, match="no registered residence"):
        _endorse(sf, ctx, number, date(2026, 2, 20))
    assert table_counts(engine) == before


def test_show_without_permit_and_endorsements_append_only(sf, ctx, engine):
    town, number = _holder(sf, ctx)
    nobody = _lives(sf, ctx, town.filed, date(2026, 1, 1), rid("077"))
    with pytest.raises(NotFound, match="holds no residence permit"), sf() as s:
        lifecycle.show(s, ctx, nobody)
    _endorse(sf, ctx, number, date(2026, 3, 1))
    with pytest.raises(sa.exc.DatabaseError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE permit_endorsements SET late = true"))
    with sf() as s:
        assert s.scalars(select(Permit)).one().cycle == 1
