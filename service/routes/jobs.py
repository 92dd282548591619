"""``POST /jobs``: a job started or ended at an employer (``registry.movements.employment``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from registry.context import Context
from registry.movements import employment
from service.schemas import FindingOut, JobIn, JobOut, PersonOut, PlaceRef
from service.unit import Caller, run

router = APIRouter(tags=["单位从业"])


@router.post("/jobs", response_model=JobOut)
def job(request: Request, ctx: Caller, body: JobIn) -> JobOut:
    """从业登记：action 为 start（入职）或 end（离职）。"""

    def work(session: Session, c: Context) -> JobOut:
        if body.action == "start":
            done = employment.start_job(
                session,
                c,
                body.employer,
                body.id_number,
                name=body.name,
                on=body.on,
                post=body.post,
                jurisdiction=body.jurisdiction,
            )
        else:
            done = employment.end_job(
                session, c, body.employer, body.id_number, on=body.on, reason=body.reason
            )
        e = done.employment
        return JobOut(
            employer=PlaceRef(id=done.employer.id, name=done.employer.name),
            registered=done.employer.registered,
            employment_id=e.id,
            person=PersonOut.of(done.person),
            start=e.valid_from,
            end=e.valid_to,
            post=e.post,
            findings=[FindingOut.of(f) for f in done.findings],
        )

    return run(request, ctx, work)
