"""Upload items built from the desk's outbox at push time: plain JSON-ready dictionaries.

An item carries what the station needs to re-run the use case on its own registry: a stay
comes with its guest's person and document, a residence with its house's address, an
employment with its employer, an event with the key of its person. Rows are read as they are
now; the item's ``op`` says which change it stands for (an insert is applied as the
registration, an update as what changed).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, LargeBinary, Uuid, select
from sqlalchemy.orm import Session

from registry.db import voiding
from registry.db.base import Base, UTCDateTime
from registry.db.models import (
    Document,
    Employer,
    Employment,
    Event,
    House,
    Person,
    Residence,
    Stay,
    Venue,
)
from registry.db.sync_models import OutboxItem
from registry.sync import outbox

MODELS: dict[str, type[Base]] = {
    "persons": Person,
    "documents": Document,
    "stays": Stay,
    "residences": Residence,
    "employments": Employment,
    "events": Event,
}


def row_dict(obj: Base) -> dict[str, Any]:
    """Every column of a row as JSON-ready values (bytes as base64)."""
    return _row_dict(obj)


def _row_dict(obj: Base) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        out[column.key] = value
    return out


def from_dict(model: type[Base], data: dict[str, Any]) -> dict[str, Any]:
    """The column values of ``row_dict`` back in Python types."""
    out: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.key not in data:
            continue
        value = data[column.key]
        if value is not None:
            if isinstance(column.type, Uuid):
                value = uuid.UUID(value)
            elif isinstance(column.type, UTCDateTime):
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:  # as the desk stores instants (UTC)
                    value = value.replace(tzinfo=UTC)
            elif isinstance(column.type, Date):
                value = date.fromisoformat(value)
            elif isinstance(column.type, LargeBinary):
                value = base64.b64decode(value)
        out[column.key] = value
    return out


def venue_identity(venue: Venue) -> dict[str, Any]:
    """Who is sending: the station finds its own venue by id, else by name and jurisdiction."""
    return {
        "id": str(venue.id),
        "name": venue.name,
        "kind": venue.kind,
        "jurisdiction": venue.jurisdiction_code,
    }


def _load(session: Session, model: type[Base], ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    column = model.__table__.c.id
    return {r.id: r for r in session.scalars(select(model).where(column.in_(list(ids))))}


def _documents(session: Session, person_ids: set[uuid.UUID]) -> dict[uuid.UUID, Document]:
    """The latest document of each person (the one a person item is registered with)."""
    latest: dict[uuid.UUID, Document] = {}
    if not person_ids:
        return latest
    for doc in session.scalars(select(Document).where(Document.person_id.in_(list(person_ids)))):
        held = latest.get(doc.person_id)
        if held is None or (doc.created_at, doc.read_at or doc.created_at) > (
            held.created_at,
            held.read_at or held.created_at,
        ):
            latest[doc.person_id] = doc
    return latest


def build(session: Session, items: Sequence[OutboxItem]) -> list[dict[str, Any]]:
    """Upload items for queued items, in queue order; a voided stay or residence goes up as
    it is (with ``voided_at``), so the station voids its record too."""
    with voiding.included(session):
        return _build(session, items)


def _build(session: Session, items: Sequence[OutboxItem]) -> list[dict[str, Any]]:
    by_table: dict[str, set[uuid.UUID]] = {}
    for item in items:
        by_table.setdefault(item.table_name, set()).add(item.record_id)
    rows = {t: _load(session, MODELS[t], ids) for t, ids in by_table.items() if t in MODELS}
    docs = rows.setdefault("documents", {})
    need_docs = {
        r.document_id
        for t in ("stays", "residences")
        for r in rows.get(t, {}).values()
        if r.document_id and r.document_id not in docs
    }
    docs.update(_load(session, Document, need_docs))
    person_ids = {
        r.person_id
        for t in ("documents", "stays", "residences", "employments", "events")
        for r in rows.get(t, {}).values()
        if r.person_id
    }
    persons = {
        **_load(session, Person, person_ids - set(rows.get("persons", {}))),
        **rows.get("persons", {}),
    }
    jobs = rows.get("employments", {})
    latest = _documents(
        session, set(rows.get("persons", {})) | {j.person_id for j in jobs.values()}
    )
    houses = _load(session, House, {r.house_id for r in rows.get("residences", {}).values()})
    employers = _load(session, Employer, {j.employer_id for j in jobs.values()})
    dicts: dict[int, dict[str, Any]] = {}

    def row_dict(obj: Base) -> dict[str, Any]:  # a row goes with several items: built once
        found = dicts.get(id(obj))
        if found is None:
            found = dicts[id(obj)] = _row_dict(obj)
        return found

    out = []
    for item in items:
        data: dict[str, Any] = {}
        if item.table_name == outbox.HEARTBEAT:
            data = {"day": outbox.heartbeat_day(item).isoformat()}
        else:
            row = rows[item.table_name].get(item.record_id)
            if row is None:  # purged at the desk since: nothing left to send
                data = {"gone": True}
            elif item.table_name == "persons":
                doc = latest.get(row.id)
                data = {"person": row_dict(row), "document": doc and row_dict(doc)}
            elif item.table_name == "employments":
                doc = latest.get(row.person_id)
                data = {
                    "employment": row_dict(row),
                    "person": row_dict(persons[row.person_id]),
                    "document": doc and row_dict(doc),
                    "employer": row_dict(employers[row.employer_id]),
                }
            elif item.table_name == "events":
                person = persons.get(row.person_id) if row.person_id else None
                data = {"event": row_dict(row), "person_key": person and person.id_key}
            else:
                doc = row if item.table_name == "documents" else docs.get(row.document_id)
                data = {
                    item.table_name[:-1]: row_dict(row),
                    "person": row_dict(persons[row.person_id]),
                    "document": doc and row_dict(doc),
                }
                if item.table_name == "residences":
                    data["house"] = row_dict(houses[row.house_id])
        out.append(
            {
                "id": str(item.id),
                "seq": item.seq,
                "table": item.table_name,
                "record": str(item.record_id),
                "op": item.op,
                "queued_at": item.created_at.isoformat(),
                "data": data,
            }
        )
    return out
