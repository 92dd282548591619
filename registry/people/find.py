"""Finding a registered person by a document number, with and without the caller's scope check."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db.models import Person
from registry.errors import InvalidInput, NotFound
from registry.identity.ids import parse
from registry.privacy import access

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def find_person(session: Session, number: str) -> Person:
    """The registered person with this document number (any document type), or with this
    person id (the UUID ``registry.lookup.refs.resolve_person`` hands on)."""
    return access.guard(session, access.check_person, person_by_number(session, number))


def person_by_number(session: Session, number: str) -> Person:
    """``find_person`` without the scope check: for use cases that checked the place.

    ``number`` is a document number or a person id in its 36-character form (no document
    number has hyphens in that pattern). Raises ``InvalidInput``/``InvalidNumber`` and
    ``NotFound``."""
    if number and _UUID.fullmatch(number.strip()):
        found = session.get(Person, uuid.UUID(number.strip()))
        if found is None:
            raise NotFound(f"no person with id {number.strip()[:8]} is registered")
        return found
    idn = parse(number) if number else None
    if idn is None:
        raise InvalidInput("an ID number is needed")
    person = session.scalar(select(Person).where(Person.id_key == idn.key))
    if person is None:
        raise NotFound(f"no person with ID number {idn.masked} is registered")
    return person


