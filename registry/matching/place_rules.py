"""House- and employer-level rules, as SQL aggregates over the links of a chunk of places."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from registry.db.models import Employer, Employment, House, Residence
from registry.matching.codes import Candidate


def ph_over_capacity(session: Session, ids: Sequence[uuid.UUID]) -> Iterator[Candidate]:
    """Active residents of a house exceed its declared capacity (群租)."""
    rows = session.execute(
        select(House.id, House.jurisdiction_code, House.capacity, func.count(Residence.id))
        .join(Residence, Residence.house_id == House.id)
        .where(House.id.in_(ids), House.capacity.is_not(None), Residence.valid_to.is_(None))
        .group_by(House.id, House.jurisdiction_code, House.capacity)
    )
    for hid, code, capacity, n in rows:
        if n > capacity:
            yield Candidate(
                "PH-OVER-CAPACITY", "house", hid, None, code, f"登记居住 {n} 人，核定 {capacity} 人"
            )


def ph_unfiled(session: Session, ids: Sequence[uuid.UUID]) -> Iterator[Candidate]:
    """A rental house with tenants but no filing number, registered landlord or pledge."""
    tenants = exists().where(
        Residence.house_id == House.id,
        Residence.valid_to.is_(None),
        Residence.relation.in_(("tenant", "co-tenant")),
    )
    rows = session.execute(
        select(
            House.id,
            House.jurisdiction_code,
            House.filing_number,
            House.landlord_id,
            House.pledge_signed,
        ).where(
            House.id.in_(ids),
            House.use == "rental",
            tenants,
            or_(
                House.filing_number.is_(None),
                House.landlord_id.is_(None),
                House.pledge_signed.is_(False),
            ),
        )
    )
    for hid, code, filing, landlord, pledge in rows:
        missing = [
            name
            for name, ok in (("备案号", filing), ("房东", landlord), ("治安责任保证书", pledge))
            if not ok
        ]
        yield Candidate("PH-UNFILED", "house", hid, None, code, "缺少：" + "、".join(missing))


def pj_unknown_employer(session: Session, ids: Sequence[uuid.UUID]) -> Iterator[Candidate]:
    """People work at an employer that only employment reports know of."""
    rows = session.execute(
        select(Employer.id, Employer.jurisdiction_code, func.count(Employment.id))
        .join(Employment, Employment.employer_id == Employer.id)
        .where(Employer.id.in_(ids), Employer.registered.is_(False), Employment.valid_to.is_(None))
        .group_by(Employer.id, Employer.jurisdiction_code)
    )
    for eid, code, n in rows:
        yield Candidate(
            "PJ-UNKNOWN-EMPLOYER", "employer", eid, None, code, f"{n} 名从业人员的单位未登记"
        )


def pj_headcount(session: Session, ids: Sequence[uuid.UUID]) -> Iterator[Candidate]:
    """A registered employer's declared headcount differs from its active employees."""
    active = (
        select(func.count(Employment.id))
        .where(Employment.employer_id == Employer.id, Employment.valid_to.is_(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(Employer.id, Employer.jurisdiction_code, Employer.headcount, active).where(
            Employer.id.in_(ids),
            Employer.registered.is_(True),
            Employer.headcount.is_not(None),
            Employer.headcount != active,
        )
    )
    for eid, code, declared, n in rows:
        yield Candidate(
            "PJ-HEADCOUNT", "employer", eid, None, code, f"申报 {declared} 人，登记在岗 {n} 人"
        )


PlaceRule = Callable[[Session, Sequence[uuid.UUID]], Iterator[Candidate]]

HOUSE_RULES: dict[str, PlaceRule] = {
    "PH-OVER-CAPACITY": ph_over_capacity,
    "PH-UNFILED": ph_unfiled,
}
EMPLOYER_RULES: dict[str, PlaceRule] = {
    "PJ-UNKNOWN-EMPLOYER": pj_unknown_employer,
    "PJ-HEADCOUNT": pj_headcount,
}
