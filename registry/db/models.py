"""The registry's tables as typed SQLAlchemy mappings.

Two co-location groups keep the schema Citus-ready (performance.md §4.3): person-centric
(persons, documents, stays) and place-centric (houses, residences, employers, employments,
findings). Foreign keys stay inside a group or point at small reference tables
(jurisdictions, venues); links across groups (residence → person) are plain UUID columns the
use cases keep consistent. Every large table carries its jurisdiction code.

Links are valid-time intervals: a stay is [checked_in_at, checked_out_at), a residence and an
employment are [valid_from, valid_to) in days. History is never overwritten: ending a link
sets its upper bound, and every change is also an append-only ``Event``.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, HasCoLocatedId, HasId, UTCDateTime
from registry.db.voiding import Voidable


class Jurisdiction(Base):
    """A node of city → district → station → community → grid; rules inherit downwards."""

    __tablename__ = "jurisdictions"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdictions.code"))
    # Materialised path "/city/district/.../code/" so a subtree is one indexed LIKE.
    path: Mapped[str] = mapped_column(String(400), index=True)


class Person(HasId, Base):
    """One canonical record per (document type, normalised number)."""

    __tablename__ = "persons"

    # Unique through ``natural_keys`` (kept by triggers): a Citus-ready home for the key.
    id_key: Mapped[str] = mapped_column(String(64), index=True)
    doc_type: Mapped[str] = mapped_column(String(24))
    number: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(100))
    name_pinyin: Mapped[str] = mapped_column(String(400), default="")
    name_initials: Mapped[str] = mapped_column(String(200), default="")
    english_name: Mapped[str | None] = mapped_column(String(120))
    gender: Mapped[str] = mapped_column(String(1), default="0")
    ethnicity: Mapped[str | None] = mapped_column(String(2))
    birth_date: Mapped[date | None] = mapped_column(Date)
    nationality: Mapped[str | None] = mapped_column(String(3))
    hukou_address: Mapped[str | None] = mapped_column(String(200))
    hukou_region: Mapped[str | None] = mapped_column(String(6))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    category: Mapped[str] = mapped_column(String(16))  # local / floating / hmt / foreign
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Document(HasCoLocatedId, Base):
    """An identity document of a person, with how it was last captured."""

    __tablename__ = "documents"
    __table_args__ = (
        PrimaryKeyConstraint("person_id", "id"),
        Index("ix_documents_person_number", "person_id", "doc_type", "number"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    doc_type: Mapped[str] = mapped_column(String(24))
    number: Mapped[str] = mapped_column(String(32))
    issuer: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # NULL with long_term = 长期
    long_term: Mapped[bool] = mapped_column(Boolean, default=False)
    capture: Mapped[str] = mapped_column(String(8))  # chip / manual
    reader_id: Mapped[str | None] = mapped_column(String(100))
    sam_id: Mapped[str | None] = mapped_column(String(64))
    chip_serial: Mapped[str | None] = mapped_column(String(32))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)  # raw WLT, kept once per document
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    # What the chip said, kept to compare with the registry's person (PC-DISAGREE).
    card_name: Mapped[str | None] = mapped_column(String(100))
    card_gender: Mapped[str | None] = mapped_column(String(1))
    card_birth_date: Mapped[date | None] = mapped_column(Date)
    card_ethnicity: Mapped[str | None] = mapped_column(String(2))
    card_address: Mapped[str | None] = mapped_column(String(200))
    extras: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Venue(HasId, Base):
    """A hotel, rental intermediary, service station or employer site."""

    __tablename__ = "venues"

    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Room(HasId, Base):
    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("venue_id", "number"),)

    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venues.id"))
    number: Mapped[str] = mapped_column(String(32))
    beds: Mapped[int | None] = mapped_column(Integer)


class House(HasCoLocatedId, Base):
    """A house with its standard address, landlord, use and declared capacity."""

    __tablename__ = "houses"
    __table_args__ = (PrimaryKeyConstraint("jurisdiction_code", "id"),)

    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    street: Mapped[str | None] = mapped_column(String(100))
    building: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(32))
    room: Mapped[str | None] = mapped_column(String(32))
    door_plate: Mapped[str | None] = mapped_column(String(64), index=True)
    landlord_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # person (other group)
    use: Mapped[str] = mapped_column(String(16), default="rental")
    rooms: Mapped[int | None] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer)
    filing_number: Mapped[str | None] = mapped_column(String(64))
    pledge_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Employer(HasId, Base):
    """An employer; ``registered`` is false when only an employment report named it."""

    __tablename__ = "employers"

    name: Mapped[str] = mapped_column(String(200), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    industry: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(300))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    headcount: Mapped[int | None] = mapped_column(Integer)
    registered: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Stay(Voidable, HasCoLocatedId, Base):
    """A hotel guest's stay: [checked_in_at, checked_out_at) at a venue and room."""

    __tablename__ = "stays"
    __table_args__ = (
        PrimaryKeyConstraint("person_id", "id"),
        ForeignKeyConstraint(
            ["person_id", "document_id"], ["documents.person_id", "documents.id"]
        ),
        Index("ix_stays_person_open", "person_id", "checked_out_at"),
        Index("ix_stays_venue_open", "venue_id", "checked_out_at"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venues.id"))
    room: Mapped[str] = mapped_column(String(32))
    jurisdiction_code: Mapped[str] = mapped_column(String(32), index=True)
    party_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # co-guests of one registration
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expected_checkout: Mapped[date | None] = mapped_column(Date)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capture: Mapped[str] = mapped_column(String(8))  # chip / manual
    document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    registered_by: Mapped[str] = mapped_column(String(64))
    terminal: Mapped[str | None] = mapped_column(String(64))
    report_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Residence(Voidable, HasCoLocatedId, Base):
    """A person living in a house over [valid_from, valid_to) days."""

    __tablename__ = "residences"
    __table_args__ = (
        PrimaryKeyConstraint("jurisdiction_code", "id"),
        ForeignKeyConstraint(
            ["jurisdiction_code", "house_id"],
            ["houses.jurisdiction_code", "houses.id"],
            onupdate="CASCADE",
        ),
        Index("ix_residences_person", "person_id", "valid_to"),
        Index("ix_residences_house", "house_id", "valid_to"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    house_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    jurisdiction_code: Mapped[str] = mapped_column(String(32), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    planned_end: Mapped[date | None] = mapped_column(Date)
    relation: Mapped[str] = mapped_column(String(16), default="tenant")
    reporter: Mapped[str] = mapped_column(String(16), default="self")
    end_reason: Mapped[str | None] = mapped_column(String(200))
    capture: Mapped[str] = mapped_column(String(8))
    document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    registered_by: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report_deadline: Mapped[date] = mapped_column(Date)
    departure_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departure_deadline: Mapped[date | None] = mapped_column(Date)


class Employment(HasCoLocatedId, Base):
    """A person working for an employer over [valid_from, valid_to) days."""

    __tablename__ = "employments"
    __table_args__ = (
        PrimaryKeyConstraint("jurisdiction_code", "id"),
        Index("ix_employments_person", "person_id", "valid_to"),
        Index("ix_employments_employer", "employer_id", "valid_to"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    employer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("employers.id"))
    jurisdiction_code: Mapped[str] = mapped_column(String(32), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    post: Mapped[str | None] = mapped_column(String(100))
    end_reason: Mapped[str | None] = mapped_column(String(200))
    registered_by: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Finding(HasCoLocatedId, Base):
    """A mismatch or overdue item of the three matchings, open until resolved."""

    __tablename__ = "findings"
    __table_args__ = (
        PrimaryKeyConstraint("jurisdiction_code", "id"),
        Index("ix_findings_key_open", "key", "resolved_at"),
    )

    code: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(200))  # code:subject_kind:subject_id
    jurisdiction_code: Mapped[str] = mapped_column(String(32), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    detail: Mapped[str] = mapped_column(String(500), default="")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(200))


class Event(HasId, Base):
    """Append-only journal: who did what, when, from which terminal. Never updated."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_subject", "subject_kind", "subject_id"),)

    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    terminal: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    jurisdiction_code: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
