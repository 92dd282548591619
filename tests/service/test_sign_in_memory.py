"""The service's memory of failed sign-ins stays bounded (issue #16, flat server memory): a
client that rotates logins and addresses gets each one throttled, but cannot grow what the
service remembers beyond ``max_keys`` (before, every throttled key's audit mark was kept
for good). The real application in process (httpx's ASGI transport, one client address per
attacker), real argon2 verifications, the test database of each engine."""

from __future__ import annotations

import base64

import anyio
import httpx

from service.app import create_app
from service.auth import SignInGuard

ATTACKERS = 8


def _basic(login: str) -> dict[str, str]:
    pair = base64.b64encode(f"{login}:wrong-password".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def test_throttled_logins_and_addresses_do_not_grow_the_guard_beyond_its_bound(
    db_url: str,
) -> None:
    app = create_app(db_url)
    guard = SignInGuard(limit=1, tarpit=0.0, max_keys=3)
    app.state.sign_in_guard = guard
    statuses: list[list[int]] = []

    async def attack() -> None:
        for i in range(ATTACKERS):
            transport = httpx.ASGITransport(app=app, client=(f"10.0.0.{i + 1}", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                answers = [
                    await client.get("/api/v1/findings", headers=_basic(f"guess{i}"))
                    for _ in range(guard.limit + 1)
                ]
            statuses.append([a.status_code for a in answers])
            assert len(guard.failures) <= guard.max_keys, len(guard.failures)
            assert len(guard.noted) <= guard.max_keys, len(guard.noted)

    try:
        anyio.run(attack)
    finally:
        app.state.engine.dispose()
    # every attacker was refused, then throttled: the bound forgets, it does not let in
    assert statuses == [[401] * guard.limit + [429]] * ATTACKERS, statuses
    assert len(guard.noted) <= guard.max_keys and len(guard.failures) <= guard.max_keys
    last = f"login:guess{ATTACKERS - 1}"
    assert last in guard.noted  # the newest block is remembered: audited once in its window
    assert not guard.first_block(last)
