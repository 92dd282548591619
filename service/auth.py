"""Who is asking: HTTP Basic (login and password) or ``Authorization: Bearer <token>``.

Every request reads its user fresh (``registry.accounts.credentials``), so ``laiqu user
disable`` or ``laiqu user revoke-token`` takes effect on the next request. The answer is the
``Context`` a use case acts under: the registry user's principal (``registry.privacy.access``,
the same roles and scopes as on the command line), the device or client address as terminal.
A failed sign-in is audited (``auth.failed``) and answered 401.

A password costs an argon2 verification (deliberately slow): at most ``CONCURRENT`` run at
once, in a worker thread of lowered priority (``VERIFY_NICENESS``) and outside any
transaction, so a flood of wrong passwords starves neither the event loop nor the token
holders (a token is checked by its hash, without waiting). After ``LIMIT``
failed password sign-ins within ``WINDOW`` seconds for one login or from one client address,
further password sign-ins for it are answered 429 with ``Retry-After`` without verifying,
each held back ``TARPIT`` seconds so a flood cannot keep the event loop busy either (audited
once per window, ``auth.throttled``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import math
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import NoReturn, TypeVar

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from fastapi.security import HTTPBasic, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from registry.accounts import credentials
from registry.context import Context, Principal
from registry.db.credential_models import ApiPassword
from registry.privacy import audit
from service.errors import Throttled, Unauthorized

# Declared for the OpenAPI document only (clients see both schemes); parsing is ours.
basic_scheme = HTTPBasic(auto_error=False, description="登录名和服务密码（laiqu user password）")
bearer_scheme = HTTPBearer(auto_error=False, description="设备令牌（laiqu user token）")

_V = TypeVar("_V")


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


CONCURRENT = 1  # argon2 verifications at once (each runs 4 lanes in parallel)
LIMIT = 10  # failed password sign-ins per login or per client address ...
WINDOW = 60.0  # ... within this many seconds
VERIFY_NICENESS = 10  # the verifying threads' niceness (Linux: per thread)
TARPIT = 1.0  # seconds a throttled answer is held back (no thread, no CPU): slows a flood
MAX_KEYS = 10_000  # logins and addresses remembered at most (older ones forgotten first)


def _lower_priority() -> None:
    """Verifications yield the CPU to every other request: a Linux thread's niceness is its
    own, and argon2's lanes (threads it starts) inherit it."""
    with suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), VERIFY_NICENESS)


@dataclass
class SignInGuard:
    """Failed password sign-ins in memory (per process), and the verification slots."""

    limit: int = LIMIT
    window: float = WINDOW
    concurrent: int = CONCURRENT
    tarpit: float = TARPIT
    max_keys: int = MAX_KEYS  # keys each of ``failures`` and ``noted`` holds at most
    failures: dict[str, deque[float]] = field(default_factory=dict)
    noted: dict[str, float] = field(default_factory=dict)  # key -> when its block was audited
    slots: asyncio.Semaphore = field(init=False)
    verifier: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.concurrent)
        self.verifier = ThreadPoolExecutor(
            self.concurrent, thread_name_prefix="laiqu-verify", initializer=_lower_priority
        )

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self.failures.get(key) or deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked(self, keys: tuple[str, ...]) -> tuple[str, int] | None:
        """(the blocked key, seconds until it may try again), or None."""
        now = time.monotonic()
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= self.limit:
                return key, max(1, math.ceil(times[0] + self.window - now))
        return None

    def first_block(self, key: str) -> bool:
        """Whether this block of ``key`` is not audited yet in this window (and mark it)."""
        now = time.monotonic()
        if self.noted.get(key, -math.inf) > now - self.window:
            return False
        _make_room(self.noted, self.max_keys, lambda at: at <= now - self.window)
        self.noted.pop(key, None)  # re-inserted last: the dict stays in order of age
        self.noted[key] = now
        return True

    def failed(self, keys: tuple[str, ...]) -> None:
        now = time.monotonic()

        def stale(times: deque[float]) -> bool:
            return not times or times[-1] <= now - self.window

        for key in keys:
            times = self._recent(key, now)
            times.append(now)
            if key not in self.failures:  # room for each new key: at most max_keys held
                _make_room(self.failures, self.max_keys, stale)
            self.failures[key] = times


def _make_room(memory: dict[str, _V], most: int, stale: Callable[[_V], bool]) -> None:
    """Keep ``memory`` under ``most`` keys before one is added: when full, forget the
    ``stale`` entries, then the oldest (first inserted) until there is room. A client that
    rotates logins or addresses cannot grow the service's memory without bound."""
    if len(memory) < most:
        return
    for key in [k for k, v in memory.items() if stale(v)]:
        del memory[key]
    while memory and len(memory) >= most:
        del memory[next(iter(memory))]


def _fail(sessions: sessionmaker[Session], scheme: str, login: str | None) -> None:
    ctx = Context(actor=(login or "anonymous")[:64], terminal="http", now_fixed=clock())
    with sessions.begin() as session:
        credentials.note_failure(session, ctx, scheme[:16], login)


def _note_throttled(sessions: sessionmaker[Session], login: str, client: str, key: str) -> None:
    ctx = Context(actor=login[:64], terminal=f"api:{client}"[:64], now_fixed=clock())
    with sessions.begin() as session:
        audit.note(
            session,
            ctx,
            "refused",
            "auth.throttled",
            durable=True,
            login=login[:64],
            client=client[:64],
            by=key.partition(":")[0],
        )


_HASHER = PasswordHasher()  # verifies with the parameters each stored hash names


@functools.cache
def _dummy() -> str:
    """A hash to verify against for an unknown login: the same cost as a known one."""
    return _HASHER.hash(secrets.token_hex(16))


def _by_password(sessions: sessionmaker[Session], login: str, password: str) -> Principal | None:
    """The user for a login and password, the slow verification done outside any transaction
    (SQLite begins IMMEDIATE: a transaction held through argon2 would keep every other request
    waiting for the write lock). Only a password that verifies is checked again by
    ``credentials.by_password`` (the user's state, a rehash) in the short transaction."""
    with sessions.begin() as session:
        stored = session.get(ApiPassword, login) if len(login) <= 64 else None
        digest = stored.hash if stored else None
    try:
        _HASHER.verify(digest or _dummy(), password)
    except (VerificationError, InvalidHashError):
        return None
    if digest is None:
        return None
    with sessions.begin() as session:
        return credentials.by_password(session, login, password)


def _by_token(sessions: sessionmaker[Session], token: str) -> tuple[Principal, str] | None:
    with sessions.begin() as session:
        return credentials.by_token(session, token)


async def _password(
    request: Request, sessions: sessionmaker[Session], login: str, password: str, client: str
) -> Principal:
    guard: SignInGuard = request.app.state.sign_in_guard
    keys = (f"login:{login}", f"address:{client}")

    async def refuse(hit: tuple[str, int]) -> NoReturn:
        key, wait = hit
        if guard.first_block(key):
            await to_thread.run_sync(_note_throttled, sessions, login, client, key)
        await asyncio.sleep(guard.tarpit)  # holds no verification slot
        raise Throttled(wait)

    if hit := guard.blocked(keys):
        await refuse(hit)
    async with guard.slots:
        hit = guard.blocked(keys)  # others may have failed while this one waited
        if not hit:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(
                guard.verifier, _by_password, sessions, login, password
            )
    if hit:
        await refuse(hit)
    if found is None:
        guard.failed(keys)
        await to_thread.run_sync(_fail, sessions, "basic", login)
        raise Unauthorized()
    return found


async def authenticate(request: Request) -> Context:
    """The acting context of this request (a FastAPI dependency); raises ``Unauthorized``
    or ``Throttled``."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized()
    client = request.client.host if request.client else "unknown"
    scheme, _, value = header.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    device: str | None = None
    if scheme == "basic" and (pair := _basic(value)):
        principal = await _password(request, sessions, pair[0], pair[1], client)
    elif scheme == "bearer" and value:
        hit = await to_thread.run_sync(_by_token, sessions, value)
        if hit is None:
            await to_thread.run_sync(_fail, sessions, scheme, None)
            raise Unauthorized()
        principal, device = hit
    else:
        await to_thread.run_sync(_fail, sessions, scheme or "none", None)
        raise Unauthorized()
    terminal = f"api:{device}" if device else f"api:{client}"
    ctx = Context(actor=principal.login, terminal=terminal[:64], now_fixed=clock())
    acting = ctx.acting_as(principal)
    request.state.caller = acting  # for the audit of a refused request (service.refusals)
    return acting
