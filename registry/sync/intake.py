"""The station's batched intake: a desk's batch applied with the batched use cases (issue #16).

Applying a batch item by item costs a savepoint, a ledger read and a use case (with its
matchings) per item: ~65 statements per desk check-in. Here the check-ins of a batch (a
stay item with the person and document items of the same guest) become ``stays.Arrival``s
applied with ONE ``check_in_many`` (each keeps the desk's instant, clerk and terminal), the
matchings run once, the desk's events go in with one INSERT and the ledger rows with another.
The results are the per-item path's: the same station records, the same ledger, the findings
as notices of the items they concern (a stay's own finding on the stay item, a disagreement
between chip and registry on the item that registered the document, the rest on the stay).

What the fast path does not cover keeps the per-item path, in the same transaction: updates,
residences, employments, heartbeats, a guest with more than one stay or document in the batch,
items whose record is gone. If the fast path refuses (a ``RegistryError``: an unknown room, a
guest already checked in, a typed name that disagrees), its savepoint is rolled back and the
whole batch goes item by item as before, so the refusal rejects only its own items.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Event, Finding, Person, Stay, Venue
from registry.db.sync_models import LedgerEntry
from registry.errors import RegistryError
from registry.matching.codes import CODES
from registry.movements import stays
from registry.sync.identity import rebuild
from registry.sync.payload import from_dict

Item = dict[str, Any]
Row = dict[str, Any]  # a sync_ledger row
PerItem = Callable[[Item], Row]
ITEM_ERRORS = (RegistryError, ValueError, KeyError, TypeError)  # an item's fault, not the DB's
log = logging.getLogger(__name__)
_CHECK_IN_KINDS = {("persons", "insert"), ("documents", "insert"), ("stays", "insert")}


def notice(found: Sequence[Finding]) -> str | None:
    """The station's findings as the notice the desk is shown."""
    if not found:
        return None
    text = "；".join(f"{f.code} {CODES[f.code].label}" for f in found if f.code in CODES)
    return text[:500] or None


def ledger_row(
    venue: Venue,
    item: Item,
    received_at: datetime,
    station_id: uuid.UUID | None,
    reason: str | None = None,
    found: Sequence[Finding] = (),
) -> Row:
    return {
        "venue_id": venue.id,
        "item_id": uuid.UUID(item["id"]),
        "kind": item["table"],
        "desk_id": uuid.UUID(item["record"]),
        "station_id": station_id,
        "result": "rejected" if reason else "accepted",
        "reason": reason,
        "notice": None if reason else notice(found),
        "applied_at": received_at,
    }


def applied(session: Session, venue_id: uuid.UUID, items: Sequence[Item]) -> dict[str, Row]:
    """The ledger rows of the items already applied (one statement for the batch)."""
    ids = [uuid.UUID(i["id"]) for i in items]
    if not ids:
        return {}
    found = session.scalars(
        select(LedgerEntry).where(LedgerEntry.venue_id == venue_id, LedgerEntry.item_id.in_(ids))
    )
    return {
        str(e.item_id): {
            "item_id": e.item_id,
            "result": e.result,
            "reason": e.reason,
            "notice": e.notice,
        }
        for e in found
    }


def write_ledger(session: Session, rows: Sequence[Row]) -> None:
    if rows:
        session.execute(insert(LedgerEntry.__table__), list(rows))


@dataclass
class _Guest:
    """One check-in of the batch: its stay item and the person and document items with it."""

    stay: Item
    person: Item | None = None
    document: Item | None = None


def _desk_person(item: Item) -> str | None:
    if item["table"] == "persons":
        return str(item["record"])
    person = item["data"].get("person")
    return str(person["id"]) if isinstance(person, dict) and person.get("id") else None


def split(items: Sequence[Item]) -> tuple[list[_Guest], list[Item], list[Item]]:
    """Check-ins for the fast path, other items for the per-item path, and the events."""
    events = [i for i in items if i["table"] == "events" and i["op"] == "insert"]
    records = [i for i in items if not (i["table"] == "events" and i["op"] == "insert")]
    by_person: dict[str | None, list[Item]] = {}
    for item in records:
        if not item["data"].get("gone"):
            by_person.setdefault(_desk_person(item), []).append(item)
    guests: list[_Guest] = []
    for person, theirs in by_person.items():
        guest = _guest(theirs) if person is not None else None
        if guest is not None:
            guests.append(guest)
    taken = {id(i) for g in guests for i in (g.stay, g.person, g.document) if i is not None}
    return guests, [i for i in records if id(i) not in taken], events


def _guest(theirs: list[Item]) -> _Guest | None:
    """A guest whose items in the batch are one check-in exactly (else: item by item)."""
    kinds = [(i["table"], i["op"]) for i in theirs]
    if any(k not in _CHECK_IN_KINDS for k in kinds) or len(set(kinds)) != len(kinds):
        return None
    got = {i["table"]: i for i in theirs}
    if "stays" not in got:
        return None
    guest = _Guest(got["stays"], got.get("persons"), got.get("documents"))
    doc = guest.stay["data"].get("document") or {}
    if guest.document is not None and str(guest.document["record"]) != str(doc.get("id")):
        return None
    if guest.person is not None:
        with_it = guest.person["data"].get("document") or {}
        if str(with_it.get("id")) != str(doc.get("id")):
            return None
    return guest


def arrivals(
    venue: Venue, guests: Sequence[_Guest], received_at: datetime
) -> list[stays.Arrival]:
    """The check-ins of the batch as arrivals, each at its desk instant, by its clerk,
    reported when the batch reached the station."""
    out = []
    for g in guests:
        s = from_dict(Stay, g.stay["data"]["stay"])
        out.append(
            stays.Arrival(
                str(venue.id),
                s["room"],
                [rebuild(g.stay["data"]["person"], g.stay["data"]["document"])],
                expected_checkout=s.get("expected_checkout"),
                at=s["checked_in_at"],
                clerk=s.get("registered_by") or "sync",
                terminal=s.get("terminal"),
                reported_at=received_at,
            )
        )
    return out


def check_ins(
    session: Session,
    venue: Venue,
    guests: Sequence[_Guest],
    arrivals: Sequence[stays.Arrival],
    received_at: datetime,
) -> list[Row]:
    """Apply the batch's check-ins with one ``check_in_many``; their ledger rows."""
    latest = max((a.at for a in arrivals if a.at is not None), default=None)  # None: now
    done = stays.check_in_many(session, Context("sync", None, latest), arrivals)
    rows = []
    for g, result in zip(guests, done, strict=True):
        reg, stay = result.guests[0], result.stays[0]
        on: dict[int, list[Finding]] = {id(g.stay): []}
        registered_by = g.person if g.person is not None and reg.created else g.document
        for f in result.findings:
            to = g.stay
            if f.code == "PC-DISAGREE" and f.subject_kind == "person" and registered_by:
                to = registered_by
            on.setdefault(id(to), []).append(f)
        for item, station_id in (
            (g.person, reg.person.id),
            (g.document, reg.document.id),
            (g.stay, stay.id),
        ):
            if item is not None:
                rows.append(
                    ledger_row(venue, item, received_at, station_id, None, on.get(id(item), []))
                )
    return rows


def fast(
    session: Session, venue: Venue, guests: Sequence[_Guest], received_at: datetime
) -> list[Row] | None:
    """The check-ins in a savepoint; None when one refused (the savepoint is rolled back)."""
    try:
        wanted = arrivals(venue, guests, received_at)
    except (RegistryError, ValueError, KeyError, TypeError) as exc:  # a malformed item
        log.info("intake: item by item (%s)", type(exc).__name__)
        return None
    before = set(session.identity_map.keys())
    try:
        with session.begin_nested():
            rows = check_ins(session, venue, guests, wanted, received_at)
            session.flush()
            return rows
    except RegistryError as exc:
        log.info("intake: item by item (%s)", type(exc).__name__)
        # Rows written around the unit of work (``insert_now``) are unknown to the savepoint:
        # forget their objects, whose rows the rollback removed.
        for key in set(session.identity_map.keys()) - before:
            obj = session.identity_map.get(key)
            if obj is not None:
                session.expunge(obj)
        return None


def events(
    session: Session,
    venue: Venue,
    desk_venue: str,
    items: Sequence[Item],
    received_at: datetime,
    station_of: dict[str, uuid.UUID],
) -> list[Row]:
    """The desk's events with one INSERT, ids translated to station records (the ledger)."""
    parsed: list[tuple[Item, dict[str, Any] | str]] = []
    for item in items:
        try:
            e = from_dict(Event, item["data"]["event"])
            parsed.append((item, e))
        except (ValueError, KeyError, TypeError) as exc:
            parsed.append((item, str(exc)[:300] or type(exc).__name__))
    wanted = [e for _, e in parsed if isinstance(e, dict)]
    ids = [e["id"] for e in wanted]
    there = set(session.scalars(select(Event.id).where(Event.id.in_(ids)))) if ids else set()
    subjects = {
        str(e["subject_id"])
        for e in wanted
        if e.get("subject_id") is not None and e.get("subject_kind") != "venue"
    } - set(station_of)
    mapping = dict(station_of)
    if subjects:
        for desk_id, station_id in session.execute(
            select(LedgerEntry.desk_id, LedgerEntry.station_id).where(
                LedgerEntry.venue_id == venue.id,
                LedgerEntry.desk_id.in_([uuid.UUID(s) for s in subjects]),
                LedgerEntry.result == "accepted",
                LedgerEntry.station_id.is_not(None),
            )
        ):
            mapping.setdefault(str(desk_id), station_id)
    keys = {i["data"].get("person_key") for i, _ in parsed} - {None}
    persons: dict[str, uuid.UUID] = {}
    if keys:
        found = session.execute(select(Person.id_key, Person.id).where(Person.id_key.in_(keys)))
        persons = {key: pid for key, pid in found}
    new, rows = [], []
    for item, e in parsed:
        if not isinstance(e, dict):
            rows.append(ledger_row(venue, item, received_at, None, e))
            continue
        rows.append(ledger_row(venue, item, received_at, e["id"]))
        if e["id"] in there:
            continue
        there.add(e["id"])
        if e.get("subject_id") is not None and e["subject_kind"] != "venue":
            e["subject_id"] = mapping.get(str(e["subject_id"])) or e["subject_id"]
        if e["subject_kind"] == "venue" and str(e.get("subject_id")) == desk_venue:
            e["subject_id"] = venue.id
        if item["data"].get("person_key"):
            e["person_id"] = persons.get(item["data"]["person_key"])
        detail = dict(e.get("detail") or {})
        if detail.get("venue") == desk_venue:
            detail["venue"] = str(venue.id)
        e["detail"] = detail
        new.append(e)
    columns = [c.key for c in Event.__table__.columns]
    if new:
        session.execute(
            insert(Event.__table__), [{c: e.get(c) for c in columns if c in e} for e in new]
        )
    return rows


def apply_new(
    session: Session,
    venue: Venue,
    desk_venue: str,
    items: Sequence[Item],
    received_at: datetime,
    per_item: PerItem,
) -> list[Row]:
    """Apply items not in the ledger yet; their ledger rows (written), in the items' order.

    ``per_item`` is the item-by-item path: it applies one item in a savepoint and writes its
    ledger row itself (later items of the batch may look their records up there).
    """
    guests, others, evs = split(items)
    rows: dict[int, Row] = {}
    if guests:
        fast_rows = fast(session, venue, guests, received_at)
        if fast_rows is None:
            return [per_item(item) for item in items]  # today's path for the whole batch
        write_ledger(session, fast_rows)
        by_id = {r["item_id"]: r for r in fast_rows}
        for g in guests:
            for item in (g.person, g.document, g.stay):
                if item is not None:
                    rows[id(item)] = by_id[uuid.UUID(item["id"])]
    for item in others:
        rows[id(item)] = per_item(item)
    station_of = {
        str(r["desk_id"]): r["station_id"]
        for r in rows.values()
        if r["result"] == "accepted" and r["station_id"] is not None
    }
    if evs:
        event_rows = events(session, venue, desk_venue, evs, received_at, station_of)
        write_ledger(session, event_rows)
        for item, row in zip(evs, event_rows, strict=True):
            rows[id(item)] = row
    return [rows[id(item)] for item in items]
