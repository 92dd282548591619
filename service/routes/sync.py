"""``POST /sync/batches``: a desk uploads a batch of its outbox (``registry.sync.push``'s
payload); the station applies it once (ledger) and answers each item's outcome."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request

from registry.sync import receiving
from service.logs import scrub
from service.schemas import Batch, BatchResult, ItemResult
from service.unit import Caller, run

router = APIRouter(tags=["上报"])


@router.post("/sync/batches", response_model=BatchResult)
def upload(request: Request, ctx: Caller, batch: Batch) -> BatchResult:
    """前台上报一批离线登记（与 laiqu sync push 相同的格式）；重复上报不会重复登记。"""
    items = [item.model_dump(mode="json") for item in batch.items]
    now: datetime = ctx.now()
    results = run(request, ctx, lambda s, c: receiving.receive(s, c, batch.venue, items, now))
    return BatchResult(
        results=[
            ItemResult(**{**r, "reason": scrub(r["reason"]) if r.get("reason") else None})
            for r in results
        ]
    )
