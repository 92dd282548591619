"""Helpers of the station-service tests (a module of its own: several conftest modules exist,
none is importable by name). The service runs as a real process: ``laiqu serve`` (uvicorn) on
127.0.0.1 and a free port, in front of a fresh station database, called with httpx.

The station is the small city of tests/sync/world.py with three users: ``clerk`` (desk of the
hotel), ``other`` (desk of a second hotel) and ``coord`` (coordinator of the station), each
with a password, and ``clerk`` with a device token too. Synthetic people only.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from world import STATION, add_other_hotel, build

from registry.accounts import credentials, users
from registry.context import Context
from registry.db.engine import make_engine, session_factory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "desk-secret-1"
ADMIN = Context("tester", "test-setup")
TOKENS: dict[str, str] = {}  # database URL -> coord's token


def trust(ca: str | None) -> ssl.SSLContext | bool:
    return ssl.create_default_context(cafile=ca) if ca else True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    db_url: str
    log: Path
    process: subprocess.Popen[bytes]
    hotel: str
    other_hotel: str
    token: str
    tokens: dict[str, str] = field(default_factory=dict)
    ca: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def client(self, user: str | None = "clerk", **kw: object) -> httpx.Client:
        auth = httpx.BasicAuth(user, PASSWORD) if user else None
        return httpx.Client(base_url=self.url, auth=auth, timeout=30, verify=trust(self.ca), **kw)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def prepare_station(db_url: str) -> tuple[str, str, str]:
    """The city, the two hotels and the users; (hotel id, other hotel id, clerk's token).
    ``coord`` gets a token too (``coord.token`` in the station directory)."""
    engine = make_engine(db_url)
    sf = session_factory(engine)
    hotel = build(sf, ADMIN)
    other = add_other_hotel(sf, ADMIN)
    with sf.begin() as s:
        users.add_user(s, ADMIN, "clerk", "desk", venue=hotel)
        users.add_user(s, ADMIN, "other", "desk", venue=other)
        users.add_user(s, ADMIN, "coord", "coordinator", jurisdiction=STATION)
        for login in ("clerk", "other", "coord"):
            credentials.set_password(s, ADMIN, login, PASSWORD)
        token = credentials.issue_token(s, ADMIN, "clerk", "前台1号机")
        TOKENS[db_url] = credentials.issue_token(s, ADMIN, "coord", "协管员电脑")
    engine.dispose()
    return hotel, other, token


def laiqu_env(db_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "LAIQU_DATABASE_URL": db_url, **extra}


def start(
    db_url: str,
    log: Path,
    *,
    args: tuple[str, ...] = (),
    scheme: str = "http",
    ca: str | None = None,
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    with log.open("wb") as stream:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--port", str(port), *args],
            env=laiqu_env(db_url),
            cwd=str(ROOT),
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    url = f"{scheme}://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/api/v1/openapi.json", verify=trust(ca), timeout=2).is_success:
                return url, process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"laiqu serve did not start: {log.read_text()}")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
