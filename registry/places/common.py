"""What the place use cases share: the change they report, id references and the scope guard of a
resolver."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Finding
from registry.errors import InvalidInput
from registry.identity.codes import INDUSTRY_SECTIONS

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


def same_text_key(text: str) -> str:
    """The form two names or addresses are compared in: NFKC (full-width letters, digits and
    spaces become half-width), no whitespace at all, case folded. ``"华师路 １号"`` and
    ``"华师路1号"`` are the same address."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def check_industry(code: str | None) -> str | None:
    """An industry section of GB/T 4754-2017 (A–T), upper-cased; ``None`` stays ``None``.
    ``InvalidInput`` naming the valid sections otherwise."""
    if code is None or not code.strip():
        return None
    section = unicodedata.normalize("NFKC", code).strip().upper()
    if section not in INDUSTRY_SECTIONS:
        raise InvalidInput(f"industry {code.strip()!r} is not a GB/T 4754 section (A-T)")
    return section
