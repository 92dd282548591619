"""What each kind of upload item becomes at the station: a call of the core use case.

Every handler runs at the desk's instant (so deadlines and matchings see the desk's time)
and returns the station record the item became and the findings it opened. A desk record
and its station record are paired through the ledger (``mapped``): ids differ, because the
station may know the person already, and use cases in other modules choose their own ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import exists, func, insert, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db import voiding
from registry.db.models import (
    Employer,
    Employment,
    Event,
    Finding,
    House,
    Person,
    Residence,
    Stay,
    Venue,
)
from registry.db.sync_models import Heartbeat, LedgerEntry
from registry.errors import NotFound, Refused
from registry.movements import employment, residences, stays
from registry.people import registration
from registry.places.jurisdictions import city_code
from registry.sync import outbox
from registry.sync.identity import rebuild
from registry.sync.payload import from_dict

Item = dict[str, Any]
R = TypeVar("R", Stay, Residence, Employment)


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
    reg = _register(session, venue, data, from_dict(Person, data["person"])["created_at"])
    return reg.person.id, reg.findings


def _register(
    session: Session, venue: Venue, data: dict[str, Any], at: datetime
) -> registration.Registration:
    """Register the uploaded person and document at the station, as of the desk's time."""
    return registration.register_person(
        session,
        _ctx("sync", None, at),
        rebuild(data["person"], data["document"]),
        city=city_code(session, venue.jurisdiction_code),
    )


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
    _, found = registration.correct_person(
        session, _ctx("sync", None, p["updated_at"]), person.number, **changed
    )
    return person.id, found


def _document(session: Session, venue: Venue, item: Item, _at: datetime, _v: str) -> Handled:
    data = item["data"]
    reg = _register(session, venue, data, from_dict(Person, data["person"])["updated_at"])
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
        reported_at=at,  # when the record reached the station
    )
    stay = done.stays[0]
    if s.get("voided_at") is not None:  # voided at the desk before it went up
        _void_stay(session, venue, stay, s)
        return stay.id, []
    return stay.id, done.findings


def _void_stay(session: Session, venue: Venue, stay: Stay, s: dict[str, Any]) -> None:
    person = session.get_one(Person, stay.person_id)
    stays.cancel_check_in(
        session,
        _ctx(s.get("voided_by"), s["terminal"], s["voided_at"]),
        str(venue.id),
        person.number,
        reason=s.get("void_reason") or "前台作废",
    )


def _stay_up(session: Session, venue: Venue, item: Item, at: datetime, _v: str) -> Handled:
    data = item["data"]
    s = from_dict(Stay, data["stay"])
    stay = _mapped(session, venue, item, Stay, "stay")
    if stay.voided_at is not None:
        return stay.id, []
    if s.get("voided_at") is not None:
        _void_stay(session, venue, stay, s)
        return stay.id, []
    if s["room"] != stay.room and stay.checked_out_at is None:
        person = session.get_one(Person, stay.person_id)
        stays.move_room(
            session,
            _ctx(s["registered_by"], s["terminal"], max(at, stay.checked_in_at)),
            str(venue.id),
            person.number,
            s["room"],
        )
    if s["checked_out_at"] is None or stay.checked_out_at is not None:
        return stay.id, []
    person = session.get_one(Person, stay.person_id)
    out = stays.check_out(
        session,
        _ctx(s["registered_by"], s["terminal"], s["checked_out_at"]),
        str(venue.id),
        number=person.number,
        at=s["checked_out_at"],
    )
    return stay.id, out.findings


def _mapped(session: Session, venue: Venue, item: Item, model: type[R], what: str) -> R:
    """The station's record an earlier upload of this desk record became (ledger)."""
    station_id = mapped(session, venue.id, uuid.UUID(item["record"]))
    with voiding.included(session):  # a void sent twice finds the voided record
        record = session.get(model, station_id) if station_id else None
    if record is None:
        rejected = session.scalar(
            select(
                exists().where(
                    LedgerEntry.venue_id == venue.id,
                    LedgerEntry.desk_id == uuid.UUID(item["record"]),
                    LedgerEntry.result == "rejected",
                )
            )
        )
        # the registration itself was refused (e.g. a hotel desk's job start): say so, so the
        # desk reads one cause, not a second one
        cause = ": its registration was rejected" if rejected else ""
        raise Refused(f"the {what} was never registered at the station{cause}")
    return record


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
    if r.get("voided_at") is not None:  # voided at the desk before it went up
        _void_residence(session, done.residence, r)
        return done.residence.id, []
    return done.residence.id, done.findings


def _void_residence(session: Session, residence: Residence, r: dict[str, Any]) -> None:
    person = session.get_one(Person, residence.person_id)
    residences.cancel_move_in(
        session,
        _ctx(r.get("voided_by"), None, r["voided_at"]),
        str(residence.house_id),
        person.number,
        reason=r.get("void_reason") or "前台作废",
    )


def _residence_up(session: Session, venue: Venue, item: Item, _at: datetime, _v: str) -> Handled:
    r = from_dict(Residence, item["data"]["residence"])
    residence = _mapped(session, venue, item, Residence, "residence")
    if residence.voided_at is not None:
        return residence.id, []
    if r.get("voided_at") is not None:
        _void_residence(session, residence, r)
        return residence.id, []
    if r["valid_to"] is None or residence.valid_to is not None:
        return residence.id, []
    person = session.get_one(Person, residence.person_id)
    out = residences.move_out(
        session,
        _ctx(r["registered_by"], None, r["departure_reported_at"] or r["reported_at"]),
        str(residence.house_id),
        person.number,
        on=r["valid_to"],
        reason=r["end_reason"],
    )
    return residence.id, out.findings


def _employer_ref(data: dict[str, Any]) -> tuple[str, str]:
    """How the station finds the desk's employer (credit code, else name), and where it is."""
    e = from_dict(Employer, data["employer"])
    return (e.get("uscc") or e["name"]), e["jurisdiction_code"]


def _job_in(session: Session, venue: Venue, item: Item, _at: datetime, _v: str) -> Handled:
    data = item["data"]
    j = from_dict(Employment, data["employment"])
    p = from_dict(Person, data["person"])
    found: list[Finding] = []
    if session.scalar(select(Person.id).where(Person.id_key == p["id_key"])) is None:
        found = _register(session, venue, data, j["reported_at"]).findings
    ref, jurisdiction = _employer_ref(data)
    job = employment.start_job(
        session,
        _ctx(j["registered_by"], None, j["reported_at"]),
        ref,
        p["number"],
        name=p["name"],
        on=j["valid_from"],
        post=j.get("post"),
        jurisdiction=jurisdiction,
    )
    return job.employment.id, [*found, *job.findings]


def _job_up(session: Session, venue: Venue, item: Item, at: datetime, _v: str) -> Handled:
    j = from_dict(Employment, item["data"]["employment"])
    job = _mapped(session, venue, item, Employment, "employment")
    if j["valid_to"] is None or job.valid_to is not None:
        return job.id, []
    person = session.get_one(Person, job.person_id)
    out = employment.end_job(
        session,
        _ctx(j["registered_by"], None, max(at, j["reported_at"])),
        str(job.employer_id),
        person.number,
        on=j["valid_to"],
        reason=j.get("end_reason"),
    )
    return job.id, out.findings


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
    ("employments", "insert"): _job_in,
    ("employments", "update"): _job_up,
    ("events", "insert"): _event,
    (outbox.HEARTBEAT, "insert"): _heartbeat,
}
