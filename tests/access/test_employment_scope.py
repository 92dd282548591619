"""Who may register employments (人岗, issue 16): the employer's own desk (a venue of kind
``employer`` standing for it: same name, same jurisdiction), a job intermediary in its
venue's jurisdiction, a coordinator in its subtree; never a hotel desk. Synthetic data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.db.access_models import AuditEntry
from registry.db.models import Employer
from registry.lookup import places as place_views
from registry.messages import phrase
from registry.movements import employment
from registry.places import employers, venues
from registry.privacy import access
from registry.privacy.access import OutOfScope
from tests.access.test_scope import as_user, refusals
from tests.registry.city import GRID, OTHER_STATION, STATION, build, rid


def _uscc(body: str) -> str:
    from stdnum.cn import uscc

    return body + uscc.calc_check_digit(body)


def _other_employers(sf, ctx) -> tuple[str, str]:
    """A second employer of the same station, and one of the other station."""
    with sf.begin() as s:
        near = employers.add_employer(s, ctx, "百花制衣厂", _uscc("91440300MA5F00002"), STATION)
        far = employers.add_employer(
            s, ctx, "华富五金厂", _uscc("91440300MA5F00003"), OTHER_STATION
        )
        return str(near.record.id), str(far.record.id)


def test_employer_desk_registers_jobs_of_its_own_employer_only(sf, ctx):
    city = build(sf, ctx)
    near, far = _other_employers(sf, ctx)
    with sf.begin() as s:
        # the factory's gate desk: registered under the employer's name where it is
        site = venues.add_venue(s, ctx, "百花电子厂", "employer", STATION)
    desk = as_user(sf, ctx, "gate1", "desk", venue=str(site.id))
    worker = rid(seq="031")
    with sf.begin() as s:
        done = employment.start_job(s, desk, "百花电子厂", worker, name="钱九", post="装配工")
        assert done.employer.id.hex == city.employer.replace("-", "")
    later = desk.at(desk.now() + timedelta(days=1))
    with sf.begin() as s:
        # the worker is no guest of the desk: naming its employer is what lets it end the job
        ended = employment.end_job(s, later, city.employer, worker, reason="合同到期")
        assert ended.employment.valid_to is not None
    with sf.begin() as s:
        access.bind(s, desk)
        listed = [row.employer.name for row in place_views.list_employers(s, desk)]
    assert listed == ["百花电子厂"]  # the desk sees its own employer, no other
    for other in (near, far, "百花制衣厂"):
        with pytest.raises(OutOfScope), sf.begin() as s:
            employment.start_job(s, desk, other, rid(seq="032"), name="孙十")
    # nor may it record an employer of another name only known from this report
    with pytest.raises(OutOfScope), sf.begin() as s:
        employment.start_job(
            s, desk, "某某劳务公司", rid(seq="033"), name="李一", jurisdiction=STATION
        )
    with sf() as s:
        assert s.scalar(select(Employer.id).where(Employer.name == "某某劳务公司")) is None
    assert refusals(sf) == ["refused.employer"] * 4


def test_a_venue_of_another_name_or_place_stands_for_no_employer(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        branch = venues.add_venue(s, ctx, "百花电子厂二车间", "employer", STATION)
        elsewhere = venues.add_venue(s, ctx, "百花电子厂", "employer", OTHER_STATION)
    for login, site in (("gate2", branch), ("gate3", elsewhere)):
        desk = as_user(sf, ctx, login, "desk", venue=str(site.id))
        with pytest.raises(OutOfScope), sf.begin() as s:
            employment.start_job(s, desk, city.employer, rid(seq="034"), name="周二")
    assert refusals(sf) == ["refused.employer"] * 2
    with sf.begin() as s:  # the name written with a full-width space: compared folded
        gate = venues.add_venue(s, ctx, "百花　电子厂", "employer", STATION)
    desk = as_user(sf, ctx, "gate9", "desk", venue=str(gate.id))
    with sf.begin() as s:
        employment.start_job(s, desk, city.employer, rid(seq="039"), name="蒋二")


def test_hotel_desk_registers_no_employment_with_a_chinese_reason(sf, ctx):
    city = build(sf, ctx)
    desk = as_user(sf, ctx, "clerk", "desk", venue=city.hotel)
    with pytest.raises(OutOfScope) as refused, sf.begin() as s:
        employment.start_job(s, desk, city.employer, rid(seq="035"), name="吴三")
    text = phrase(str(refused.value))
    assert "clerk" in text and "旅馆" in text and "不能登记就业" in text
    with sf.begin() as s:
        employment.start_job(s, ctx, city.employer, rid(seq="035"), name="吴三")
    with pytest.raises(OutOfScope), sf.begin() as s:
        employment.end_job(s, desk, city.employer, rid(seq="035"))
    assert refusals(sf) == ["refused.kind", "refused.kind"]
    with sf() as s:
        wanted = s.scalars(select(AuditEntry.detail).where(AuditEntry.kind == "refused")).all()
    assert all("employment.write" in str(w) for w in wanted)


def test_intermediary_registers_jobs_in_its_venues_jurisdiction(sf, ctx):
    city = build(sf, ctx)
    near, far = _other_employers(sf, ctx)
    with sf.begin() as s:
        agency = venues.add_venue(s, ctx, "百花职介所", "intermediary", STATION)
    agent = as_user(sf, ctx, "agent", "intermediary", venue=str(agency.id))
    with sf.begin() as s:
        employment.start_job(s, agent, city.employer, rid(seq="041"), name="郑四")
        employment.start_job(s, agent, near, rid(seq="042"), name="王五")
        # an employer only known from its report, in the agency's jurisdiction
        employment.start_job(
            s, agent, "百花搬家公司", rid(seq="043"), name="冯六", jurisdiction=STATION
        )
    with sf.begin() as s:
        employment.end_job(s, agent, near, rid(seq="042"))
    with pytest.raises(OutOfScope), sf.begin() as s:
        employment.start_job(s, agent, far, rid(seq="044"), name="陈七")
    with sf.begin() as s:  # a grid of its station's
        employment.start_job(s, agent, "网格小店", rid(seq="045"), name="褚八", jurisdiction=GRID)
    with sf.begin() as s:
        access.bind(s, agent)
        listed = {row.employer.name for row in place_views.list_employers(s, agent)}
    assert listed == {"百花电子厂", "百花制衣厂", "百花搬家公司", "网格小店"}
    with sf.begin() as s:  # an agency of the grid: not the station's other employers
        small = venues.add_venue(s, ctx, "网格职介点", "intermediary", GRID)
    grid_agent = as_user(sf, ctx, "agent2", "intermediary", venue=str(small.id))
    with pytest.raises(OutOfScope), sf.begin() as s:
        employment.start_job(s, grid_agent, city.employer, rid(seq="046"), name="卫九")
    assert refusals(sf) == ["refused.employer"] * 2
