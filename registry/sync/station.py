"""The station applies a desk's upload batch through the core use cases, exactly once.

The ledger (venue + item id) is read once for the batch: an item already applied returns its
recorded outcome and changes nothing. The check-ins among the new items go together through
``registry.sync.intake`` (one ``check_in_many``); what it does not cover, or a batch it
refuses, goes item by item as described here. A new item runs the use case it stands for
(``stays.check_in``/``check_out``, ``residences.move_in``/``move_out``,
``employment.start_job``/``end_job``, ``people.register``/``correct_person``) at the desk's
instant, inside a savepoint: a refusal rejects that item only, with the reason the desk is
shown. The station's matchings run on
every applied item, and the findings they open go back to the desk as a notice. The ledger row
is written in the same transaction as the change, so "applied" and "remembered" cannot part.

The desk's journal travels as its own items: the events a use case writes while applying are
left out, so each desk event is at the station once, with ids translated to station records.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry.db.models import Finding, Venue
from registry.db.sync_models import CaptureOff, LedgerEntry, OutboxItem
from registry.errors import NotFound, Refused
from registry.privacy import unit
from registry.sync import intake, outbox, vouch
from registry.sync.handlers import HANDLERS, mapped

STATION = "station"  # the permanent sync_capture_off key of a station database
Item = dict[str, Any]
Result = dict[str, str | None]
Row = intake.Row


class UnknownVenue(NotFound):
    """The sending venue is not registered at the station: the batch is refused whole."""


def find_venue(session: Session, identity: dict[str, Any]) -> Venue:
    """The station's venue for a desk: same id, else the same name in the same jurisdiction."""
    try:
        venue = session.get(Venue, uuid.UUID(str(identity.get("id"))))
    except ValueError:
        venue = None
    if venue is None:
        venue = session.scalar(
            select(Venue).where(
                Venue.name == identity.get("name"),
                Venue.jurisdiction_code == identity.get("jurisdiction"),
            )
        )
    if venue is None:
        raise UnknownVenue(
            f"venue {identity.get('name')!r} ({identity.get('jurisdiction')}) is not registered "
            "at the station"
        )
    return venue


def become_station(session: Session) -> None:
    """A database that accepts uploads queues nothing of its own to send upstream."""
    if session.get(CaptureOff, STATION) is None:
        session.add(CaptureOff(key=STATION))
        session.execute(delete(OutboxItem))


def apply_batch(
    session: Session,
    venue_identity: dict[str, Any],
    items: Sequence[Item],
    received_at: datetime,
    uploader: vouch.Uploader | None = None,
) -> list[Result]:
    """Apply one batch in the caller's transaction; one result per item, in order.

    The ledger is read once for the whole batch; the new items go through the batched intake
    (``registry.sync.intake``), which falls back to ``_apply`` item by item when it refuses.
    With an ``uploader`` (the station service's caller), who acted is the uploader and items
    dated in the future are rejected (``registry.sync.vouch``).
    """
    venue = find_venue(session, venue_identity)
    refused = vouch.vouch(list(items), uploader, received_at) if uploader is not None else {}
    become_station(session)
    desk_venue = str(venue_identity.get("id"))
    with outbox.suspended(session), unit.without_events(session):
        known = intake.applied(session, venue.id, items)
        first: dict[str, Item] = {}
        for item in items:
            if item["id"] not in known:
                first.setdefault(item["id"], item)  # an item sent twice in one batch: once

        def one(item: Item) -> Row:
            return _apply(session, venue, desk_venue, item, received_at)

        fresh = [i for i in first.values() if i["id"] not in refused]
        rows = intake.apply_new(session, venue, desk_venue, fresh, received_at, one)
        for item in first.values():  # refused before it is applied: rejected in the ledger
            if item["id"] in refused:
                rows.append(one({**item, "refused": refused[item["id"]]}))
    done = {str(r["item_id"]): r for r in rows}
    results, answered = [], set()
    for item in items:
        again = item["id"] in known or item["id"] in answered
        answered.add(item["id"])
        results.append(
            _result(item["id"], known.get(item["id"]) or done[item["id"]], duplicate=again)
        )
    return results


def _apply(
    session: Session, venue: Venue, desk_venue: str, item: Item, received_at: datetime
) -> Row:
    """One new item through its use case, in a savepoint; its ledger row (added)."""
    # A heartbeat's op is its day (outbox.heartbeat); any other op is insert or update, and
    # an unknown one is refused by name, never taken for an insert.
    op = "insert" if item["table"] == outbox.HEARTBEAT else item["op"]
    handler = HANDLERS.get((item["table"], op))
    station_id: uuid.UUID | None = None
    found: list[Finding] = []
    reason = None
    try:
        with session.begin_nested():
            if item.get("refused"):
                raise Refused(item["refused"])
            if handler is None:
                raise Refused(f"unknown upload item {item['table']}/{item['op']}")
            if item["data"].get("gone"):
                raise Refused("the record no longer exists at the desk")
            station_id, found = handler(session, venue, item, received_at, desk_venue)
    except DBAPIError:
        raise  # the database failed, not the item: the whole batch is retried
    except intake.ITEM_ERRORS as exc:
        reason = str(exc)[:300]
    row = intake.ledger_row(venue, item, received_at, station_id, reason, found)
    session.add(LedgerEntry(**row))  # later items of the batch may look it up (``mapped``)
    return row


def _result(item_id: str, row: Row, *, duplicate: bool = False) -> Result:
    return {
        "id": str(item_id),
        "state": row["result"],
        "reason": row["reason"],
        "notice": row["notice"],
        "duplicate": "1" if duplicate else None,
    }


__all__ = ["HANDLERS", "apply_batch", "find_venue", "mapped"]
