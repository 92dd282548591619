"""The service's pieces in process (httpx's ASGI transport): the last-resort 500, the body
limit counting streamed bytes, the log scrubber, Retry-After parsing, URL normalisation."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import anyio
import httpx

from registry.db.engine import normalise
from service.app import create_app
from service.client import retry_after
from service.logs import MaskingFormatter, scrub

NUMBER = "11010519491231002X"


def _call(app, method: str, path: str, **kw) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.request(method, path, **kw)

    return anyio.run(go)


def test_unexpected_error_is_a_generic_500_and_a_scrubbed_log(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'x.sqlite'}", max_body=1024)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(f"bug while handling {NUMBER}")

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MaskingFormatter("%(levelprefix)s %(message)s", use_colors=False))
    logger = logging.getLogger("laiqu.service")
    logger.addHandler(handler)
    try:
        answer = _call(app, "GET", "/boom")
    finally:
        logger.removeHandler(handler)
    assert answer.status_code == 500
    assert answer.json()["code"] == "internal" and "服务内部出错" in answer.json()["message"]
    assert NUMBER not in answer.text and "Traceback" not in answer.text
    logged = stream.getvalue()
    assert "RuntimeError" in logged and "Traceback" in logged
    assert NUMBER not in logged and "110105********002X" in logged


def test_body_limit_counts_streamed_bytes(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'x.sqlite'}", max_body=1024)

    async def body() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"x" * 200

    json_type = {"Content-Type": "application/json"}  # any other type is answered 415 first
    streamed = _call(app, "POST", "/api/v1/checkins", content=body(), headers=json_type)
    assert streamed.status_code == 413 and streamed.json()["code"] == "too_large"
    small = _call(app, "POST", "/api/v1/checkins", json={})
    assert small.status_code == 401  # under the limit: on to authentication
    missing = _call(app, "GET", "/api/v1/nowhere")
    assert missing.status_code == 404 and missing.json()["code"] == "no_route"


def test_scrub_and_retry_after() -> None:
    assert scrub(f"GET /api/v1/persons?number={NUMBER.lower()} 200") == (
        "GET /api/v1/persons?number=110105********002X 200"
    )
    assert scrub("id 3f2b9c1e-0d5a-4e6f-9a7b-1c2d3e4f5a6b at 20260615") == (
        "id 3f2b9c1e-0d5a-4e6f-9a7b-1c2d3e4f5a6b at 20260615"
    )
    assert retry_after("120") == 120.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 50 < (retry_after(later) or 0) <= 60
    assert retry_after("soon") is None and retry_after(None) is None


def test_postgresql_url_without_driver_uses_psycopg2() -> None:
    assert normalise("postgresql://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert normalise("postgres://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert normalise("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise("sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_bare_postgresql_url_works_as_typed(pg_server, pg_template) -> None:
    import subprocess
    import sys

    from dbtools import _drop_pg, _fresh_pg
    from servicekit import ROOT, laiqu_env

    name, url = _fresh_pg(pg_server, pg_template)
    bare = url.replace("postgresql+psycopg2://", "postgresql://")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", "--db", bare, "init"],
            env=laiqu_env(bare),
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "数据库已就绪" in done.stdout
    finally:
        _drop_pg(pg_server, name)


def test_a_lost_database_connection_is_a_503_other_database_errors_a_500(tmp_path: Path) -> None:
    """psycopg2 reports a connection the server dropped (restart, crash) as DatabaseError or
    InterfaceError, not OperationalError: still 503 with Retry-After, so a desk backs off and
    is told the database is unavailable (seen with PostgreSQL restarted under load)."""
    from sqlalchemy.exc import DatabaseError, InterfaceError

    app = create_app(f"sqlite:///{tmp_path / 'x.sqlite'}", max_body=1024)
    dropped = Exception("server closed the connection unexpectedly")

    @app.get("/dropped")
    def lost() -> None:
        raise DatabaseError("SELECT 1", None, dropped, connection_invalidated=True)

    @app.get("/closed")
    def closed() -> None:
        raise InterfaceError("SELECT 1", None, Exception("connection already closed"))

    @app.get("/broken")
    def broken() -> None:
        raise DatabaseError("SELECT 1", None, Exception("some other database failure"))

    for path in ("/dropped", "/closed"):
        answer = _call(app, "GET", path)
        assert answer.status_code == 503, path
        assert answer.json()["code"] == "unavailable" and answer.headers["Retry-After"] == "5"
    answer = _call(app, "GET", "/broken")
    assert answer.status_code == 500 and answer.json()["code"] == "internal"
