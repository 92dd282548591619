"""``POST /sync/batches``: a desk uploads a batch of its outbox (``registry.sync.push``'s
payload); the station applies it once (ledger) and answers each item's outcome.

Each rejected item's reason is worded in Chinese (``registry.messages.phrase``). Two uploads
of the same items at once (a desk retrying while its first upload is still being applied)
meet on the ledger's key: the later one is answered 409 with ``Retry-After`` and applied
nothing; its resend finds the items in the ledger and is answered as duplicates.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import IntegrityError

from registry.messages import phrase
from registry.sync import receiving
from service.errors import RETRY_AFTER_SECONDS, problem
from service.logs import scrub
from service.schemas import Batch, BatchResult, ItemResult
from service.unit import Caller, run

router = APIRouter(tags=["上报"])
log = logging.getLogger("laiqu.service")

IN_PROGRESS = "同一批数据正在上报，请稍后重试。未做任何更改（前台会自动重试）。"
UNWORDED = "该条目未能登记：内容不完整或格式不正确。请联系派出所管理员。"


def reason(text: str | None) -> str | None:
    """A rejected item's reason in Chinese; an English one nothing words is logged (scrubbed)
    and answered with a general sentence."""
    if not text:
        return None
    worded = phrase(text)
    if worded == text:
        log.warning("upload item rejected: %s", scrub(text))
        return UNWORDED
    return scrub(worded)


@router.post(
    "/sync/batches",
    response_model=BatchResult,
    responses={409: {"description": "登记被拒绝，或同一批数据正在上报（稍后重试）"}},
)
def upload(request: Request, ctx: Caller, batch: Batch) -> Any:
    """前台上报一批离线登记（与 laiqu sync push 相同的格式）；重复上报不会重复登记。"""
    items = batch.model_dump(mode="json", include={"items"})["items"]  # one pass, in pydantic-core
    now: datetime = ctx.now()
    try:
        results = run(request, ctx, lambda s, c: receiving.receive(s, c, batch.venue, items, now))
    except IntegrityError:  # another upload of the same items committed first
        log.warning("concurrent upload of the same items; answered 409")
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return problem(409, "upload_in_progress", IN_PROGRESS, headers=headers)
    answer = BatchResult(
        results=[ItemResult(**{**r, "reason": reason(r.get("reason"))}) for r in results]
    )
    # serialised once here (pydantic-core), not validated again by the response model
    return Response(answer.model_dump_json(), media_type="application/json")
