"""``GET /persons?number=`` (one person, masked) and ``GET /search?q=`` (the lookup layer),
both scoped to the caller and audited by the core (``registry.lookup``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from registry.context import Context
from registry.lookup import persons, records
from service.schemas import PersonOut, SearchHit, SearchOut, Text
from service.unit import Caller, run

router = APIRouter(tags=["查询"])


@router.get("/persons", response_model=PersonOut)
def person(
    request: Request,
    ctx: Caller,
    number: Annotated[Text, Query(min_length=1, max_length=40, description="证件号码")],
) -> PersonOut:
    """按证件号码查一个人（证件号码、电话脱敏；查询记入审计日志）。"""
    return run(request, ctx, lambda s, c: PersonOut.of(records.read_person(s, c, number)))


@router.get("/search", response_model=SearchOut)
def search(
    request: Request,
    ctx: Caller,
    q: Annotated[Text, Query(min_length=1, max_length=100, description="号码片段、姓名、拼音")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchOut:
    """查找人员：证件号码（全部或部分）、姓名、拼音、首字母、电话。只返回权限范围内的人员。"""

    def work(session: Session, c: Context) -> SearchOut:
        hits = persons.search_persons(session, c, q, limit)
        found = [SearchHit(**PersonOut.of(p).model_dump(), match=how) for p, how in hits]
        return SearchOut(query=persons.shown_query(q), count=len(found), persons=found)

    return run(request, ctx, work)
