"""Tables of issue #3: per-jurisdiction rules, study records, residence permits, endorsements.

``rules`` and ``permit_endorsements`` are append-only (triggers in migration 0002): a rule
change is a new row effective from its date, an endorsement is a new row. Permits and studies
are person-centric and carry the jurisdiction code (Citus-ready); the person is a plain UUID
where it crosses co-location groups.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, HasCoLocatedId, HasId, UTCDateTime


class RuleRow(HasId, Base):
    """One setting of one rule at one jurisdiction node, from ``effective_from`` on.

    ``value`` NULL means "inherit again from the parent" from that date. Never updated.
    """

    __tablename__ = "rules"
    __table_args__ = (Index("ix_rules_lookup", "jurisdiction_code", "name", "effective_from"),)

    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"))
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[int | None] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(200))


class Study(HasCoLocatedId, Base):
    """A person studying at a school over [valid_from, valid_to) days (连续就读)."""

    __tablename__ = "studies"
    __table_args__ = (
        PrimaryKeyConstraint("person_id", "id"),
        Index("ix_studies_person", "person_id", "valid_to"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    jurisdiction_code: Mapped[str] = mapped_column(String(32), index=True)
    school: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    registered_by: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Permit(HasCoLocatedId, Base):
    """A residence permit (居住证) issued by the registry, with its endorsement cycle.

    ``years_from`` is where the count of residence years starts (the issue day, or the day of a
    late endorsement); ``cycle`` counts the on-time endorsements since then; ``due_on`` is the
    anniversary the next endorsement is due by (add_years(years_from, cycle + 1)).
    """

    __tablename__ = "permits"
    __table_args__ = (
        PrimaryKeyConstraint("person_id", "id"),
        Index("ix_permits_person", "person_id", "revoked_on"),
    )

    # Unique through ``natural_keys`` (kept by triggers), as persons' ``id_key``.
    number: Mapped[str] = mapped_column(String(40), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    city_code: Mapped[str] = mapped_column(String(32))
    jurisdiction_code: Mapped[str] = mapped_column(String(32), index=True)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    issued_on: Mapped[date] = mapped_column(Date)
    years_from: Mapped[date] = mapped_column(Date)
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Endorsement(HasCoLocatedId, Base):
    """One annual endorsement (签注); a late one records the suspension it ends. Never updated."""

    __tablename__ = "permit_endorsements"
    __table_args__ = (
        PrimaryKeyConstraint("person_id", "id"),
        ForeignKeyConstraint(["person_id", "permit_id"], ["permits.person_id", "permits.id"]),
        Index("ix_permit_endorsements_permit", "permit_id", "endorsed_on"),
    )

    permit_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    jurisdiction_code: Mapped[str] = mapped_column(String(32))
    endorsed_on: Mapped[date] = mapped_column(Date)
    anniversary: Mapped[date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_from: Mapped[date | None] = mapped_column(Date)
    years_from: Mapped[date] = mapped_column(Date)
    endorsed_by: Mapped[str] = mapped_column(String(64))
    endorsed_at: Mapped[datetime] = mapped_column(UTCDateTime)
