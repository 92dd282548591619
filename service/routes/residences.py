"""``POST /moveins`` and ``POST /moveouts``: tenants registered into and out of rental houses
(``registry.movements.residences``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from registry.context import Context
from registry.identity.ids import mask
from registry.movements import residences
from service.schemas import (
    FindingOut,
    HouseRef,
    MoveInIn,
    MoveInOut,
    MoveOutIn,
    MoveOutOut,
    PersonOut,
)
from service.unit import Caller, run

router = APIRouter(tags=["出租房屋居住"])


@router.post("/moveins", response_model=MoveInOut, status_code=201)
def move_in(request: Request, ctx: Caller, body: MoveInIn) -> MoveInOut:
    """迁入登记（居住登记）；迟报、群租等比对问题随结果返回。"""

    def work(session: Session, c: Context) -> MoveInOut:
        done = residences.move_in(
            session,
            c,
            body.house,
            body.guest.identity(),
            on=body.on,
            relation=body.relation,
            reporter=body.reporter,
            planned_end=body.planned_end,
        )
        r = done.residence
        return MoveInOut(
            house=HouseRef(id=done.house.id, address=done.house.address),
            residence_id=r.id,
            person=PersonOut.of(done.guest.person),
            on=r.valid_from,
            relation=r.relation,
            reporter=r.reporter,
            capture=done.guest.capture,
            report_deadline=r.report_deadline,
            findings=[FindingOut.of(f) for f in done.findings],
        )

    return run(request, ctx, work)


@router.post("/moveouts", response_model=MoveOutOut)
def move_out(request: Request, ctx: Caller, body: MoveOutIn) -> MoveOutOut:
    """迁出核销（走有核销）。"""

    def work(session: Session, c: Context) -> MoveOutOut:
        done = residences.move_out(
            session, c, body.house, body.id_number, on=body.on, reason=body.reason
        )
        r = done.residence
        return MoveOutOut(
            house=HouseRef(id=done.house.id, address=done.house.address),
            residence_id=r.id,
            id_number=mask(body.id_number.strip().upper()),
            start=r.valid_from,
            end=r.valid_to,
            reason=r.end_reason,
            findings=[FindingOut.of(f) for f in done.findings],
        )

    return run(request, ctx, work)
