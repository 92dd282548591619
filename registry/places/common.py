"""What the place use cases share: the change they report, and the one resolver of a record
reference (``by_ref``: a full id, an id prefix as lists print it, or a natural key)."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.idrefs import MAX_CANDIDATES, SHORT, distinct_prefixes, id_prefix, id_range
from registry.db.models import Finding
from registry.errors import Ambiguous, InvalidInput, NotFound
from registry.identity.codes import INDUSTRY_SECTIONS
from registry.privacy import access

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Changed(Generic[T]):
    """A record a use case created or changed, and the findings that opened because of it."""

    record: T
    findings: list[Finding]


def by_ref(
    session: Session,
    model: type[R],
    ref: str,
    *,
    kind: str,
    label: Callable[[R], str],
    natural: Callable[[str], R | None] | None = None,
    get: Callable[[uuid.UUID], R | None] | None = None,
) -> R:
    """The one resolver of a place reference (venue, house, employer), in this order:

    1. the full id (32 hexadecimal characters, hyphens optional): ``get`` or ``session.get``;
    2. the record's natural key (``natural``: a venue's name, a door plate, a credit code or
       name; it raises its own ``Ambiguous`` when several records share it); when the text
       also reads as the start of another record's id, ``Ambiguous`` listing both;
    3. an id prefix of 8 or more characters (``id_prefix``), as lists print it, among the
       records the bound user may see (``access.visible_clause``: a prefix never tells a
       scoped user about a record outside the scope); several: ``Ambiguous`` listing each
       (``label`` and the prefix that tells it apart), so the user can choose.

    No scope check of the record returned: the ``resolve_*`` callers guard it. Raises
    ``InvalidInput`` (empty), ``NotFound`` (``"{kind} '{ref}' is not registered"``) and
    ``Ambiguous``.
    """
    text = (ref or "").strip()
    if not text:
        raise InvalidInput(f"a {kind} is needed: its id (8 or more characters) or its name")
    shown = text if len(text) <= 40 else text[:40] + "…"  # a message repeats at most 40
    hexa = id_prefix(text)
    if hexa is not None and len(hexa) == 32:
        whole = uuid.UUID(hexa)
        found = get(whole) if get is not None else session.get(model, whole)
        if found is not None:
            return found
        raise NotFound(f"{kind} {shown!r} is not registered")
    named = natural(text) if natural is not None else None
    if hexa is None:
        if named is not None:
            return named
        raise NotFound(f"{kind} {shown!r} is not registered")
    column: Any = model.id  # type: ignore[attr-defined]
    query = select(model).where(*id_range(column, hexa))
    visible = access.visible_clause(session, model)
    if visible is not None:
        query = query.where(visible)
    found_all = list(session.scalars(query.limit(MAX_CANDIDATES + 1)))
    if named is not None and named not in found_all:
        if not found_all:
            return named
        # A name or door plate that reads like the start of another record's id: neither
        # wins (a house whose door plate is another's id prefix must not take its tenants).
        listed = _listed([named, *found_all[: MAX_CANDIDATES - 1]], label, len(hexa) + 4)
        raise Ambiguous(
            f"{text} names {len(found_all) + 1} {kind}s, by name and by the start of an id: "
            f"{listed}; give the id in brackets"
        )
    if len(found_all) == 1:
        return found_all[0]
    if found_all:
        listed = _listed(found_all[:MAX_CANDIDATES], label)
        raise Ambiguous(
            f"{text} is the start of {len(found_all)} {kind} ids: {listed}; give more characters"
        )
    raise NotFound(f"{kind} {shown!r} is not registered")


def _listed(records: list[Any], label: Callable[[Any], str], at_least: int = SHORT) -> str:
    """Candidates as an ``Ambiguous`` message lists them: ``label [prefix]``, each prefix one
    that tells it from the others (``at_least`` characters or more)."""
    prefixes = distinct_prefixes([r.id for r in records], at_least)
    return ", ".join(f"{label(r)} [{prefixes[r.id]}]" for r in records)


def place_scope(ctx: Context | None, jurisdiction: str) -> str | None:
    """The jurisdiction to check for a new house: an intermediary's houses are its own."""
    return None if ctx is not None and ctx.principal.role == "intermediary" else jurisdiction


def check_count(what: str, value: int | None) -> None:
    if value is not None and (value < 0 or value > 100_000):
        raise InvalidInput(f"{what} must be a whole number between 0 and 100000")


def check_industry(code: str | None) -> str | None:
    """An industry section of GB/T 4754-2017 (A–T), upper-cased; ``None`` stays ``None``.
    ``InvalidInput`` naming the valid sections otherwise."""
    if code is None or not code.strip():
        return None
    section = unicodedata.normalize("NFKC", code).strip().upper()
    if section not in INDUSTRY_SECTIONS:
        raise InvalidInput(f"industry {code.strip()!r} is not a GB/T 4754 section (A-T)")
    return section
