"""API v1 routers, one module per area; each handler parses, runs one use case in one
transaction (``service.unit.run``) and answers a pydantic model (``service.schemas``)."""

from __future__ import annotations

from fastapi import APIRouter

from service.routes import findings, jobs, persons, reports, residences, stays, sync

ERRORS = {
    401: {"description": "未登录或凭据无效"},
    403: {"description": "超出权限"},
    413: {"description": "请求体太大"},
    422: {"description": "请求格式不符"},
}


def api() -> APIRouter:
    """Every v1 router under one (unprefixed) router."""
    root = APIRouter(responses=ERRORS)  # type: ignore[arg-type]
    for module in (sync, stays, residences, jobs, persons, findings, reports):
        root.include_router(module.router)
    return root
