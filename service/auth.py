"""Who is asking: HTTP Basic (login and password) or ``Authorization: Bearer <token>``.

Every request reads its user fresh (``registry.accounts.credentials``), so ``laiqu user
disable`` or ``laiqu user revoke-token`` takes effect on the next request. The answer is the
``Context`` a use case acts under: the registry user's principal (``registry.privacy.access``,
the same roles and scopes as on the command line), the device or client address as terminal.
A failed sign-in is audited (``auth.failed``) and answered 401.
"""

from __future__ import annotations

import base64
import binascii
import os
from datetime import datetime

from fastapi import Request
from fastapi.security import HTTPBasic, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from registry.accounts import credentials
from registry.context import Context, Principal
from service.errors import Unauthorized

# Declared for the OpenAPI document only (clients see both schemes); parsing is ours.
basic_scheme = HTTPBasic(auto_error=False, description="登录名和服务密码（laiqu user password）")
bearer_scheme = HTTPBearer(auto_error=False, description="设备令牌（laiqu user token）")


def clock() -> datetime | None:
    """``LAIQU_NOW`` (ISO 8601 with zone) fixes the service's clock, as on the command line."""
    now = os.environ.get("LAIQU_NOW")
    if not now:
        return None
    fixed = datetime.fromisoformat(now)
    if fixed.tzinfo is None:
        raise ValueError("LAIQU_NOW needs a zone, e.g. 2026-06-15T10:00:00+08:00")
    return fixed


def _basic(value: str) -> tuple[str, str] | None:
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    login, sep, password = text.partition(":")
    if not sep or not login or len(login) > 64 or any(ord(c) < 32 for c in text):
        return None  # no registry login holds a control character (nor may a NUL reach SQL)
    return login, password


def _check(session: Session, header: str) -> tuple[Principal, str | None, str, str | None]:
    """(principal or raise, device, scheme, login) for an Authorization header."""
    scheme, _, value = header.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "basic" and (pair := _basic(value)):
        found = credentials.by_password(session, *pair)
        if found:
            return found, None, scheme, pair[0]
        return _fail(session, scheme, pair[0])
    if scheme == "bearer" and value:
        hit = credentials.by_token(session, value)
        if hit:
            return hit[0], hit[1], scheme, hit[0].login
        return _fail(session, scheme, None)
    return _fail(session, scheme or "none", None)


def _fail(session: Session, scheme: str, login: str | None) -> tuple[Principal, None, str, None]:
    ctx = Context(actor=(login or "anonymous")[:64], terminal="http", now_fixed=clock())
    credentials.note_failure(session, ctx, scheme[:16], login)
    raise Unauthorized()


def authenticate(request: Request) -> Context:
    """The acting context of this request (a FastAPI dependency); raises ``Unauthorized``."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized()
    client = request.client.host if request.client else "unknown"
    with sessions.begin() as session:
        principal, device, _scheme, _login = _check(session, header)
    terminal = f"api:{device}" if device else f"api:{client}"
    ctx = Context(actor=principal.login, terminal=terminal[:64], now_fixed=clock())
    return ctx.acting_as(principal)
