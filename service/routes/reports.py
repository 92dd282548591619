"""``GET /reports/monthly``: the monthly residence-registration PDF (``reports.content`` then
``reports.pdf``), the same document as ``laiqu report monthly``."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from registry.errors import InvalidInput
from service.schemas import Text
from service.unit import Caller, run

router = APIRouter(tags=["报表"])


@router.get(
    "/reports/monthly",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "月报 PDF"}},
)
def monthly(
    request: Request,
    ctx: Caller,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="统计月份 YYYY-MM")],
    jurisdiction: Annotated[Text, Query(min_length=1, max_length=32, description="辖区代码")],
) -> Response:
    """生成辖区某月的流动人口居住登记月报（PDF，不含任何身份号码）。"""
    from reports.content import build_monthly
    from reports.pdf import render

    try:
        content = run(request, ctx, lambda s, c: build_monthly(s, jurisdiction, month, ctx=c))
    except ValueError as exc:  # parse_month's own errors
        raise InvalidInput(str(exc)) from exc
    out = io.BytesIO()
    render(content, out)
    name = f"monthly-{content.jurisdiction}-{month}.pdf"
    return Response(
        out.getvalue(),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
