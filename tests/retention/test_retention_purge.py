"""Retention periods and the purge on both engines: what goes, what stays, reports unchanged."""

from __future__ import annotations

import json
from datetime import date

import pytest
from dbtools import table_counts
from retention_town import CITY, G1, GUESTS, P1, P2, P3, P6, P8, S2, build_closed, later
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from registry.context import Context
from registry.db.models import Document, Employment, Event, Finding, Person, Residence, Stay
from registry.errors import InvalidInput, NotFound, Refused
from registry.lookup import search
from registry.matching import checks, rules
from registry.retention import holds, periods, purge
from registry.retention import plan as planning
from reports.content import build_monthly

MONTHS = ("2026-04", "2026-05", "2026-06")


def reports(sf: sessionmaker[Session], ctx: Context) -> dict[tuple[str, str], object]:
    """The monthly reports of the town's months for the city and a station."""
    with sf() as s:
        return {
            (code, month): build_monthly(s, code, month, ctx=ctx)
            for code in (CITY, S2)
            for month in MONTHS
        }


def person(s: Session, number: str) -> Person | None:
    return s.scalar(select(Person).where(Person.number == number))


def test_purge_keeps_past_reports_and_forgets_identities(sf, ctx, engine):
    build_closed(sf, ctx)
    when = later(ctx, 2036)
    before = reports(sf, when)
    events_before = table_counts(engine)["events"]
    with sf.begin() as s:
        done = purge.purge(s, when)
    assert done.executed
    # Every stay (4) and every closed residence but P6's first (it overlaps the open one).
    assert done.total("stays") == 4
    assert done.counts["stays"] == {G1: 4}
    assert done.total("residences") == 7
    assert done.waiting == 1
    assert done.total("employments") == 1
    after = reports(sf, when)
    assert after == before
    with sf() as s:
        # P1 (new home) and P6 (open residence) keep their identity; the others are gone.
        assert person(s, P1.number) is not None and person(s, P6.number) is not None
        for gone in (P2, P3, P8, *GUESTS):
            assert person(s, gone.number) is None
            assert search.by_id_number(s, gone.number) is None
            assert not search.search(s, gone.name)
        anonymous = s.scalars(select(Person).where(Person.doc_type == periods.ANONYMOUS)).all()
        assert anonymous and all(
            p.number == "" and p.name == "" and p.phone is None and p.hukou_address is None
            for p in anonymous
        )
        assert all(len(p.hukou_region or "") <= 2 for p in anonymous)
        kept = {p.id for p in s.scalars(select(Person).where(Person.doc_type != "anonymous"))}
        docs = set(s.scalars(select(Document.person_id)))
        assert docs <= kept
        assert s.scalar(select(func.count()).select_from(Employment)) == 0
        # P1's old residence moved to a placeholder, the new one is still P1's.
        p1 = person(s, P1.number)
        assert p1 is not None
        assert s.scalar(select(func.count()).where(Residence.person_id == p1.id)) == 1
        assert all(st.room == "" and st.document_id is None for st in s.scalars(select(Stay)))
        open_of_purged = s.scalar(
            select(func.count()).where(Finding.resolved_at.is_(None), Finding.detail != "")
        )
        assert open_of_purged is not None
        # The journal was not rewritten; the purge is one more event, without samples.
        assert s.scalar(select(func.count()).select_from(Event)) == events_before + 1
        event = s.scalar(select(Event).where(Event.action == "retention.purge"))
        assert event is not None and event.detail["totals"]["stays"] == 4
        assert "samples" not in event.detail
    # The matchings run over the anonymous rows without reopening anything of the past,
    # and a second purge finds nothing.
    with sf.begin() as s:
        checks.check(s, when, CITY)
    assert reports(sf, when) == before
    with sf.begin() as s:
        again = purge.purge(s, when)
    assert sum(again.total(k) for k in periods.KINDS) == 0
    assert again.persons_anonymised == again.persons_deleted == again.placeholders == 0


def test_dry_run_lists_and_changes_nothing(sf, ctx, engine):
    build_closed(sf, ctx)
    counts = table_counts(engine)
    with sf.begin() as s:
        plan = planning.plan(s, later(ctx, 2036), samples=2)
    assert table_counts(engine) == counts
    assert not plan.executed
    assert plan.total("stays") == 4 and plan.total("employments") == 1
    assert plan.placeholders == 1  # P1 keeps a record
    data = plan.data()
    assert data["records"]["residences"]
    text = json.dumps(data, ensure_ascii=False)
    for who in (P1, P2, P3, P6, P8, *GUESTS):
        assert who.number not in text and who.name not in text
    assert len([s for s in data["samples"] if s["kind"] == "stays"]) == 2
    assert all("*" in s["person"] for s in data["samples"])


def test_nothing_is_due_before_its_time(sf, ctx):
    build_closed(sf, ctx)
    with sf.begin() as s:  # 2029-05-31: stays checked out 2026-06-01 are kept 3 full years
        early = planning.plan(s, later(ctx, 2029, 5, 31))
        due = planning.plan(s, later(ctx, 2029, 6, 1))
    assert early.total("stays") == 0 and due.total("stays") == 4
    assert due.total("residences") == 0  # 5 years
    with sf.begin() as s:
        assert planning.plan(s, later(ctx, 2031, 6, 9)).total("residences") == 2  # P8, P3
        assert planning.plan(s, later(ctx, 2031, 6, 10)).total("residences") == 7


def test_periods_per_jurisdiction_from_an_effective_day(sf, ctx):
    build_closed(sf, ctx)
    when = later(ctx, 2027, 1, 10)
    with sf.begin() as s:
        rules.set_rule(s, when, G1, "retention_stay_years", 1, effective_from=date(2027, 6, 2))
        rules.set_rule(s, when, S2, "retention_residence_years", 1)
    with sf.begin() as s:
        assert periods.periods(s, G1, date(2027, 6, 1)).stays == 3
        assert periods.periods(s, G1, date(2027, 6, 2)).stays == 1
        assert planning.plan(s, later(ctx, 2027, 6, 1)).total("stays") == 0
        plan = planning.plan(s, later(ctx, 2027, 6, 2))
        assert plan.total("stays") == 4
        # In S2 (H3) residences ended 2026-06-10 are due after one year, elsewhere not.
        assert plan.total("residences") == 0
        june = planning.plan(s, later(ctx, 2027, 6, 10))
        assert set(june.counts["residences"]) == {S2}


def test_audit_period_has_a_minimum(sf, ctx):
    build_closed(sf, ctx)
    with sf.begin() as s:
        with pytest.raises(InvalidInput):
            rules.set_rule(s, ctx, CITY, "retention_audit_years", 2)
        rules.set_rule(s, ctx, CITY, "retention_audit_years", 3)
        assert periods.periods(s, G1, ctx.today()).audit == 3
        assert periods.AUDIT_MINIMUM_YEARS == 3
        with pytest.raises(InvalidInput):
            rules.set_rule(s, ctx, CITY, "retention_stay_years", 0)


def test_legal_hold_keeps_a_person(sf, ctx):
    build_closed(sf, ctx)
    when = later(ctx, 2036)
    with sf.begin() as s:
        p2 = person(s, P2.number)
        assert p2 is not None
        holds.hold(s, when, p2.id, "案件调查")
        with pytest.raises(InvalidInput):
            holds.hold(s, when, p2.id, " ")
    with sf.begin() as s:
        done = purge.purge(s, when)
        assert done.held == 2  # P2's residence and job
        assert person(s, P2.number) is not None
    with sf.begin() as s:
        holds.release(s, when, p2.id)
        with pytest.raises(Refused):
            holds.release(s, when, p2.id)
    with sf.begin() as s:
        assert purge.purge(s, when).total("employments") == 1
        assert person(s, P2.number) is None


def test_purge_is_one_transaction(sf, ctx, engine):
    build_closed(sf, ctx)
    counts = table_counts(engine)
    with pytest.raises(RuntimeError), sf.begin() as s:
        purge.purge(s, later(ctx, 2036))
        raise RuntimeError("the caller fails after the purge")
    assert table_counts(engine) == counts


def test_unknown_jurisdiction_and_subtree(sf, ctx):
    build_closed(sf, ctx)
    with sf.begin() as s, pytest.raises(NotFound):
        planning.plan(s, later(ctx, 2036), jurisdiction="999")
    with sf.begin() as s:
        plan = purge.purge(s, later(ctx, 2036), jurisdiction=S2)
        assert plan.total("stays") == 0 and set(plan.counts["residences"]) == {S2}


def test_purge_reports_its_steps(sf, ctx):
    """``progress(step, STEPS)`` from the first step to the last, in order (the CLI's bar)."""
    build_closed(sf, ctx)
    steps: list[tuple[int, int]] = []
    with sf.begin() as s:
        done = purge.purge(s, later(ctx, 2036), progress=lambda d, t: steps.append((d, t)))
    assert done.executed
    assert steps == [(i, purge.STEPS) for i in range(purge.STEPS + 1)]
