"""Tables of issue #9: the desk outbox, sync batches, the station's ledger of applied uploads.

The outbox is filled by database triggers (migration 0006) in the transaction of the change,
whatever inserted the row (ORM or Core). ``seq`` is local to one desk and only orders its
queue; the item's ``id`` is the stable identity the station's ledger remembers.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, UTCDateTime

# Tables whose inserts and updates are queued, in the order the station applies kinds.
TRACKED = ("persons", "documents", "stays", "residences", "employments", "events")
STATES = ("pending", "sent", "accepted", "rejected")


class OutboxItem(Base):
    """One change of a tracked row waiting to reach the station (or its outcome)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_seq", "state", "seq"),
        Index("ix_outbox_record", "record_id"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    table_name: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    op: Mapped[str] = mapped_column(String(8))  # insert / update
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    reason: Mapped[str | None] = mapped_column(String(300))  # why rejected
    notice: Mapped[str | None] = mapped_column(String(500))  # what the station found


class CaptureOff(Base):
    """While a row is here, the triggers queue nothing (a station applying uploads)."""

    __tablename__ = "sync_capture_off"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)


class LedgerEntry(Base):
    """Station side: an upload item applied once, and the record it became."""

    __tablename__ = "sync_ledger"
    __table_args__ = (Index("ix_sync_ledger_desk", "venue_id", "desk_id"),)

    venue_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    desk_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    station_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    result: Mapped[str] = mapped_column(String(10))  # accepted / rejected
    reason: Mapped[str | None] = mapped_column(String(300))
    notice: Mapped[str | None] = mapped_column(String(500))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Heartbeat(Base):
    """Station side: a venue reported a day (check-ins may be zero: silence is not zero)."""

    __tablename__ = "sync_heartbeats"

    venue_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    checkins: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
