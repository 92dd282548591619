"""A station whose upload queue is full answers 503 with ``Retry-After`` and writes nothing;
the desk keeps its items, waits at least that long and sends them again (over real HTTP to
``laiqu serve --upload-slots 1 --upload-queue 0``, its one slot held by an upload whose body
is still arriving)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from dbtools import NOW
from servicekit import TOKENS, Server, prepare_station, start, stop
from sqlalchemy import select
from sqlalchemy.orm import Session
from world import build, count, guests

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.sync_models import OutboxItem
from registry.sync.push import PushReport, StationUnreachable, push, push_once
from service.client import PATH, HttpStation

CTX = Context("clerk", "desk-1", NOW)


@pytest.fixture
def narrow(db_url: str, tmp_path: Path) -> Iterator[Server]:
    """The service with one upload slot and no queue."""
    hotel, other, token = prepare_station(db_url)
    log = tmp_path / "server.log"
    url, process = start(db_url, log, args=("--upload-slots", "1", "--upload-queue", "0"))
    yield Server(url, db_url, log, process, hotel, other, token, {"coord": TOKENS[db_url]})
    stop(process)


@contextmanager
def slot_held(server: Server) -> Iterator[None]:
    """An upload that has sent its headers and part of its body, and waits: it holds the one
    slot until the connection closes."""
    where = urlsplit(server.url)
    conn = socket.create_connection((where.hostname, where.port), timeout=10)
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {where.netloc}\r\n"
        f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{"
    )
    conn.sendall(head.encode())
    try:
        yield
    finally:
        conn.close()


def _busy_answer(server: Server) -> httpx.Response:
    """A batch posted while the slot is held (the holder may need a moment to be admitted)."""
    body = {"venue": {"id": server.hotel}, "items": []}
    deadline = time.monotonic() + 10
    auth = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, timeout=10, headers=auth) as client:
        while True:
            answer = client.post(PATH, json=body)
            if answer.status_code == 503 or time.monotonic() > deadline:
                return answer
            time.sleep(0.1)


def test_a_full_queue_answers_503_and_the_desk_backs_off(narrow: Server, desk_url: str) -> None:
    desk = make_engine(desk_url)
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 3)
    station = HttpStation(narrow.url, token=narrow.token)
    try:
        with slot_held(narrow):
            answer = _busy_answer(narrow)
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "1"
            assert answer.json()["code"] == "busy" and "自动重试" in answer.json()["message"]
            before = datetime.now(UTC)
            with pytest.raises(StationUnreachable) as raised:
                push_once(sf, station, None, CTX, PushReport())
            assert raised.value.retry_after == 1.0 and "503" in str(raised.value)
            with Session(desk) as s:
                states = s.execute(select(OutboxItem.state, OutboxItem.next_attempt_at)).all()
            assert states and {st for st, _ in states} == {"pending"}  # kept, not lost
            assert all(d.replace(tzinfo=d.tzinfo or UTC) >= before + timedelta(seconds=1)
                       for _, d in states)
            st = make_engine(narrow.db_url)
            assert count(st, "stays") == 0  # nothing written at the station
        # the slot is free again: the desk's retry after the back-off delivers everything
        report = push(sf, station, CTX, retry_for=30)
        assert report.rejected == 0 and report.accepted > 0
        with Session(desk) as s:
            assert set(s.scalars(select(OutboxItem.state))) == {"accepted"}
        assert count(st, "stays") == count(desk, "stays") == 3
        st.dispose()
    finally:
        station.close()
        desk.dispose()
    assert "Traceback" not in narrow.log_text()


def test_the_gate_queues_within_its_bounds_and_refuses_beyond() -> None:
    """One slot, one waiting place: the second upload waits for the first and is applied, the
    third finds the queue full; a waiter that outlasts ``wait`` is refused too (503)."""
    import asyncio

    from service.admission import UploadGate

    release = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:  # ends when told
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def call(gate: UploadGate) -> int:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": PATH, "headers": []}
        await gate(scope, receive, send)
        return int(sent[0]["status"])

    async def scenario() -> list[int]:
        gate = UploadGate(app, PATH, slots=1, queue=1, wait=5.0)
        first = asyncio.create_task(call(gate))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(call(gate))
        await asyncio.sleep(0.05)
        third = await call(gate)  # the slot and the waiting place are taken
        release.set()
        statuses = [await first, await second, third]
        release.clear()
        impatient = UploadGate(app, PATH, slots=1, queue=1, wait=0.2)
        holder = asyncio.create_task(call(impatient))
        await asyncio.sleep(0.05)
        statuses.append(await call(impatient))  # waited 0.2 s for the slot: refused
        release.set()
        statuses.append(await holder)
        return statuses

    assert asyncio.run(scenario()) == [200, 200, 503, 503, 200]
