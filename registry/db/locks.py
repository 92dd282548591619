"""Transaction-scoped locks that serialise writers of the same thing across processes.

Two desks swiping the same card at the same moment must not both decide "new person" (one
would then fail on the unique number) nor both miss the other's open stay (PC-TWO-PLACES would
go unseen). On PostgreSQL an advisory lock on the document key, held until commit, orders them:
the second reads what the first committed. SQLite allows one writer at a time anyway.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

_LOCK = text("SELECT pg_advisory_xact_lock(:key)").bindparams(bindparam("key"))


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a name (advisory locks take a bigint)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8, person=b"laiqu-lock").digest()
    return int.from_bytes(digest, "big", signed=True)


def hold(session: Session, name: str) -> None:
    """Wait for and hold, until the transaction ends, the lock called ``name`` (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK, {"key": lock_key(name)})
