"""Natural keys that must be unique across the whole registry, in a table of their own.

A person's ``id_key`` (document type + number) and a residence permit's number are unique
registry-wide, but their rows live in tables distributed by the person
(``registry.db.distribution``), where a unique key must contain the distribution column. So
the key's uniqueness lives here, in a table distributed by the key itself: the classic
reverse-index table of a sharded database. Triggers (migration 0014) keep it in step with
``persons`` and ``permits`` on both engines: an insert of a taken key fails with the
engine's integrity error, exactly as a unique index on the owner table did.
"""

import uuid

from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base


class NaturalKey(Base):
    """``key`` is ``person:<id_key>`` or ``permit:<number>``; ``owner_id`` the row holding it."""

    __tablename__ = "natural_keys"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
