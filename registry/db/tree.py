"""The jurisdiction tree in SQL: the codes of a subtree, by the materialised path.

A small module of its own so that the places, the lists and the matchings share one query
without importing each other (``registry.matching.checks`` is heavy: rules and their tables).
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from registry.db.models import Jurisdiction
from registry.errors import NotFound


def subtree(session: Session, jurisdiction: str | None) -> Select[tuple[str]] | None:
    """Codes of a jurisdiction and everything under it, as a subquery to use with ``in_``
    (None: the whole registry, no restriction).

    Raises ``NotFound`` for a code that is not registered."""
    if jurisdiction is None:
        return None
    node = session.get(Jurisdiction, jurisdiction)
    if node is None:
        raise NotFound(f"jurisdiction {jurisdiction} is not registered")
    return select(Jurisdiction.code).where(Jurisdiction.path.startswith(node.path, autoescape=True))
