"""Reference data cached per process, kept while the registry's reference version stands.

Jurisdictions, venues, rooms and rules change rarely and are read by every check-in. Each
process keeps what it read in ``reference(session, name)`` dictionaries, one set per database;
the first look in a transaction reads ``reference_version`` (one primary-key SELECT) and drops
every dictionary of that database when the version moved since they were filled. Triggers bump
the version on any write of those tables (migration 0011), in the writer's transaction, so a
reader sees new reference data as soon as it sees the write committed.

Only plain values go in (codes, paths, room numbers, rule rows), never ORM objects: they
outlive the session that loaded them. A database without the table (not yet upgraded) caches
for one transaction only.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from registry.db.cache import per_transaction
from registry.db.reference_models import ReferenceVersion

_VERSION = select(ReferenceVersion.version).where(ReferenceVersion.id == 1)
_SEEN = "laiqu.refcache.version"  # per transaction: the version read ("v"), "writer"
_OWN = "laiqu.refcache.own."  # per-transaction caches of a writer or of an old database
_LOCK = threading.Lock()
_HAS_TABLE: dict[str, bool] = {}
_CACHES: dict[str, tuple[int | None, dict[str, dict[Any, Any]]]] = {}


_WHERE: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def _where(session: Session) -> str:
    """The session's database as a key: its URL, rendered once per engine (rendering a URL
    quotes each of its parts: dozens of calls per check-in)."""
    engine = session.get_bind().engine
    found = _WHERE.get(engine)
    if found is None:
        found = _WHERE[engine] = str(engine.url)
    return found


def version(session: Session) -> int | None:
    """The reference version this transaction sees (read once per transaction); None when
    the database has no ``reference_version`` yet (looked up once per process)."""
    seen = per_transaction(session, _SEEN)
    if "v" not in seen:
        where = _where(session)
        if where not in _HAS_TABLE:
            _HAS_TABLE[where] = inspect(session.connection()).has_table("reference_version")
        seen["v"] = session.scalar(_VERSION) if _HAS_TABLE[where] else None
    return seen["v"]


def unread(session: Session) -> bool:
    """Whether this transaction has yet to read the version (and the database has the
    table): a statement it sends anyway may read it along (``VERSION_SQL``, ``seen``)."""
    seen = per_transaction(session, _SEEN)
    if "v" in seen or seen.get("writer"):
        return False
    where = _where(session)
    if where not in _HAS_TABLE:
        _HAS_TABLE[where] = inspect(session.connection()).has_table("reference_version")
    return _HAS_TABLE[where]


VERSION_SQL = "(SELECT version FROM reference_version WHERE id = 1)"  # a scalar subquery


def seen(session: Session, value: int | None) -> None:
    """The version this transaction read along another statement (``unread``)."""
    per_transaction(session, _SEEN)["v"] = value


def writing(session: Session) -> None:
    """The transaction writes reference data: from now on it reads past the process caches
    (what it sees may never be committed), into caches of its own."""
    per_transaction(session, _SEEN)["writer"] = True
    for name in [k for k in session.info if k.startswith(_OWN)]:
        session.info.pop(name)


def reference(session: Session, name: str) -> dict[Any, Any]:
    """The process-wide cache ``name`` for the session's database at the current version
    (a transaction that writes reference data gets one of its own)."""
    current = None if per_transaction(session, _SEEN).get("writer") else version(session)
    if current is None:
        return per_transaction(session, _OWN + name)
    where = _where(session)
    with _LOCK:
        held, caches = _CACHES.get(where, (None, {}))
        if held != current:
            held, caches = current, {}
            _CACHES[where] = (held, caches)
        return caches.setdefault(name, {})


def clear() -> None:
    """Forget every cached value of every database (tests, a process that forks)."""
    with _LOCK:
        _CACHES.clear()
        _HAS_TABLE.clear()
