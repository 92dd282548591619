"""Caches that live for one transaction of a session (what they hold may change after it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_NAMES: set[str] = set()


def per_transaction(session: Session, name: str) -> dict[Any, Any]:
    """The session's cache called ``name``, emptied when its transaction ends."""
    _NAMES.add(name)
    return session.info.setdefault(name, {})


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, _transaction: object) -> None:
    for name in _NAMES:
        session.info.pop(name, None)
