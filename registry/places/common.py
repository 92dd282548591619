"""What the place use cases share: the change they report, id references and the scope guard of a
resolver."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Finding
from registry.errors import InvalidInput

T = TypeVar("T")


@dataclass
class Changed(Generic[T]):
    """A record a use case created or changed, and the findings that opened because of it."""

    record: T
    findings: list[Finding]


def by_ref_id(session: Session, model: type, ref: str) -> object | None:
    try:
        return session.get(model, uuid.UUID(ref))
    except ValueError:
        return None




def place_scope(ctx: Context | None, jurisdiction: str) -> str | None:
    """The jurisdiction to check for a new house: an intermediary's houses are its own."""
    return None if ctx is not None and ctx.principal.role == "intermediary" else jurisdiction


def check_count(what: str, value: int | None) -> None:
    if value is not None and (value < 0 or value > 100_000):
        raise InvalidInput(f"{what} must be a whole number between 0 and 100000")


