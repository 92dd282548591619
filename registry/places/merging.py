"""Merging duplicate venues, houses and employers, and removing ones nothing refers to.

A merge moves every reference of the duplicate to the survivor (stays, rooms, entrusted houses,
users, the upload ledger and heartbeats of a venue; residences and entrustments of a house;
employments of an employer), voided records included, then removes the duplicate; it is
journalled (``<kind>.merged`` on both) and audited. Remove takes only a record nothing refers
to (else ``Refused``, suggesting a merge). Journal events keep the ids they were written with.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db import refcache, voiding
from registry.db.access_models import ManagedHouse, RegistryUser
from registry.db.models import Employer, Employment, Finding, House, Residence, Room, Stay, Venue
from registry.db.sync_models import Heartbeat, LedgerEntry
from registry.errors import InvalidInput, Refused
from registry.matching import checks
from registry.places.employers import employer_by_ref
from registry.places.houses import house_by_ref
from registry.places.venues import venue_by_ref
from registry.privacy import access, journal


@dataclass
class Merged:
    """What a merge moved onto the survivor: rows per table, and findings it opened."""

    kind: str  # venue / house / employer
    survivor_id: uuid.UUID
    survivor_name: str
    gone_id: uuid.UUID
    moved: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def _count(session: Session, column: object, value: uuid.UUID) -> int:
    with voiding.included(session):
        return int(session.scalar(select(func.count()).where(column == value)) or 0)


def _moved(
    session: Session,
    model: type,
    column: object,
    old: uuid.UUID,
    new: uuid.UUID,
    **also: object,
) -> int:
    """Point ``column`` of ``model``'s rows from ``old`` to ``new`` (and set ``also``)."""
    result = session.execute(
        update(model)
        .where(column == old)
        .values({column.key: new, **also})  # type: ignore[attr-defined]
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _pair(kind: str, keep: object, gone: object) -> None:
    if keep is gone:
        raise InvalidInput(f"a {kind} cannot be merged into itself")


def _across(kind: str, keep: Any, gone: Any, across: bool) -> None:
    """``Refused`` for two records of different jurisdictions unless ``across`` says the user
    means it: a merge cannot be undone, and the duplicate's stays or residences move to the
    survivor's station (checked after the scope, so a user outside it is refused as such)."""
    if keep.jurisdiction_code != gone.jurisdiction_code and not across:
        raise Refused(
            f"the {kind}s are in different jurisdictions ({keep.jurisdiction_code} kept, "
            f"{gone.jurisdiction_code} merged): give across to merge them"
        )


def _entrusted(session: Session, column: object, old: uuid.UUID, new: uuid.UUID) -> int:
    """Move entrustments (``managed_houses``) from ``old`` to ``new``, dropping duplicates."""
    other = ManagedHouse.venue_id if column is ManagedHouse.house_id else ManagedHouse.house_id
    have = set(session.scalars(select(other).where(column == new)))
    rows = list(session.scalars(select(ManagedHouse).where(column == old)))
    for row in rows:
        if getattr(row, other.key) in have:  # type: ignore[attr-defined]
            session.delete(row)
    session.flush()
    return _moved(session, ManagedHouse, column, old, new)


def merge_venues(
    session: Session, ctx: Context, keep_ref: str, gone_ref: str, *, across: bool = False
) -> Merged:
    """Merge venue ``gone_ref`` into ``keep_ref`` (same kind): its stays, rooms (the
    survivor's numbers win), entrusted houses, users, upload ledger and heartbeats move to the
    survivor, and the duplicate is removed; across jurisdictions the findings about the moved
    stays and their guests move to the survivor's. ``InvalidInput`` (the same venue, other
    kinds), ``NotFound``/``Ambiguous``, ``OutOfScope`` (both jurisdictions are checked)."""
    keep, gone = venue_by_ref(session, keep_ref), venue_by_ref(session, gone_ref)
    _pair("venue", keep, gone)
    ctx = access.require(session, ctx, "place.write", jurisdiction=keep.jurisdiction_code)
    ctx = access.require(session, ctx, "place.write", jurisdiction=gone.jurisdiction_code)
    _across("venue", keep, gone, across)
    if keep.kind != gone.kind:
        raise InvalidInput(f"{gone.name} is a {gone.kind} and {keep.name} a {keep.kind}")
    refcache.writing(session)
    done = Merged("venue", keep.id, keep.name, gone.id)
    keep.address = keep.address or gone.address  # what the duplicate knew is not lost
    numbers = set(session.scalars(select(Room.number).where(Room.venue_id == keep.id)))
    session.execute(delete(Room).where(Room.venue_id == gone.id, Room.number.in_(numbers or {""})))
    done.moved["rooms"] = _moved(session, Room, Room.venue_id, gone.id, keep.id)
    done.moved["stays"] = _moved(session, Stay, Stay.venue_id, gone.id, keep.id)
    _moved_rows_code(session, Stay.venue_id, keep.id, keep.jurisdiction_code, "stay")
    done.moved["entrusted"] = _entrusted(session, ManagedHouse.venue_id, gone.id, keep.id)
    done.moved["users"] = _moved(session, RegistryUser, RegistryUser.venue_id, gone.id, keep.id)
    days = set(session.scalars(select(Heartbeat.day).where(Heartbeat.venue_id == keep.id)))
    if days:
        session.execute(
            delete(Heartbeat).where(Heartbeat.venue_id == gone.id, Heartbeat.day.in_(days))
        )
    _moved(session, Heartbeat, Heartbeat.venue_id, gone.id, keep.id)
    _moved(session, LedgerEntry, LedgerEntry.venue_id, gone.id, keep.id)
    _journal_merge(session, ctx, done, keep.jurisdiction_code, gone.jurisdiction_code, gone.name)
    session.flush()
    session.execute(delete(Venue).where(Venue.id == gone.id))
    session.expunge(gone)
    if keep.jurisdiction_code != gone.jurisdiction_code:  # the guests' findings follow them
        here = select(Stay.person_id).where(Stay.venue_id == keep.id)
        persons = set(session.scalars(here.where(Stay.checked_out_at.is_(None))))
        done.findings = checks.refresh(session, ctx, checks.Scope(persons=persons))
    return done


def remove_venue(session: Session, ctx: Context, ref: str) -> Venue:
    """Remove a venue nothing refers to (no stay, voided ones included, no entrusted house,
    user or upload); its rooms go with it. ``Refused`` naming what refers to it (merge it
    instead), ``NotFound``/``Ambiguous``/``OutOfScope``."""
    venue = venue_by_ref(session, ref)
    ctx = access.require(session, ctx, "place.write", jurisdiction=venue.jurisdiction_code)
    uses = {
        "stays": _count(session, Stay.venue_id, venue.id),
        "entrusted houses": _count(session, ManagedHouse.venue_id, venue.id),
        "users": _count(session, RegistryUser.venue_id, venue.id),
        "uploads": _count(session, LedgerEntry.venue_id, venue.id)
        + _count(session, Heartbeat.venue_id, venue.id),
    }
    _refuse_used("venue", venue.name, uses)
    refcache.writing(session)
    journal.record(
        session,
        ctx,
        "venue.removed",
        "venue",
        venue.id,
        jurisdiction=venue.jurisdiction_code,
        name=venue.name,
    )
    session.execute(delete(Room).where(Room.venue_id == venue.id))
    session.delete(venue)
    session.flush()
    return venue


def merge_houses(
    session: Session, ctx: Context, keep_ref: str, gone_ref: str, *, across: bool = False
) -> Merged:
    """Merge house ``gone_ref`` into ``keep_ref``: residences (voided ones included) and
    entrustments move to the survivor, the duplicate's findings are re-checked away and the
    survivor's re-checked (two households in one house may overcrowd it), the duplicate is
    removed. ``InvalidInput`` (the same house), ``NotFound``/``Ambiguous``/``OutOfScope``."""
    keep, gone = house_by_ref(session, keep_ref), house_by_ref(session, gone_ref)
    _pair("house", keep, gone)
    ctx = access.require(session, ctx, "place.write", jurisdiction=keep.jurisdiction_code)
    ctx = access.require(session, ctx, "place.write", jurisdiction=gone.jurisdiction_code)
    _across("house", keep, gone, across)
    done = Merged("house", keep.id, keep.address, gone.id)
    # One statement: a residence's (jurisdiction, house) is a key of the house's (migration 0014).
    done.moved["residences"] = _moved(
        session,
        Residence,
        Residence.house_id,
        gone.id,
        keep.id,
        jurisdiction_code=keep.jurisdiction_code,
    )
    _findings_follow(
        session, Residence.house_id, keep.id, keep.jurisdiction_code, "residence", "departure"
    )
    done.moved["entrusted"] = _entrusted(session, ManagedHouse.house_id, gone.id, keep.id)
    _journal_merge(session, ctx, done, keep.jurisdiction_code, gone.jurisdiction_code, gone.address)
    session.flush()
    session.execute(delete(House).where(House.id == gone.id))
    session.expunge(gone)
    done.findings = checks.refresh(session, ctx, checks.Scope(houses={keep.id, gone.id}))
    return done


def _moved_rows_code(
    session: Session, column: Any, place_id: uuid.UUID, code: str, subject_kind: str
) -> None:
    """Rows moved to another place take its jurisdiction (every large table carries one), and
    so do the findings about them (``_findings_follow``)."""
    model = column.class_
    session.execute(
        update(model)
        .where(column == place_id, model.jurisdiction_code != code)
        .values(jurisdiction_code=code)
        .execution_options(synchronize_session=False)
    )
    _findings_follow(session, column, place_id, code, subject_kind)


def _findings_follow(
    session: Session, column: Any, place_id: uuid.UUID, code: str, *subject_kinds: str
) -> None:
    """Findings about the records now at ``place_id`` (a PH-LATE on a stay, open or closed)
    belong to its jurisdiction: a merge across jurisdictions leaves none with the old
    station, whose coordinator could no longer see the record."""
    with voiding.included(session):
        rows = select(column.class_.id).where(column == place_id)
        session.execute(
            update(Finding)
            .where(
                Finding.subject_kind.in_(subject_kinds),
                Finding.subject_id.in_(rows),
                Finding.jurisdiction_code != code,
            )
            .values(jurisdiction_code=code)
            .execution_options(synchronize_session=False)
        )


def remove_house(session: Session, ctx: Context, ref: str) -> House:
    """Remove a house nothing refers to (no residence, voided ones included, no entrustment).
    ``Refused`` naming what refers to it (merge it instead), ``NotFound``/``OutOfScope``."""
    house = house_by_ref(session, ref)
    ctx = access.require(session, ctx, "place.write", jurisdiction=house.jurisdiction_code)
    uses = {
        "residences": _count(session, Residence.house_id, house.id),
        "entrustments": _count(session, ManagedHouse.house_id, house.id),
    }
    _refuse_used("house", house.address, uses)
    journal.record(
        session, ctx, "house.removed", "house", house.id, jurisdiction=house.jurisdiction_code
    )
    session.delete(house)
    session.flush()
    checks.refresh(session, ctx, checks.Scope(houses={house.id}))
    return house


def merge_employers(
    session: Session, ctx: Context, keep_ref: str, gone_ref: str, *, across: bool = False
) -> Merged:
    """Merge employer ``gone_ref`` into ``keep_ref``: employments move to the survivor, the
    findings of both are re-checked, the duplicate is removed (an unregistered employer that
    employment reports named is merged into the registered one this way). ``InvalidInput``
    (the same employer), ``NotFound``/``Ambiguous``/``OutOfScope``."""
    keep, gone = employer_by_ref(session, keep_ref), employer_by_ref(session, gone_ref)
    _pair("employer", keep, gone)
    ctx = access.require(session, ctx, "place.write", jurisdiction=keep.jurisdiction_code)
    ctx = access.require(session, ctx, "place.write", jurisdiction=gone.jurisdiction_code)
    _across("employer", keep, gone, across)
    done = Merged("employer", keep.id, keep.name, gone.id)
    keep.address = keep.address or gone.address
    keep.industry = keep.industry or gone.industry
    done.moved["employments"] = _moved(
        session, Employment, Employment.employer_id, gone.id, keep.id
    )
    _moved_rows_code(session, Employment.employer_id, keep.id, keep.jurisdiction_code, "employment")
    _journal_merge(session, ctx, done, keep.jurisdiction_code, gone.jurisdiction_code, gone.name)
    session.flush()
    session.execute(delete(Employer).where(Employer.id == gone.id))
    session.expunge(gone)
    done.findings = checks.refresh(session, ctx, checks.Scope(employers={keep.id, gone.id}))
    return done


def remove_employer(session: Session, ctx: Context, ref: str) -> Employer:
    """Remove an employer nothing refers to (no employment). ``Refused`` naming what refers
    to it (merge it instead), ``NotFound``/``Ambiguous``/``OutOfScope``."""
    employer = employer_by_ref(session, ref)
    ctx = access.require(session, ctx, "place.write", jurisdiction=employer.jurisdiction_code)
    _refuse_used(
        "employer",
        employer.name,
        {"employments": _count(session, Employment.employer_id, employer.id)},
    )
    journal.record(
        session,
        ctx,
        "employer.removed",
        "employer",
        employer.id,
        jurisdiction=employer.jurisdiction_code,
        name=employer.name,
    )
    session.delete(employer)
    session.flush()
    checks.refresh(session, ctx, checks.Scope(employers={employer.id}))
    return employer


def _refuse_used(kind: str, name: str, uses: dict[str, int]) -> None:
    used = ", ".join(f"{n} {what}" for what, n in uses.items() if n)
    if used:
        raise Refused(f"the {kind} {name} is referred to by {used}; merge it into another instead")


def _journal_merge(
    session: Session, ctx: Context, done: Merged, keep_code: str, gone_code: str, gone_name: str
) -> None:
    journal.record_all(
        session,
        ctx,
        [
            journal.entry(
                f"{done.kind}.merged",
                done.kind,
                done.survivor_id,
                jurisdiction=keep_code,
                merged=done.gone_id,
                **{f"moved_{k}": v for k, v in done.moved.items()},
            ),
            journal.entry(
                f"{done.kind}.merged_away",
                done.kind,
                done.gone_id,
                jurisdiction=gone_code,
                into=done.survivor_id,
                name=gone_name if done.kind != "house" else None,
            ),
        ],
    )
