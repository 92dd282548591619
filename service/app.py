"""``create_app``: the station service as an ASGI application (FastAPI).

Layers, outermost first: ``UploadGate`` (uploads in bounded numbers, a full queue answered
503 with ``Retry-After``, ``service.admission``), ``AuditRefusals`` (each 400/409/413/415/422
audited after the answer, ``service.refusals``), ``BodyLimit`` (bytes counted as they stream,
413 over the limit), ``Shield`` (an unexpected error: generic 500, detail only in the
scrubbed log), FastAPI's routing with the error handlers of ``service.errors``, the v1
routers under ``/api/v1``.
The engine is made once per application; sessions are bound per request (``service.unit``).
Its pool holds a connection for each upload slot plus the callers' look-ups. ``from_environment``
is the same application for ``laiqu serve --workers N`` (uvicorn starts each worker from it).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from registry.db.engine import make_engine
from registry.privacy.chainer import Chainer
from service import errors
from service.admission import DEFAULT_QUEUE, DEFAULT_SLOTS, UploadGate
from service.auth import SignInGuard
from service.limits import DEFAULT_MAX_BODY, BodyLimit
from service.refusals import AuditRefusals
from service.routes import api

PREFIX = "/api/v1"


ENV_MAX_BODY = "LAIQU_SERVE_MAX_BODY"
ENV_UPLOAD_SLOTS = "LAIQU_SERVE_UPLOAD_SLOTS"
ENV_UPLOAD_QUEUE = "LAIQU_SERVE_UPLOAD_QUEUE"


def create_app(
    database_url: str,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    upload_slots: int = DEFAULT_SLOTS,
    upload_queue: int = DEFAULT_QUEUE,
    **engine_options: Any,
) -> FastAPI:
    """The station service on ``database_url`` (an initialised registry; PostgreSQL in
    production). ``max_body``: the largest request body accepted, in bytes;
    ``upload_slots`` uploads applied at once and ``upload_queue`` waiting (more: 503)."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if not database_url.startswith("sqlite"):
        options.update(pool_size=upload_slots + 4, max_overflow=8)
    engine = make_engine(database_url, **{**options, **engine_options})

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        chainer = Chainer(engine)  # staged audit entries linked in the background (#16)
        chainer.start()
        yield
        chainer.stop()
        engine.dispose()

    app = FastAPI(
        title="来去 派出所服务",
        summary="流动人口与旅馆住宿登记：前台上报、入住退房、迁入迁出、从业、查询、比对问题、月报。",
        version="1",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI would load its scripts from a CDN: the document only
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    app.state.sign_in_guard = SignInGuard()
    errors.install(app)
    app.add_middleware(BodyLimit, max_body=max_body)
    app.add_middleware(AuditRefusals)  # also a body refused before routing
    app.add_middleware(  # outermost: a full queue costs the station nothing
        UploadGate, path=f"{PREFIX}/sync/batches", slots=upload_slots, queue=upload_queue
    )
    app.include_router(api(), prefix=PREFIX)
    return app


def from_environment() -> FastAPI:
    """``create_app`` from the environment ``laiqu serve`` sets for its workers:
    ``LAIQU_DATABASE_URL`` and the ``LAIQU_SERVE_*`` limits."""
    return create_app(
        os.environ["LAIQU_DATABASE_URL"],
        max_body=int(os.environ.get(ENV_MAX_BODY) or DEFAULT_MAX_BODY),
        upload_slots=int(os.environ.get(ENV_UPLOAD_SLOTS) or DEFAULT_SLOTS),
        upload_queue=int(os.environ.get(ENV_UPLOAD_QUEUE) or DEFAULT_QUEUE),
    )
