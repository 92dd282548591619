"""Tables of issue #8: registry users, their roles and scopes, and the hash-chained audit log.

A user is a database login (PostgreSQL) or a local account (SQLite) mapped to a role and a
scope (a jurisdiction subtree or a venue). The audit log is append-only (triggers) and each
entry carries the hash of the one before it; ``audit_head`` points at the last entry, so a
truncated tail is noticed too. Subjects are person ids plus a keyed hash of the document key,
never a number in clear.
"""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, HasId, UTCDateTime


class RegistryUser(HasId, Base):
    """An identity (login or OS account) allowed to use the registry, with role and scope."""

    __tablename__ = "registry_users"

    login: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    jurisdiction_code: Mapped[str | None] = mapped_column(String(32))
    venue_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    name: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ManagedHouse(Base):
    """A house a rental intermediary manages (the intermediary's scope)."""

    __tablename__ = "managed_houses"

    house_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    venue_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One audited act: a read, search, reveal, export, report, write or refusal."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_pending_id", "pending_id", unique=True),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    terminal: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(12))  # read/reveal/export/report/write/refused/admin
    action: Mapped[str] = mapped_column(String(48))
    purpose: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, hashed as is
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The ``audit_pending`` id it was chained from (None: appended directly, or before 0012).
    pending_id: Mapped[int | None] = mapped_column(BigInteger)


class AuditPending(Base):
    """An entry written by its transaction, not yet chained (revision 0012).

    A writer inserts here without touching any shared row; one chainer at a time moves the
    committed rows into ``audit_log`` in id order (``registry.privacy.audit.chain``). ``mac``
    is the keyed MAC of the entry's own fields and id, so only the link is deferred.
    ``subjects``: JSON ``[[person id, id hash or null], ...]``.
    """

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    terminal: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(48))
    purpose: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text)
    subjects: Mapped[str] = mapped_column(Text)
    mac: Mapped[str] = mapped_column(String(64))


class AuditSubject(Base):
    """A person an audit entry touched: id, and a keyed hash of the document key."""

    __tablename__ = "audit_subjects"
    __table_args__ = (Index("ix_audit_subjects_id_hash", "id_hash"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)
    id_hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The single row naming the last entry of the chain; the chainer locks it to append
    (writers never touch it from revision 0012: they write ``audit_pending``)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditKey(Base):
    """The key of the subjects' keyed hash (HMAC-SHA256 of ``doc_type:number``)."""

    __tablename__ = "audit_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(64))
