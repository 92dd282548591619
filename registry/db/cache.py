"""Caches that live for one transaction of a session (what they hold may change after it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_NAMES: set[str] = set()


def per_transaction(session: Session, name: str) -> dict[Any, Any]:
    """The session's cache called ``name``, emptied when its transaction ends."""
    _NAMES.add(name)
    return session.info.setdefault(name, {})


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # A flush runs in a subtransaction of its own: its end is not the transaction's end.
    # A savepoint's is (conservatively: a rolled-back savepoint may have changed rules).
    if transaction.parent is not None and not transaction.nested:
        return
    for name in _NAMES:
        session.info.pop(name, None)
