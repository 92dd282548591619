"""Errors as JSON ``{"code", "message", "field"}`` with a Chinese message, never a traceback.

Status by cause: 400 invalid input (bad number, bad date), 401 no or bad credential, 403 out of
the caller's scope, 404 not found, 409 refused by the registry's state or ambiguous, 413 body
too large (``service.limits``), 422 request validation (pydantic, rewritten in Chinese with
the field), 503 database unavailable, busy or its connection lost (with ``Retry-After``), 500
anything unexpected
(a generic message; the detail only in the server's log, scrubbed of ID numbers by
``service.logs``). The core's English messages are worded by ``registry.messages.phrase``;
the transaction was rolled back before any of these is sent.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.errors import Ambiguous, InvalidInput, NotFound, Refused, RegistryError
from registry.messages import phrase
from registry.privacy.access import OutOfScope
from service.logs import scrub

log = logging.getLogger("laiqu.service")


class Problem(BaseModel):
    """What every error answers: a stable code, a Chinese sentence, the field at fault."""

    code: str
    message: str
    field: str | None = None


class Unauthorized(Exception):
    """No credential, or one that does not hold (unknown, wrong, revoked, user disabled)."""


# (error class, status, code, lead of the Chinese message), most specific first.
CORE: list[tuple[type[RegistryError], int, str, str]] = [
    (OutOfScope, 403, "out_of_scope", "超出权限"),
    (InvalidInput, 400, "invalid_input", "输入有误"),
    (NotFound, 404, "not_found", "找不到"),
    (Ambiguous, 409, "ambiguous", "名称不唯一，请改用编号"),
    (Refused, 409, "refused", "登记被拒绝"),
]
HTTP_CODES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    404: ("no_route", "没有这个地址"),
    405: ("method_not_allowed", "此地址不支持这种请求方法"),
    413: ("too_large", "请求体太大"),
    415: ("unsupported_media_type", "请求体必须是 JSON（Content-Type: application/json）"),
}
GENERIC = "服务内部出错，未做任何更改。请稍后重试；如果一再出现，请联系派出所管理员。"
AUTH_FAILED = "身份验证失败：用户名、密码或令牌不正确，或该用户已停用。未做任何更改。"
CHALLENGE = {"WWW-Authenticate": 'Basic realm="laiqu", charset="UTF-8"'}

# pydantic's error types, in Chinese.
REASONS = {
    "missing": "必须填写",
    "string_too_long": "太长",
    "string_too_short": "不能为空",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "greater_than_equal": "太小",
    "less_than_equal": "太大",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "datetime_parsing": "应为 ISO 8601 时间",
    "uuid_parsing": "应为编号（UUID）",
    "uuid_type": "应为编号（UUID）",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不正确",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为列表",
    "too_short": "至少需要一项",
    "too_long": "项数太多",
    "extra_forbidden": "不认识的字段",
    "value_error": "含有不允许的字符（如控制字符）或格式不正确",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
}


def problem(status: int, code: str, message: str, field: str | None = None, **kw: Any) -> Any:
    body = Problem(code=code, message=scrub(message), field=field).model_dump()
    return JSONResponse(body, status_code=status, **kw)


def _core(_request: Request, exc: Exception) -> JSONResponse:
    status, code, lead = next(
        ((s, c, lead) for cls, s, c, lead in CORE if isinstance(exc, cls)),
        (409, "refused", "操作未完成"),
    )
    english = str(exc)
    detail = phrase(english).rstrip("。")
    if detail == english.rstrip("。"):  # no Chinese wording yet: the English only in the log
        log.warning("core message without a Chinese wording: %s", scrub(english))
        return problem(status, code, f"{lead}。未做任何更改。（详情已记入派出所服务日志）")
    return problem(status, code, f"{lead}：{detail}。未做任何更改。")


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    first = errors[0] if errors else {"type": "", "loc": ()}
    kind = str(first.get("type"))
    if kind == "json_invalid":  # loc is ("body", position): not a field
        position = next((p for p in first.get("loc", ()) if isinstance(p, int)), None)
        near = f"（第 {position} 个字符附近）" if position is not None else ""
        message = f"请求体不是有效的 JSON{near}，未做任何更改。"
        return problem(422, "json_invalid", message)
    field = _field(tuple(first.get("loc", ())))
    reason = _reason(kind, first)
    where = f"字段 {field} " if field else "请求体"
    more = f"（另有 {len(errors) - 1} 处错误）" if len(errors) > 1 else ""
    return problem(422, "validation", f"{where}{reason}{more}。未做任何更改。", field)


def _reason(kind: str, error: Any) -> str:
    """The Chinese reason of one pydantic error; a length says which limit (characters of a
    text, items of a list: pydantic says ``too_long`` for both in an optional field)."""
    limit = (error.get("ctx") or {}).get("max_length")
    if kind in ("too_long", "string_too_long") and isinstance(error.get("input"), str):
        return f"太长（最多 {limit} 个字符）" if limit is not None else "太长"
    if kind == "too_long" and limit is not None:
        return f"项数太多（最多 {limit} 项）"
    return REASONS.get(kind, "格式不正确")


def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code, message = HTTP_CODES.get(exc.status_code, ("error", "请求未能完成"))
    return problem(exc.status_code, code, message + "。", headers=exc.headers)


def _unauthorized(_request: Request, _exc: Exception) -> JSONResponse:
    return problem(401, "unauthorized", AUTH_FAILED, headers=CHALLENGE)


BUSY = "派出所数据库暂时不可用或繁忙，未做任何更改。请稍后重试（前台会自动重试）。"
RETRY_AFTER_SECONDS = 5


def _busy(_request: Request, exc: Exception) -> JSONResponse:
    """The database is down, locked or aborted the transaction (deadlock, serialization):
    nothing was written; the caller retries (``Retry-After``)."""
    log.warning("database unavailable: %s", str(getattr(exc, "orig", exc)).splitlines()[:1])
    return problem(503, "unavailable", BUSY, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _database(request: Request, exc: Exception) -> JSONResponse:
    """Another database error. A lost connection (the server restarted or crashed during the
    request: psycopg2 may raise ``DatabaseError`` or ``InterfaceError`` for it, which
    SQLAlchemy marks ``connection_invalidated``) is the database being unavailable: 503 with
    ``Retry-After``, as ``_busy``; the rest is unexpected: logged with its traceback (scrubbed)
    and answered with the generic 500."""
    if isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(exc, InterfaceError)
    ):
        return _busy(request, exc)
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal", GENERIC)


CONFLICT = "与同时进行的另一项登记冲突，未做任何更改。请稍后重试。"


def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    """A uniqueness the database kept against a concurrent request: nothing was written; the
    caller retries (its retry sees the other request's result)."""
    log.warning("integrity conflict: %s", scrub(str(getattr(exc, "orig", exc)).splitlines()[0]))
    return problem(409, "conflict", CONFLICT, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class Throttled(Exception):
    """Too many failed password sign-ins for a login or from an address: wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _throttled(_request: Request, exc: Exception) -> JSONResponse:
    wait = exc.retry_after if isinstance(exc, Throttled) else RETRY_AFTER_SECONDS
    message = f"登录失败次数过多，已暂停用密码登录，请 {wait} 秒后再试。未做任何更改。"
    return problem(429, "too_many_attempts", message, headers={"Retry-After": str(wait)})


def install(app: FastAPI) -> None:
    """Register the handlers on ``app`` and the last-resort guard around it."""
    app.add_exception_handler(RegistryError, _core)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.add_exception_handler(Throttled, _throttled)
    app.add_exception_handler(OperationalError, _busy)
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_exception_handler(DBAPIError, _database)  # after its subclasses' own handlers
    app.add_middleware(Shield)


class Shield:
    """Any exception nothing else answered: logged (scrubbed), a generic 500 to the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                response = problem(500, "internal", GENERIC)
                await response(scope, receive, send)
