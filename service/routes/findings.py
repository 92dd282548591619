"""``GET /findings``: the open findings of the three matchings in the caller's scope
(``registry.matching.checks.open_findings``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from registry.context import Context
from registry.matching import checks
from service.schemas import FindingOut, Findings, Text
from service.unit import Caller, run

router = APIRouter(tags=["比对问题"])


@router.get("/findings", response_model=Findings)
def findings(
    request: Request,
    ctx: Caller,
    jurisdiction: Annotated[Text | None, Query(max_length=32, description="辖区代码")] = None,
    code: Annotated[Text | None, Query(max_length=32, description="问题代码")] = None,
) -> Findings:
    """未处理的比对问题（人证、人房、人岗），可按辖区和问题代码筛选。"""

    def work(session: Session, _c: Context) -> Findings:
        found = checks.open_findings(session, jurisdiction, code)
        return Findings(count=len(found), findings=[FindingOut.of(f) for f in found])

    return run(request, ctx, work)
