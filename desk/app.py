"""The desk page's HTTP side (Starlette through FastAPI), on 127.0.0.1 only.

Routes are thin: each calls one ``Desk`` action (one short transaction) in the thread pool.
``GET /api/state?after=N`` is a long poll on the reader loop: it answers as soon as the
reader's state changes (a card, an unplug), at the latest after ``LONG_POLL`` seconds.

Only the desk's own page may call it (``guard``): the ``Host`` must be this desk
(127.0.0.1:PORT or localhost:PORT, against DNS rebinding), an ``Origin`` must be the desk's
own, every POST is ``application/json`` (no "simple" cross-site form post), and every API call
carries the per-process token the page got in its HTML (header ``X-Desk-Token``; the slip and
photo links, which a browser fetches without headers, as ``?k=``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import date
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from desk.errors import DeskRefusal, refusal
from desk.service import Desk
from drivers.errors import ReaderError
from registry.errors import RegistryError

LONG_POLL = 10.0
POLL_SLICE = 0.5
STATIC = resources.files("desk") / "static"


TOKEN_HEADER = "X-Desk-Token"
TOKEN_QUERY = "k"


def _deny(message: str, status: int) -> Response:
    return JSONResponse({"error": message}, status, headers={"Cache-Control": "no-store"})


def guard(request: Request, port: int, token: str) -> Response | None:
    """The refusal of a request that is not from the desk's own page, else None."""
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    if request.headers.get("host", "").lower() not in hosts:
        return _deny("拒绝访问：只接受本机地址 127.0.0.1 上的前台页面。", 403)
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() not in {f"http://{h}" for h in hosts}:
        return _deny("拒绝访问：请求来自其他网页。", 403)
    if request.method == "POST":
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return _deny("请求格式有误：只接受 JSON。", 415)
    if request.url.path.startswith("/api/"):
        given = request.headers.get(TOKEN_HEADER) or request.query_params.get(TOKEN_QUERY) or ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            return JSONResponse({"error": "拒绝访问：请从前台页面操作（页面已过期时请刷新）。",
                                 "token": True}, 403, headers={"Cache-Control": "no-store"})
    return None


def create_app(desk: Desk, stopping: Callable[[], bool] = lambda: False,
               port: int = 0, token: str | None = None) -> FastAPI:
    """The page's app on ``port``; ``stopping`` tells a long poll that the server is shutting
    down; ``token`` (random per process unless given) is what the page's API calls carry."""
    app = FastAPI(title="来去 前台", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.desk = desk
    key = token or secrets.token_urlsafe(24)
    page_html = (STATIC / "index.html").read_text(encoding="utf-8").replace(
        "__DESK_TOKEN__", key)

    @app.middleware("http")
    async def only_the_page(request: Request, call_next: Callable[[Request], Any]) -> Response:
        denied = guard(request, port, key)
        if denied is not None:
            return denied
        response: Response = await call_next(request)
        return response
    static_dir = str(STATIC)
    app.mount("/static", StaticFiles(directory=static_dir), name="static")

    async def refused(_request: Request, exc: Exception) -> Response:
        found = refusal(exc)
        if found is None:  # a bug: Starlette's 500 with the traceback in the log
            raise exc
        return JSONResponse({"error": found.message}, found.status,
                            headers={"Cache-Control": "no-store"})

    # Refusals the core, a driver or SQLite raise on purpose (a bug keeps its traceback).
    for kind in (DeskRefusal, RegistryError, ReaderError, OperationalError):
        app.add_exception_handler(kind, refused)

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page_html, headers={"Cache-Control": "no-store"})

    @app.get("/api/state")
    async def state(after: int = -1, instance: str = "") -> dict[str, Any]:
        deadline = time.monotonic() + LONG_POLL
        # A page of an earlier process (``instance`` differs) gets the state at once: its
        # version counts another process's changes.
        if instance and instance != desk.instance:
            after = -1
        # In short slices, so that a shutdown never waits for a pending poll.
        while after >= 0 and not stopping() and time.monotonic() < deadline:
            if await run_in_threadpool(desk.loop.wait, after, POLL_SLICE) > after:
                break
        return desk.state()

    @app.get("/api/staying/{token}")
    async def staying(token: str) -> dict[str, Any]:
        return {"staying": await run_in_threadpool(desk.staying, token)}

    @app.get("/api/photo/{token}")
    async def photo(token: str) -> Response:
        return Response(await run_in_threadpool(desk.photo, token), media_type="image/bmp")

    @app.post("/api/checkin")
    async def checkin(request: Request) -> dict[str, Any]:
        body = await _body(request)
        expected = body.get("expected") or None
        try:
            until = date.fromisoformat(expected) if expected else None
        except ValueError as exc:
            raise DeskRefusal("预计退房日期应为 YYYY-MM-DD。") from exc
        return await run_in_threadpool(
            desk.check_in, str(body.get("room") or ""), list(body.get("guests") or []), until
        )

    @app.post("/api/check-number")
    async def check_number(request: Request) -> dict[str, Any]:
        body = await _body(request)
        return desk.check_number(str(body.get("number") or ""),
                                 str(body.get("doc_type") or "") or None,
                                 str(body.get("name") or ""))

    @app.post("/api/checkout")
    async def checkout(request: Request) -> dict[str, Any]:
        body = await _body(request)
        room, stay = body.get("room"), body.get("stay_id")
        return await run_in_threadpool(
            desk.check_out, str(room) if room else None, str(stay) if stay else None
        )

    @app.get("/api/house")
    async def house() -> dict[str, Any]:
        return await run_in_threadpool(desk.house)

    @app.get("/api/upload")
    async def upload() -> dict[str, Any]:
        return await run_in_threadpool(desk.upload)

    @app.get("/api/slip/{stay_id}.pdf")
    async def slip(stay_id: str) -> Response:
        pdf = await run_in_threadpool(desk.slip, stay_id)
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": "inline; filename=slip.pdf"})

    @app.get("/api/timings")
    async def timings() -> dict[str, Any]:
        return {"actions": desk.timings.actions, "swipes": _swipe_times(desk)}

    return app


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise DeskRefusal("请求格式有误。") from exc
    if not isinstance(body, dict):
        raise DeskRefusal("请求格式有误。")
    return body


def _swipe_times(desk: Desk) -> list[dict[str, Any]]:
    """When each card read finished, on this process's monotonic clock (for the bench)."""
    now = time.monotonic()
    return [{"seq": s.seq, "age_ms": (now - s.monotonic) * 1000}
            for s in list(desk.loop.cards.values())]
