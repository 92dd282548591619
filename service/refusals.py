"""Every refused request audited: an ASGI middleware that notes each answer 400, 409, 413,
415 or 422 in the audit log (kind ``refused``, action ``api.refused``; detail: method, path,
status and the answer's code, never the body).

The request's own transaction was rolled back (or never began: a body refused before the
application saw it), so the entry is written after the answer, in a short transaction of its
own, bound to the caller when the request had signed in (``service.auth`` leaves the acting
context in the request's state), else as ``anonymous`` from the client's address. Refusals
the core audits itself (403 out of scope, 401 failed sign-ins, 429 throttling) are not
noted twice. A failure to write the entry is logged (scrubbed); the answer is already sent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.context import Context
from registry.privacy import access, audit
from service.auth import clock
from service.logs import scrub

log = logging.getLogger("laiqu.service")

AUDITED = frozenset({400, 409, 413, 415, 422})
CALLER = "caller"  # the key of the acting context in the request's state
KEEP = 4096  # bytes of a refusal's answer read for its code


def note_refusal(sessions: sessionmaker[Session], ctx: Context, bound: bool, **detail: Any) -> None:
    """The ``api.refused`` entry, in its own transaction (``bound``: ``ctx`` is a signed-in
    caller, whose session it binds)."""
    with sessions.begin() as session:
        if bound:
            access.bind(session, ctx)
        audit.note(session, ctx, "refused", "api.refused", durable=True, **detail)


class AuditRefusals:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        body = bytearray()

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and status in AUDITED and len(body) < KEEP:
                body.extend(message.get("body", b"")[: KEEP - len(body)])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if status in AUDITED:
                await self._note(scope, status, bytes(body))

    async def _note(self, scope: Scope, status: int, body: bytes) -> None:
        try:
            code = json.loads(body).get("code") if body else None
        except (ValueError, AttributeError):
            code = None
        caller: Context | None = (scope.get("state") or {}).get(CALLER)
        client = scope.get("client")
        address = client[0] if client else "unknown"
        ctx = caller or Context(
            actor="anonymous", terminal=f"api:{address}"[:64], now_fixed=clock()
        )
        path = scrub(str(scope.get("path", "")))[:200]
        detail = {
            "method": str(scope.get("method", ""))[:10],
            "path": path,
            "status": status,
            "code": str(code)[:40] if code else None,
        }
        try:
            sessions: sessionmaker[Session] = scope["app"].state.sessions
            await to_thread.run_sync(
                lambda: note_refusal(sessions, ctx, caller is not None, **detail)
            )
        except Exception:  # the answer is sent; the operator learns from the log
            log.exception("could not audit a refused request %s %s", scope.get("method"), path)
