"""The desk page's HTTP side (Starlette through FastAPI), on 127.0.0.1 only.

Routes are thin: each calls one ``Desk`` action (one short transaction) in the thread pool.
``GET /api/state?after=N`` is a long poll on the reader loop: it answers as soon as the
reader's state changes (a card, an unplug), at the latest after ``LONG_POLL`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
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


def create_app(desk: Desk, stopping: Callable[[], bool] = lambda: False) -> FastAPI:
    """The page's app; ``stopping`` tells a long poll that the server is shutting down."""
    app = FastAPI(title="来去 前台", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.desk = desk
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
    async def index() -> FileResponse:
        return FileResponse(f"{static_dir}/index.html",
                            headers={"Cache-Control": "no-store"})

    @app.get("/api/state")
    async def state(after: int = -1) -> dict[str, Any]:
        deadline = time.monotonic() + LONG_POLL
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
