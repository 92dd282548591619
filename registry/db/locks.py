"""Transaction-scoped locks that serialise writers of the same thing across processes.

Two desks swiping the same card at the same moment must not both decide "new person" (one
would then fail on the unique number) nor both miss the other's open stay (PC-TWO-PLACES would
go unseen). On PostgreSQL an advisory lock on the document key, held until commit, orders them:
the second reads what the first committed. SQLite allows one writer at a time anyway.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.orm import Session

from registry.db import refcache
from registry.db.cache import per_transaction

HELD = "laiqu.locks.held"
# One statement for many: taken in the array's order, which the caller sorts.
_LOCK_ALL = text(
    "SELECT pg_advisory_xact_lock(k) FROM unnest(:keys) WITH ORDINALITY AS t(k, i) ORDER BY i"
).bindparams(bindparam("keys", type_=ARRAY(BIGINT)))


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a name (advisory locks take a bigint)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8, person=b"laiqu-lock").digest()
    return int.from_bytes(digest, "big", signed=True)


def hold(session: Session, name: str) -> None:
    """Wait for and hold, until the transaction ends, the lock called ``name`` (PostgreSQL)."""
    hold_all(session, (name,))


# The same, with the reference version read along (``refcache.unread``): a check-in's first
# statement. The locks' subquery keeps its ORDER BY (PostgreSQL evaluates a volatile target
# after the sort and never flattens a sorted subquery).
_LOCK_ALL_VERSION = text(
    f"SELECT {refcache.VERSION_SQL}, (SELECT count(*) FROM (SELECT pg_advisory_xact_lock(k) "
    "FROM unnest(:keys) WITH ORDINALITY AS t(k, i) ORDER BY i) AS held)"
).bindparams(bindparam("keys", type_=ARRAY(BIGINT)))


def hold_all(session: Session, names: Iterable[str]) -> None:
    """Hold every lock of ``names`` not yet held, taken in one statement in key order.

    Every writer takes its locks in the same order, so two batches sharing documents wait for
    each other instead of deadlocking. A lock already held in this transaction costs nothing.
    When the transaction has yet to read the reference version (``refcache``), the same
    statement reads it.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    held: set[int] = per_transaction(session, HELD).setdefault("keys", set())
    keys = sorted({lock_key(n) for n in names} - held)
    if not keys:
        return
    if refcache.unread(session):
        version = session.execute(_LOCK_ALL_VERSION, {"keys": keys}).scalar()
        refcache.seen(session, version)
    else:
        session.execute(_LOCK_ALL, {"keys": keys})
    held.update(keys)
