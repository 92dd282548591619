"""The use cases outside the resolvers: rules, purge, permits, findings, exports and reports."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from registry.db.access_models import AuditEntry
from registry.db.models import Person
from registry.exchange import csvexport, csvimport
from registry.exchange.csvfiles import Row
from registry.matching import checks, rules
from registry.movements import stays
from registry.privacy import access, audit, auditing
from registry.privacy.access import OutOfScope
from registry.retention import plan, purge
from reports.content import build_monthly
from tests.access.test_scope import as_user, refusals
from tests.registry.city import CITY, GRID, OTHER_STATION, STATION, build, rid, typed


def test_rules_and_purge_are_for_admins_only(sf, ctx):
    build(sf, ctx)
    coordinator = as_user(sf, ctx, "coord", "coordinator", jurisdiction=STATION)
    with pytest.raises(OutOfScope), sf.begin() as s:
        rules.set_rule(s, coordinator, STATION, "movein_days", 20,
                       effective_from=date(2026, 7, 1))
    with pytest.raises(OutOfScope), sf.begin() as s:
        plan.plan(s, coordinator)
    with pytest.raises(OutOfScope), sf.begin() as s:
        purge.purge(s, coordinator)
    admin = as_user(sf, ctx, "boss", "admin")
    with sf.begin() as s:
        plan.plan(s, admin)
    assert refusals(sf) == ["refused.role"] * 3


def test_findings_are_listed_within_the_scope_only(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(rid(seq="001"), "张三")])
        stays.check_in(s, ctx, city.hotel2, "1", [typed(rid(seq="002"), "李四")])
    here = as_user(sf, ctx, "coord", "coordinator", jurisdiction=STATION)
    there = as_user(sf, ctx, "coord2", "coordinator", jurisdiction=OTHER_STATION)
    with sf.begin() as s:
        everything = {f.jurisdiction_code for f in checks.open_findings(s)}
    assert len(everything) == 2
    seen = []
    for who in (here, there):
        with sf.begin() as s:
            access.bind(s, who)
            seen.append({f.jurisdiction_code for f in checks.open_findings(s)})
    assert seen == [{GRID}, {OTHER_STATION}]
    desk = as_user(sf, ctx, "desk1", "desk", venue=city.hotel)
    with pytest.raises(OutOfScope), sf.begin() as s:
        access.bind(s, desk)
        checks.open_findings(s)


def test_an_export_holds_only_the_scope_and_is_audited_with_its_persons(sf, ctx):
    city = build(sf, ctx)
    a, b = rid(seq="001"), rid(seq="002")
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(a, "张三")])
        stays.check_in(s, ctx, city.hotel2, "1", [typed(b, "李四")])
    coordinator = as_user(sf, ctx, "coord", "coordinator", jurisdiction=STATION)
    touched: list = []
    with sf.begin() as s:
        access.bind(s, coordinator)
        _, rows = csvexport.export_rows(s, "persons", touched=touched)
        names = [row[2] for row in rows]
        audit.note(s, coordinator, "export", "export.persons", persons=touched)
    assert names == ["张三"]
    with sf() as s:
        _, viewed = auditing.who_viewed_number(s, ctx, a)
        assert [v.action for v in viewed if v.kind == "export"] == ["export.persons"]
        _, other = auditing.who_viewed_number(s, ctx, b)
        assert not [v for v in other if v.kind == "export"]


def test_a_report_is_audited_and_scoped(sf, ctx):
    build(sf, ctx)
    analyst = as_user(sf, ctx, "ana", "analyst", jurisdiction=STATION)
    with sf.begin() as s:
        build_monthly(s, STATION, "2026-05", ctx=analyst)
    with pytest.raises(OutOfScope), sf.begin() as s:
        build_monthly(s, CITY, "2026-05", ctx=analyst)
    with sf() as s:
        kinds = list(s.scalars(select(AuditEntry.action).where(AuditEntry.actor == analyst.actor)))
    assert "report.monthly" in kinds and "refused.jurisdiction" in kinds


def test_an_analyst_imports_nothing_and_the_refusal_is_audited(sf, ctx):
    build(sf, ctx)
    analyst = as_user(sf, ctx, "ana", "analyst")
    with sf() as s:
        before = s.scalar(select(func.count()).select_from(Person))
    row = Row(2, {"id_number": rid(seq="501"), "name": "测试"}, [], 0)
    with pytest.raises(OutOfScope), sf.begin() as s:
        csvimport.import_file(s, analyst, "persons", [row], file_name="p.csv")
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == before
    assert refusals(sf) == ["refused.role"]
