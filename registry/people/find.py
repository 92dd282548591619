"""Finding a registered person by a document number, with and without the caller's scope check."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db.models import Person
from registry.errors import InvalidInput, NotFound
from registry.identity.ids import parse
from registry.privacy import access


def find_person(session: Session, number: str) -> Person:
    """The registered person with this document number (any document type)."""
    return access.guard(session, access.check_person, person_by_number(session, number))


def person_by_number(session: Session, number: str) -> Person:
    """``find_person`` without the scope check: for use cases that checked the place."""
    idn = parse(number) if number else None
    if idn is None:
        raise InvalidInput("an ID number is needed")
    person = session.scalar(select(Person).where(Person.id_key == idn.key))
    if person is None:
        raise NotFound(f"no person with ID number {idn.masked} is registered")
    return person


