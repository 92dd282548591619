"""References a user types to go from a list row to the record: a person or a finding.

Every list prints a short reference on each row (the first 8 characters of the record's id,
``short``). ``resolve_person`` turns what a user types back into the person:

- the full document number (``110105…``), checked like any typed number;
- the person's id (the UUID of ``--json``), or an unambiguous prefix of it (8 or more
  characters, hyphens optional);
- the last digits of the number (4 or more, a final ``X`` allowed), or the masked number a
  list shows (``110105********0111``; ``USA123*****9012`` for a 2017 foreign permanent-resident
  number, ``*****5678`` for a passport), unique among the persons the caller may see.

Only persons in the caller's scope are candidates (``access.persons_clause``), so a scoped
user learns nothing about records outside it. Several candidates are refused with
``Ambiguous`` naming each (name, masked number, id prefix), so the user can choose; the
candidates shown are audited (durable: the refusal rolls the transaction back).

``resolve_finding`` does the same for findings (id or id prefix, within the caller's places).
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.idrefs import MAX_CANDIDATES, distinct_prefixes, id_range
from registry.db.idrefs import SHORT as SHORT
from registry.db.idrefs import short as short
from registry.db.models import Finding, Person
from registry.errors import Ambiguous, InvalidInput, NotFound
from registry.identity.ids import compact, mask
from registry.lookup import search
from registry.people import find
from registry.privacy import access, audit

MIN_DIGITS = 4  # last digits of a number

_FULL_NUMBER = re.compile(r"\d{15}|\d{17}[\dX]|[A-Z]{3}\d{12}")
_HEX = re.compile(r"[0-9a-f]{8,32}")
_DIGITS = re.compile(r"\d{3,17}[\dX]")
# A masked number as ``identity.ids.mask`` prints it: the first 6 characters (numbers of 15 or
# more: a resident, HMT or 2023 foreign number, or a 2017 foreign one such as USA123*****9012)
# or none (a passport: *****5678), stars, the last 4.
_MASKED = re.compile(r"([0-9A-Z]{6})?\*{1,26}([0-9A-Z]{4})")


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def resolve_person(session: Session, ctx: Context, ref: str) -> Person:
    """The person ``ref`` names (see the module's forms), within the caller's scope.

    Raises ``InvalidInput`` (empty or of no known form), ``InvalidNumber`` (a full number that
    cannot be), ``NotFound`` (nobody the caller may see), ``Ambiguous`` (several: the message
    lists them masked, with their id prefixes) and ``OutOfScope`` (a role that may not read
    persons, or a full number or id outside the scope; audited).
    """
    ctx = access.require(session, ctx, "person.read")
    text = (ref or "").strip()
    if not text:
        raise InvalidInput("a person is needed: a document number, an id or the last digits")
    if len(text) > 64:
        raise InvalidInput("a person reference is at most 64 characters")
    whole = _as_uuid(text) if len(text) >= 32 else None
    number = compact(text)
    if whole is not None or _FULL_NUMBER.fullmatch(number):
        try:
            return find.find_person(session, str(whole) if whole else number)
        except NotFound:
            if ctx.principal.unrestricted:
                raise
            # As ``records.read_person``: a stranger and nobody look the same to a scoped user.
            raise access.refuse(session, ctx, "person", "may not read this person") from None
    if number.rstrip("X").isdigit() and len(number) < MIN_DIGITS:
        raise InvalidInput(f"give at least {MIN_DIGITS} last digits of the number")
    found = _candidates(session, ctx, text, number)
    if not found:
        raise NotFound(f"no person you may see matches {_shown(text)}")
    if len(found) > 1:
        raise _ambiguous(session, ctx, text, found)
    return found[0]


def is_full_number(ref: str) -> bool:
    """Whether ``ref`` has the shape of a whole resident, HMT or foreign permanent-resident
    number (a number that may have audit entries although nobody holds it any more)."""
    return bool(_FULL_NUMBER.fullmatch(compact(ref or "")))


def _shown(text: str) -> str:
    """A reference as a message may repeat it: digits masked like a number."""
    return re.sub(r"\d{6,}[\dXx]?", lambda m: mask(m.group(0)), text)[:40]


def _candidates(session: Session, ctx: Context, text: str, number: str) -> list[Person]:
    p = ctx.principal
    scoped = [] if p.unrestricted else [access.persons_clause(session, p, Person.id)]
    limit = MAX_CANDIDATES + 1
    found: dict[uuid.UUID, Person] = {}
    hexa = text.replace("-", "").lower()
    if _HEX.fullmatch(hexa):
        query = select(Person).where(*id_range(Person.id, hexa), *scoped).limit(limit)
        found.update((x.id, x) for x in session.scalars(query))
    plain = number.isascii() and number.isalnum()
    if plain and 5 <= len(number) <= 30:  # the whole number of a passport or a permit
        query = select(Person).where(Person.number == number, *scoped).limit(limit)
        found.update((x.id, x) for x in session.scalars(query))
    masked = _MASKED.fullmatch(number)
    if masked or (len(number) >= MIN_DIGITS and _DIGITS.fullmatch(number)):
        tail = masked.group(2) if masked else number
        query = search.number_suffix(session, tail)(select(Person)).where(*scoped)
        if masked:
            if masked.group(1):
                query = query.where(Person.number.startswith(masked.group(1), autoescape=True))
            query = query.where(Person.number.like("_" * len(number)))
        found.update((x.id, x) for x in session.scalars(query.limit(limit)))
    elif not (_HEX.fullmatch(hexa) or plain):
        raise InvalidInput(
            f"{_shown(text)!r} names no person: give the document number, the id (8 or more "
            "characters) or the last 4 or more digits of the number"
        )
    return sorted(found.values(), key=lambda x: (x.name, x.number))


def _ambiguous(session: Session, ctx: Context, text: str, found: list[Person]) -> Ambiguous:
    shown = found[:MAX_CANDIDATES]
    prefixes = distinct_prefixes([x.id for x in shown])
    listed = ", ".join(f"{x.name} {mask(x.number)} [{prefixes[x.id]}]" for x in shown)
    more = " and more" if len(found) > MAX_CANDIDATES else ""
    audit.note(
        session, ctx, "read", "person.candidates", persons=shown, durable=True, query=_shown(text)
    )
    return Ambiguous(
        f"{_shown(text)} matches {len(shown)}{more} persons: {listed}; "
        "choose one by its id prefix in brackets"
    )


def resolve_finding(session: Session, ctx: Context, ref: str) -> Finding | None:
    """The finding whose id is ``ref`` or starts with it (8 or more hexadecimal characters),
    among the findings of the caller's places; None when no such finding is there (``ref``
    may name a person instead: ``resolve_person``).

    Raises ``Ambiguous`` (a prefix of several: they are listed) and ``OutOfScope`` (a role
    that may not read findings).
    """
    ctx = access.require(session, ctx, "findings.read")
    text = (ref or "").strip()
    hexa = text.replace("-", "").lower()
    if not _HEX.fullmatch(hexa):
        return None
    scoped = access.places_clause(ctx.principal, Finding.jurisdiction_code)
    query = select(Finding).where(*id_range(Finding.id, hexa), scoped).limit(MAX_CANDIDATES + 1)
    found = list(session.scalars(query))
    if not found:
        return None
    if len(found) > 1:
        prefixes = distinct_prefixes([f.id for f in found])
        listed = ", ".join(f"{f.code} [{prefixes[f.id]}]" for f in found[:MAX_CANDIDATES])
        raise Ambiguous(
            f"{text} is the start of {len(found)} finding ids: {listed}; give more characters"
        )
    return found[0]
