"""What a user reads about persons: a person's file and a search, scope-checked and audited.

``person_file`` is ``laiqu person show`` (and the service's look-up): the person, their
documents, where they are registered now and their open findings. ``search_persons`` runs the
indexed search tiers (``registry.lookup.search``) and keeps the persons the user may see,
audited as one read with them as subjects; a search text made of digits is audited masked.
``search_all`` (``laiqu person search``) also keeps the houses the tiers found, each with its
tenants today, and the venues the text names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.idrefs import id_prefix, id_range
from registry.db.models import Document, Finding, Person, Venue
from registry.errors import NotFound
from registry.identity.ids import mask
from registry.lookup import placesearch, records, refs, search
from registry.lookup.records import Interval
from registry.privacy import access, auditing
from registry.privacy.audit import Viewed


@dataclass(frozen=True)
class PersonFile:
    """A person as ``person show`` prints them."""

    person: Person
    documents: list[Document]
    current: list[Interval]  # stays, residences and jobs without an end
    findings: list[Finding]  # open, oldest first


def person_file(
    session: Session, ctx: Context, number: str, *, reveal_reason: str | None = None
) -> PersonFile:
    """The file of the person with this document number; audited as a read, or as a reveal
    when ``reveal_reason`` is given (``records.read_person``).

    Raises ``InvalidInput`` (no number, empty reason), ``NotFound``, ``OutOfScope``.
    """
    person = records.read_person(session, ctx, number, reveal_reason=reveal_reason)
    documents = session.scalars(
        select(Document).where(Document.person_id == person.id).order_by(Document.created_at)
    )
    findings = session.scalars(
        select(Finding)
        .where(Finding.person_id == person.id, Finding.resolved_at.is_(None))
        .order_by(Finding.found_at)
    )
    current = [i for i in records.history(session, person.id) if i.end is None]
    return PersonFile(person, list(documents), current, list(findings))


_DIGITS = re.compile(r"[0-9Xx]{6,}")


def shown_query(text: str) -> str:
    """A search text as it may be shown or audited: runs of 6 or more digits (numbers,
    phones) masked wherever they stand, at most 100 characters."""
    return _DIGITS.sub(lambda m: mask(m.group(0)), text.strip())[:100]


def search_persons(
    session: Session, ctx: Context, text: str, limit: int = search.DEFAULT_LIMIT
) -> list[tuple[Person, str]]:
    """Persons matching ``text`` (best first, at most ``limit``) with how each matched
    (``search.TIERS``), only those the user may see; audited as ``person.searched``.

    Raises ``OutOfScope`` for a role that may not read persons (analyst), audited."""
    hits = [h for h in search.search(session, text, limit) if h.kind == "person"]
    ids = [h.id for h in hits]
    rows = session.scalars(select(Person).where(Person.id.in_(ids))) if ids else []
    by_id = {p.id: p for p in rows}
    found = [(by_id[h.id], h.match) for h in hits if h.id in by_id][:limit]
    shown = records.screen(
        session, ctx, [p for p, _ in found], "person.searched", query=shown_query(text)
    )
    keep = {p.id for p in shown}
    return [(p, how) for p, how in found if p.id in keep]


@dataclass(frozen=True)
class Found:
    """What ``person search`` lists: persons (with how each matched), houses with their
    tenants today, and venues."""

    persons: list[tuple[Person, str]]
    houses: list[placesearch.HouseHit]
    venues: list[Venue]


def search_all(
    session: Session, ctx: Context, text: str, limit: int = search.DEFAULT_LIMIT
) -> Found:
    """``search_persons``, plus the houses of the same search (an address fragment) that the
    user may see, each with who lives there today, and the venues whose name or address holds
    the text; one audit entry (``person.searched``) with every person shown as its subject.
    When no person matches and the text reads as an id prefix (8 or more hexadecimal
    characters, the reference a list row prints), the persons whose id starts with it
    (match ``id_ref``).

    Raises ``OutOfScope`` for a role that may not read persons (analyst), audited."""
    hits = search.search(session, text, limit)
    wanted = [h.id for h in hits if h.kind == "person"]
    rows = session.scalars(select(Person).where(Person.id.in_(wanted))) if wanted else []
    by_id = {p.id: p for p in rows}
    matched = [(by_id[h.id], h.match) for h in hits if h.kind == "person" and h.id in by_id]
    if not matched and (prefix := id_prefix(text)) is not None:
        # The reference a list row prints (8+ characters of the person's id): the record.
        same = select(Person).where(*id_range(Person.id, prefix)).limit(limit)
        matched = [(p, "id_ref") for p in session.scalars(same)]
    houses, venues = placesearch.found_places(session, ctx, hits, text, limit)
    tenants = [t.person for h in houses for t in h.tenants]
    shown = records.screen(
        session,
        ctx,
        [p for p, _ in matched] + tenants,
        "person.searched",
        query=shown_query(text),
        houses=len(houses),
        venues=len(venues),
    )
    keep = {p.id for p in shown}
    houses = [
        placesearch.HouseHit(h.house, h.match, [t for t in h.tenants if t.person.id in keep])
        for h in houses
    ]
    return Found([(p, how) for p, how in matched if p.id in keep], houses, venues)


def who_viewed(session: Session, ctx: Context, ref: str) -> tuple[str, list[Viewed]]:
    """``audit who-viewed``: every audited act that touched the person ``ref`` names (any form
    ``refs.resolve_person`` takes: full number, id or id prefix, last digits, masked number),
    for an admin; returns the masked number and the entries, and is audited itself.

    A full number nobody holds any more (purged, or never registered) is still looked up by
    its keyed hash (``privacy.auditing.who_viewed_number``). Raises ``OutOfScope`` (not an
    admin), ``InvalidInput``, ``NotFound`` and ``Ambiguous`` as ``resolve_person`` does."""
    ctx = access.require(session, ctx, "audit.read")
    try:
        person = refs.resolve_person(session, ctx, ref)
    except NotFound:
        if not refs.is_full_number(ref):
            raise
        return auditing.who_viewed_number(session, ctx, ref)
    return auditing.who_viewed_person(session, ctx, person)
