"""``create_app``: the station service as an ASGI application (FastAPI).

Layers, outermost first: ``AuditRefusals`` (each 400/409/413/415/422 audited after the
answer, ``service.refusals``), ``BodyLimit`` (bytes counted as they stream, 413 over the limit),
``Shield`` (an unexpected error: generic 500, detail only in the scrubbed log), FastAPI's
routing with the error handlers of ``service.errors``, the v1 routers under ``/api/v1``.
The engine is made once per application; sessions are bound per request (``service.unit``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from registry.db.engine import make_engine
from registry.privacy.chainer import Chainer
from service import errors
from service.auth import SignInGuard
from service.limits import DEFAULT_MAX_BODY, BodyLimit
from service.refusals import AuditRefusals
from service.routes import api

PREFIX = "/api/v1"


def create_app(
    database_url: str, *, max_body: int = DEFAULT_MAX_BODY, **engine_options: Any
) -> FastAPI:
    """The station service on ``database_url`` (an initialised registry; PostgreSQL in
    production). ``max_body``: the largest request body accepted, in bytes."""
    engine = make_engine(database_url, pool_pre_ping=True, **engine_options)

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
    app.add_middleware(AuditRefusals)  # outermost: also a body refused before routing
    app.include_router(api(), prefix=PREFIX)
    return app
