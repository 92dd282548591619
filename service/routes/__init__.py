"""API v1 routers, one module per area; each handler parses, runs one use case in one
transaction (``service.unit.run``) and answers a pydantic model (``service.schemas``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.errors import Problem
from service.routes import findings, jobs, persons, reports, residences, stays, sync

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text}
    for status, text in {
        400: "输入有误（证件号码、日期等）",
        401: "未登录或凭据无效",
        403: "超出权限",
        404: "找不到",
        409: "登记被拒绝（与登记状态冲突）",
        413: "请求体太大",
        415: "请求体不是 JSON",
        422: "请求格式不符",
        429: "登录失败次数过多，稍后重试",
        503: "数据库暂时不可用，稍后重试",
    }.items()
}


def api() -> APIRouter:
    """Every v1 router under one (unprefixed) router."""
    root = APIRouter(responses=ERRORS)
    for module in (sync, stays, residences, jobs, persons, findings, reports):
        root.include_router(module.router)
    return root
