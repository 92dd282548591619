"""``POST /checkins`` and ``POST /checkouts``: hotel guests registered and cancelled
(``registry.movements.stays``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from registry.context import Context
from registry.errors import InvalidInput
from registry.movements import stays
from service.logs import scrub
from service.schemas import (
    CheckInIn,
    CheckInOut,
    CheckOutIn,
    CheckOutOut,
    FindingOut,
    GuestOut,
    PersonOut,
    PlaceRef,
    StayOut,
)
from service.unit import Caller, run

router = APIRouter(tags=["旅馆住宿"])


@router.post("/checkins", response_model=CheckInOut, status_code=201)
def check_in(request: Request, ctx: Caller, body: CheckInIn) -> CheckInOut:
    """旅客入住登记（同住一间的多位旅客一次登记）；返回本次发现的比对问题。"""

    def work(session: Session, c: Context) -> CheckInOut:
        done = stays.check_in(
            session,
            c,
            body.venue,
            body.room,
            [g.identity() for g in body.guests],
            expected_checkout=body.expected_checkout,
        )
        return CheckInOut(
            venue=PlaceRef(id=done.venue.id, name=done.venue.name),
            room=done.room,
            guests=[
                GuestOut(
                    person=PersonOut.of(reg.person),
                    stay_id=stay.id,
                    capture=reg.capture,
                    created=reg.created,
                    warnings=[scrub(w) for w in reg.warnings],
                )
                for reg, stay in zip(done.guests, done.stays, strict=True)
            ],
            findings=[FindingOut.of(f) for f in done.findings],
        )

    return run(request, ctx, work)


@router.post("/checkouts", response_model=CheckOutOut)
def check_out(request: Request, ctx: Caller, body: CheckOutIn) -> CheckOutOut:
    """退房核销：给出房间（整间旅客）或一位旅客的证件号码。"""
    if (body.room is None) == (body.id_number is None):
        raise InvalidInput("check out either a room or one guest's ID number")

    def work(session: Session, c: Context) -> CheckOutOut:
        done = stays.check_out(session, c, body.venue, room=body.room, number=body.id_number)
        return CheckOutOut(
            venue=PlaceRef(id=done.venue.id, name=done.venue.name),
            stays=[
                StayOut(
                    stay_id=s.id,
                    person=PersonOut.of(p) if (p := done.guests.get(s.person_id)) else None,
                    room=s.room,
                    checked_in_at=s.checked_in_at,
                    checked_out_at=s.checked_out_at,
                )
                for s in done.stays
            ],
            findings=[FindingOut.of(f) for f in done.findings],
        )

    return run(request, ctx, work)
