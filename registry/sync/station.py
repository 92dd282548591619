"""The station applies a desk's upload batch through the core use cases, exactly once.

Each item is looked up in the ledger (venue + item id) first: an item already applied
returns its recorded outcome and changes nothing. A new item runs the use case it stands for
(``stays.check_in``/``check_out``, ``residences.move_in``/``move_out``,
``people.register``/``correct_person``) at the desk's instant, inside a savepoint: a refusal
rejects that item only, with the reason the desk is shown. The station's matchings run on
every applied item, and the findings they open go back to the desk as a notice. The ledger row
is written in the same transaction as the change, so "applied" and "remembered" cannot part.

The desk's journal travels as its own items: the events a use case writes while applying are
left out, so each desk event is at the station once, with ids translated to station records.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, exists, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry import outbox, people, residences, stays
from registry.context import Context
from registry.db.models import Event, Finding, House, Person, Residence, Stay, Venue
from registry.db.sync_models import CaptureOff, Heartbeat, LedgerEntry, OutboxItem
from registry.errors import NotFound, Refused, RegistryError
from registry.finding import CODES
from registry.places import city_code
from registry.sync.identity import rebuild
from registry.sync.payload import from_dict

STATION = "station"  # the permanent sync_capture_off key of a station database
Item = dict[str, Any]
Result = dict[str, str | None]


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


@contextmanager
def _desk_journal_only(session: Session) -> Iterator[None]:
    """Leave out the events the use cases write while applying: the desk's own come as items."""

    def drop(sess: Session, _ctx: object, _instances: object) -> None:
        for obj in list(sess.new):
            if isinstance(obj, Event):
                sess.expunge(obj)

    event.listen(session, "before_flush", drop)
    try:
        yield
        session.flush()
    finally:
        event.remove(session, "before_flush", drop)


def apply_batch(
    session: Session, venue_identity: dict[str, Any], items: Sequence[Item], received_at: datetime
) -> list[Result]:
    """Apply one batch in the caller's transaction; one result per item, in order."""
    venue = find_venue(session, venue_identity)
    become_station(session)
    desk_venue = str(venue_identity.get("id"))
    results = []
    with outbox.suspended(session), _desk_journal_only(session):
        for item in items:
            results.append(_apply(session, venue, desk_venue, item, received_at))
    return results


def _apply(
    session: Session, venue: Venue, desk_venue: str, item: Item, received_at: datetime
) -> Result:
    item_id = uuid.UUID(item["id"])
    done = session.get(LedgerEntry, (venue.id, item_id))
    if done is not None:
        return _result(done, duplicate=True)
    handler = HANDLERS.get((item["table"], "update" if item["op"] == "update" else "insert"))
    record = uuid.UUID(item["record"])
    station_id: uuid.UUID | None = None
    notice = reason = None
    try:
        with session.begin_nested():
            if handler is None:
                raise Refused(f"unknown upload item {item['table']}/{item['op']}")
            if item["data"].get("gone"):
                raise Refused("the record no longer exists at the desk")
            station_id, found = handler(session, venue, item, received_at, desk_venue)
            notice = _notice(found)
    except DBAPIError:
        raise  # the database failed, not the item: the whole batch is retried
    except (RegistryError, ValueError, KeyError, TypeError) as exc:
        reason = str(exc)[:300]
    entry = LedgerEntry(
        venue_id=venue.id,
        item_id=item_id,
        kind=item["table"],
        desk_id=record,
        station_id=station_id,
        result="rejected" if reason else "accepted",
        reason=reason,
        notice=notice,
        applied_at=received_at,
    )
    session.add(entry)
    return _result(entry)


def _result(entry: LedgerEntry, *, duplicate: bool = False) -> Result:
    return {
        "id": str(entry.item_id),
        "state": entry.result,
        "reason": entry.reason,
        "notice": entry.notice,
        "duplicate": "1" if duplicate else None,
    }


def _notice(found: list[Finding]) -> str | None:
    if not found:
        return None
    text = "；".join(f"{f.code} {CODES[f.code].label}" for f in found if f.code in CODES)
    return text[:500] or None


def mapped(session: Session, venue_id: uuid.UUID, desk_id: uuid.UUID) -> uuid.UUID | None:
    """The station record a desk record became (the ledger is the mapping table)."""
    return session.scalar(
        select(LedgerEntry.station_id)
        .where(
            LedgerEntry.venue_id == venue_id,
            LedgerEntry.desk_id == desk_id,
            LedgerEntry.result == "accepted",
            LedgerEntry.station_id.is_not(None),
        )
        .limit(1)
    )


def _ctx(actor: str | None, terminal: str | None, at: datetime) -> Context:
    return Context(actor=(actor or "sync")[:64], terminal=terminal, now_fixed=at)


Handled = tuple[uuid.UUID | None, list[Finding]]


def _person_in(session: Session, venue: Venue, item: Item, _at: datetime, _v: str) -> Handled:
    data = item["data"]
    person = session.scalar(select(Person).where(Person.id_key == data["person"]["id_key"]))
    if person is not None:
        return person.id, []
    p = from_dict(Person, data["person"])
    reg = people.register_person(
        session,
        _ctx("sync", None, p["created_at"]),
        rebuild(data["person"], data["document"]),
        city=city_code(session, venue.jurisdiction_code),
    )
    return reg.person.id, reg.findings


def _person_up(session: Session, venue: Venue, item: Item, at: datetime, v: str) -> Handled:
    data = item["data"]
    person = session.scalar(select(Person).where(Person.id_key == data["person"]["id_key"]))
    if person is None:
        return _person_in(session, venue, item, at, v)
    p = from_dict(Person, data["person"])
    fields = ("name", "gender", "birth_date", "ethnicity", "phone")
    changed = {f: p[f] for f in fields if p[f] is not None and p[f] != getattr(person, f)}
    if not changed:
        return person.id, []
    _, found = people.correct_person(
        session, _ctx("sync", None, p["updated_at"]), person.number, **changed
    )
    return person.id, found


def _document(session: Session, venue: Venue, item: Item, _at: datetime, _v: str) -> Handled:
    data = item["data"]
    d = from_dict(Person, data["person"])
    reg = people.register_person(
        session,
        _ctx("sync", None, d["updated_at"]),
        rebuild(data["person"], data["document"]),
        city=city_code(session, venue.jurisdiction_code),
    )
    return reg.document.id, reg.findings


def _stay_in(session: Session, venue: Venue, item: Item, at: datetime, _v: str) -> Handled:
    data = item["data"]
    s = from_dict(Stay, data["stay"])
    done = stays.check_in(
        session,
        _ctx(s["registered_by"], s["terminal"], s["checked_in_at"]),
        str(venue.id),
        s["room"],
        [rebuild(data["person"], data["document"])],
        expected_checkout=s["expected_checkout"],
    )
    stay = done.stays[0]
    stay.reported_at = max(at, stay.checked_in_at)  # when the record reached the station
    return stay.id, done.findings


def _stay_up(session: Session, venue: Venue, item: Item, _at: datetime, _v: str) -> Handled:
    data = item["data"]
    s = from_dict(Stay, data["stay"])
    station_id = mapped(session, venue.id, uuid.UUID(item["record"]))
    stay = session.get(Stay, station_id) if station_id else None
    if stay is None:
        raise Refused("the stay was never registered at the station")
    if s["checked_out_at"] is None or stay.checked_out_at is not None:
        return stay.id, []
    person = session.get(Person, stay.person_id)
    assert person is not None
    out = stays.check_out(
        session,
        _ctx(s["registered_by"], s["terminal"], s["checked_out_at"]),
        str(venue.id),
        number=person.number,
        at=s["checked_out_at"],
    )
    return stay.id, out.findings


def _house(session: Session, data: dict[str, Any]) -> House:
    h = from_dict(House, data)
    house = session.get(House, h["id"])
    if house is None and h.get("door_plate"):
        house = session.scalar(select(House).where(House.door_plate == h["door_plate"]))
    if house is None:
        house = session.scalar(
            select(House).where(
                House.address == h["address"], House.jurisdiction_code == h["jurisdiction_code"]
            )
        )
    if house is None:
        raise NotFound(f"house {h['address']!r} is not registered at the station")
    return house


def _residence_in(session: Session, _venue: Venue, item: Item, _at: datetime, _v: str) -> Handled:
    data = item["data"]
    r = from_dict(Residence, data["residence"])
    done = residences.move_in(
        session,
        _ctx(r["registered_by"], None, r["reported_at"]),
        str(_house(session, data["house"]).id),
        rebuild(data["person"], data["document"]),
        on=r["valid_from"],
        relation=r["relation"],
        reporter=r["reporter"],
        planned_end=r["planned_end"],
    )
    return done.residence.id, done.findings


def _residence_up(session: Session, venue: Venue, item: Item, _at: datetime, _v: str) -> Handled:
    r = from_dict(Residence, item["data"]["residence"])
    station_id = mapped(session, venue.id, uuid.UUID(item["record"]))
    residence = session.get(Residence, station_id) if station_id else None
    if residence is None:
        raise Refused("the residence was never registered at the station")
    if r["valid_to"] is None or residence.valid_to is not None:
        return residence.id, []
    person = session.get(Person, residence.person_id)
    assert person is not None
    out = residences.move_out(
        session,
        _ctx(r["registered_by"], None, r["departure_reported_at"] or r["reported_at"]),
        str(residence.house_id),
        person.number,
        on=r["valid_to"],
        reason=r["end_reason"],
    )
    return residence.id, out.findings


def _event(session: Session, venue: Venue, item: Item, _at: datetime, desk_venue: str) -> Handled:
    data = item["data"]
    e = from_dict(Event, data["event"])
    if session.scalar(select(exists().where(Event.id == e["id"]))):
        return e["id"], []
    if e.get("subject_id") is not None and e["subject_kind"] != "venue":
        e["subject_id"] = mapped(session, venue.id, e["subject_id"]) or e["subject_id"]
    if e["subject_kind"] == "venue" and str(e.get("subject_id")) == desk_venue:
        e["subject_id"] = venue.id
    if data.get("person_key"):
        e["person_id"] = session.scalar(
            select(Person.id).where(Person.id_key == data["person_key"])
        )
    detail = dict(e.get("detail") or {})
    if detail.get("venue") == desk_venue:
        detail["venue"] = str(venue.id)
    e["detail"] = detail
    session.execute(insert(Event).values(**e))
    return e["id"], []


def _heartbeat(session: Session, venue: Venue, item: Item, at: datetime, _v: str) -> Handled:
    day = datetime.fromisoformat(item["data"]["day"]).date()
    beat = session.get(Heartbeat, (venue.id, day))
    if beat is None:
        ctx = Context("sync")
        checkins = session.scalar(
            select(func.count())
            .select_from(Stay)
            .where(
                Stay.venue_id == venue.id,
                Stay.checked_in_at >= ctx.start_of(day),
                Stay.checked_in_at < ctx.end_of(day),
            )
        )
        session.add(Heartbeat(venue_id=venue.id, day=day, checkins=checkins, received_at=at))
    return None, []


Handler = Callable[[Session, Venue, Item, datetime, str], Handled]
HANDLERS: dict[tuple[str, str], Handler] = {
    ("persons", "insert"): _person_in,
    ("persons", "update"): _person_up,
    ("documents", "insert"): _document,
    ("documents", "update"): _document,
    ("stays", "insert"): _stay_in,
    ("stays", "update"): _stay_up,
    ("residences", "insert"): _residence_in,
    ("residences", "update"): _residence_up,
    ("events", "insert"): _event,
    (outbox.HEARTBEAT, "insert"): _heartbeat,
}
