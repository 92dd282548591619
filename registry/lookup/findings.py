"""One finding, or the findings of one person, as a coordinator reads them before handling
them (``laiqu finding show|ack|list``).

A reference is a finding's id or id prefix (as ``check`` prints it), or anything that names a
person (``refs.resolve_person``): then it stands for that person's findings. Reads are scoped
to the caller's places (``access.places_clause``) and audited with the persons concerned.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Finding, Person
from registry.errors import Ambiguous, NotFound
from registry.lookup import refs
from registry.matching import checks, worklist
from registry.matching.codes import CODES
from registry.privacy import access, audit


@dataclass(frozen=True)
class Item:
    """A finding with its person (None: about a place) and its place (None: about a person)."""

    finding: Finding
    person: Person | None
    place: str | None


@dataclass(frozen=True)
class Findings:
    """What a reference named: one finding, or a person's findings (``person`` set)."""

    person: Person | None
    items: list[Item]


def _items(session: Session, found: list[Finding]) -> list[Item]:
    ids = {f.person_id for f in found if f.person_id}
    people = (
        {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    )
    places = worklist.places_of(session, found)
    return [
        Item(f, people.get(f.person_id) if f.person_id else None, places.get(f.id)) for f in found
    ]


def find_findings(
    session: Session,
    ctx: Context,
    ref: str,
    *,
    code: str | None = None,
    resolved: bool = False,
) -> Findings:
    """The finding ``ref`` names, or the findings of the person it names (open ones; with
    ``resolved`` also those already resolved; only ``code`` when given), oldest first;
    audited (``finding.viewed``).

    Raises ``NotFound``, ``Ambiguous``, ``InvalidInput`` and ``OutOfScope`` (see
    ``refs.resolve_finding`` and ``refs.resolve_person``)."""
    ctx = access.require(session, ctx, "findings.read")
    if code is not None and code not in CODES:
        raise NotFound(f"unknown finding code {code}; codes are {', '.join(CODES)}")
    one = refs.resolve_finding(session, ctx, ref)
    person = None
    if one is not None:
        found = [one]
    else:
        person = refs.resolve_person(session, ctx, ref)
        query = select(Finding).where(
            Finding.person_id == person.id,
            access.places_clause(ctx.principal, Finding.jurisdiction_code),
        )
        if not resolved:
            query = query.where(Finding.resolved_at.is_(None))
        if code is not None:
            query = query.where(Finding.code == code)
        found = list(session.scalars(query.order_by(Finding.found_at)))
    items = _items(session, found)
    shown = [i.person for i in items if i.person] + ([person] if person else [])
    audit.note(
        session,
        ctx,
        "read",
        "finding.viewed",
        persons=shown,
        findings=[str(i.finding.id) for i in items][:50],
    )
    return Findings(person, items)


def acknowledge(
    session: Session, ctx: Context, ref: str, note: str, *, code: str | None = None
) -> Item:
    """Close the one open finding ``ref`` names (a finding, or a person with exactly one open
    finding of ``code`` or of a code that is acknowledged: PH-LATE) with how it was handled
    (``checks.acknowledge``: journaled).

    Raises ``NotFound`` (nothing open), ``Ambiguous`` (several: listed with their id
    prefixes), ``Refused`` (resolved already, no note, or a finding that resolves by itself)
    and ``OutOfScope``."""
    named = find_findings(session, ctx, ref, code=code)
    items = named.items
    if named.person is not None:
        items = [i for i in items if code is not None or i.finding.code in checks.FACT_CODES]
        if not items:
            raise NotFound("this person has no open finding to acknowledge")
        if len(items) > 1:
            prefixes = refs.distinct_prefixes([i.finding.id for i in items])
            listed = ", ".join(f"{i.finding.code} [{prefixes[i.finding.id]}]" for i in items)
            raise Ambiguous(
                f"this person has {len(items)} open findings: {listed}; "
                "choose one by its id prefix in brackets"
            )
    item = items[0]
    closed = checks.acknowledge(session, ctx, item.finding.id, note)
    return Item(closed, item.person, item.place)


def open_items(
    session: Session, ctx: Context, jurisdiction: str | None = None, code: str | None = None
) -> list[Item]:
    """The open findings of the caller's places (of ``jurisdiction``'s subtree, of ``code``)
    without running the matchings (``check`` runs them), each with its person and place;
    audited (``findings.listed``)."""
    ctx = access.require(session, ctx, "findings.read", jurisdiction=jurisdiction)
    items = _items(session, checks.open_findings(session, jurisdiction, code))
    audit.note(
        session,
        ctx,
        "read",
        "findings.listed",
        persons=[i.person for i in items if i.person],
        where=jurisdiction,
        code=code,
        count=len(items),
    )
    return items
