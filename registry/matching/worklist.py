"""The coordinator's work list: run the matchings over a jurisdiction subtree and list what
is open, each finding with its person and its place (``laiqu check``, the demo, the service's
findings). A run is audited: it reads the persons of the findings it lists."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Employer, Employment, Finding, House, Person, Residence, Stay, Venue
from registry.matching import checks
from registry.privacy import access, audit
from registry.progress import Progress


@dataclass(frozen=True)
class Worklist:
    opened: list[Finding]  # found by this run
    findings: list[tuple[Finding, Person | None]]  # everything open, by code and age
    any_resolved: bool  # some finding of the registry was resolved already
    places: dict[uuid.UUID, str]  # finding id -> the house, employer or hotel it is about


def run_check(
    session: Session,
    ctx: Context,
    jurisdiction: str | None = None,
    code: str | None = None,
    progress: Progress | None = None,  # (subjects checked, subjects): see checks.refresh
) -> Worklist:
    """Refresh the findings of ``jurisdiction`` (None: everywhere the user may act) for one
    finding ``code`` or all, then list the open ones with their persons and places; audited
    (``findings.checked``, the persons listed as subjects).

    Raises ``NotFound`` (unknown jurisdiction or code) and ``OutOfScope``.
    """
    ctx = access.acting(session, ctx)
    opened = checks.check(session, ctx, jurisdiction, [code] if code else None, progress)
    found = checks.open_findings(session, jurisdiction, code)
    ids = {f.person_id for f in found if f.person_id}
    rows = session.scalars(select(Person).where(Person.id.in_(ids))) if ids else []
    people = {p.id: p for p in rows}
    resolved = select(Finding.id).where(Finding.resolved_at.is_not(None)).limit(1)
    audit.note(
        session,
        ctx,
        "read",
        "findings.checked",
        persons=list(people.values()),
        where=jurisdiction,
        code=code,
        opened=len(opened),
        count=len(found),
    )
    return Worklist(
        opened,
        [(f, people.get(f.person_id) if f.person_id else None) for f in found],
        session.scalar(resolved) is not None,
        places_of(session, found),
    )


def _chunks(ids: Iterable[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    items = sorted(set(ids), key=str)
    for i in range(0, len(items), 1000):
        yield items[i : i + 1000]


def places_of(session: Session, findings: Sequence[Finding]) -> dict[uuid.UUID, str]:
    """The place each finding is about, as a user names it: the house's address (a house, a
    residence, a move-out), the employer's name (an employer, a job), the hotel and room (a
    stay). Findings about a person alone have no place. One query per kind of subject."""
    by_kind: dict[str, list[uuid.UUID]] = {}
    for f in findings:
        by_kind.setdefault(f.subject_kind, []).append(f.subject_id)
    names: dict[uuid.UUID, str] = {}
    for chunk in _chunks(by_kind.get("house", [])):
        query = select(House.id, House.address).where(House.id.in_(chunk))
        names.update((key, name) for key, name in session.execute(query))
    for chunk in _chunks(by_kind.get("employer", [])):
        query = select(Employer.id, Employer.name).where(Employer.id.in_(chunk))
        names.update((key, name) for key, name in session.execute(query))
    for chunk in _chunks(by_kind.get("residence", []) + by_kind.get("departure", [])):
        query = (
            select(Residence.id, House.address)
            .join(House, House.id == Residence.house_id)
            .where(Residence.id.in_(chunk))
        )
        names.update((key, name) for key, name in session.execute(query))
    for chunk in _chunks(by_kind.get("employment", [])):
        query = (
            select(Employment.id, Employer.name)
            .join(Employer, Employer.id == Employment.employer_id)
            .where(Employment.id.in_(chunk))
        )
        names.update((key, name) for key, name in session.execute(query))
    for chunk in _chunks(by_kind.get("stay", [])):
        query = (
            select(Stay.id, Venue.name, Stay.room)
            .join(Venue, Venue.id == Stay.venue_id)
            .where(Stay.id.in_(chunk))
        )
        names.update((sid, f"{venue} {room} 房") for sid, venue, room in session.execute(query))
    return {f.id: names[f.subject_id] for f in findings if f.subject_id in names}
