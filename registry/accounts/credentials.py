"""API credentials of registry users for the station service (issue #15), and checking them.

Every registry user may get a password (HTTP Basic) and device tokens (``Authorization:
Bearer``); an admin sets them (``laiqu user password|token|revoke-token``). Passwords are kept
as argon2id hashes (argon2-cffi ``PasswordHasher``, RFC 9106 parameters); a token is a 32-byte
random secret shown once, kept as its SHA-256 (design.md "Deployment": field devices hold a
credential, never a database login).

``authenticate`` answers who a request is, fresh from the database each time: a disabled user
(``laiqu user disable``) or a revoked token is refused from the next request on.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context, Principal
from registry.db.access_models import RegistryUser
from registry.db.credential_models import ApiPassword, ApiToken
from registry.errors import InvalidInput, NotFound, Refused
from registry.identity.text import line
from registry.privacy import access, audit, journal

MIN_PASSWORD = 8
TOKEN_PREFIX = "lq_"
_HASHER = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """Verified against when the login has no password, so a wrong login costs what a wrong
    password does (no timing hint of which logins exist); made on first use, not at import."""
    return _HASHER.hash("laiqu-no-such-password")


def _user(session: Session, login: str) -> RegistryUser:
    user = session.scalar(select(RegistryUser).where(RegistryUser.login == login.strip()))
    if user is None:
        raise NotFound(f"user {login} is not registered")
    return user


def token_hash(token: str) -> str:
    """What is stored of a token: SHA-256, hex (64 characters)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def set_password(session: Session, ctx: Context, login: str, password: str) -> None:
    """Set (or replace) the user's API password; admin only.

    Raises ``NotFound`` (no such user), ``InvalidInput`` (shorter than ``MIN_PASSWORD``),
    ``OutOfScope`` (not an admin).
    """
    ctx = access.require(session, ctx, "user.admin")
    user = _user(session, login)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    stored = session.get(ApiPassword, user.login)
    hashed = _HASHER.hash(password)
    if stored is None:
        session.add(ApiPassword(login=user.login, hash=hashed, set_at=ctx.now(), set_by=ctx.actor))
    else:
        stored.hash, stored.set_at, stored.set_by = hashed, ctx.now(), ctx.actor
    journal.record(session, ctx, "user.password_set", "user", user.id, login=user.login)


def issue_token(session: Session, ctx: Context, login: str, device: str) -> str:
    """A new device token for the user (the secret, to be shown once); admin only.

    Raises ``NotFound`` (no such user), ``InvalidInput`` (device name empty or over 64
    characters), ``Refused`` (the device already holds an unrevoked token), ``OutOfScope``.
    """
    ctx = access.require(session, ctx, "user.admin")
    user = _user(session, login)
    device = device.strip()
    if not device or len(device) > 64:
        raise InvalidInput("a device needs a name of at most 64 characters")
    line(device, "device")
    if _active_tokens(session, user.login, device):
        raise Refused(f"device {device} of {user.login} already has a token: revoke it first")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        id=uuid.uuid4(),
        login=user.login,
        device=device,
        token_hash=token_hash(token),
        created_at=ctx.now(),
        created_by=ctx.actor,
    )
    session.add(row)
    journal.record(
        session, ctx, "user.token_issued", "user", user.id, login=user.login, device=device
    )
    return token


def revoke_token(session: Session, ctx: Context, login: str, device: str) -> int:
    """Revoke the device's tokens; how many. Raises ``NotFound`` when it holds none."""
    ctx = access.require(session, ctx, "user.admin")
    user = _user(session, login)
    tokens = _active_tokens(session, user.login, device.strip())
    if not tokens:
        raise NotFound(f"device {device.strip()} of {user.login} holds no token")
    for token in tokens:
        token.revoked_at = ctx.now()
    journal.record(
        session, ctx, "user.token_revoked", "user", user.id, login=user.login, device=device
    )
    return len(tokens)


def _active_tokens(session: Session, login: str, device: str) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(
                ApiToken.login == login, ApiToken.device == device, ApiToken.revoked_at.is_(None)
            )
        )
    )


def by_password(session: Session, login: str, password: str) -> Principal | None:
    """The active user with this login and password (None: unknown, wrong or disabled).

    A hash made with older parameters is upgraded in the caller's transaction.
    """
    stored = session.get(ApiPassword, login) if len(login) <= 64 else None
    try:
        _HASHER.verify(stored.hash if stored else _dummy(), password)
    except (VerificationError, InvalidHashError):
        return None
    if stored is None:
        return None
    if _HASHER.check_needs_rehash(stored.hash):
        stored.hash = _HASHER.hash(password)
    return access.load(session, login)


def by_token(session: Session, token: str) -> tuple[Principal, str] | None:
    """The active user holding this unrevoked token, and the device (None: unknown)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    found = access.load(session, row.login)
    return (found, row.device) if found else None


def note_failure(session: Session, ctx: Context, scheme: str, login: str | None) -> None:
    """Audit a refused sign-in (kept even when the caller rolls back)."""
    audit.note(
        session,
        ctx,
        "refused",
        "auth.failed",
        durable=True,
        scheme=scheme,
        login=(login or "")[:64] or None,
    )
