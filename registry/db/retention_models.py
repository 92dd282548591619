"""Tables of issue #8's retention: legal holds that stop a purge.

The retention periods themselves are rules (``registry.matching.rules``:
``retention_*_years``), set per jurisdiction with an effective day like every other rule; only
what rules cannot say lives here.
"""

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, HasId, UTCDateTime


class Hold(HasId, Base):
    """A legal hold (法律保全) on a person: none of their records is purged while it is open.

    Person-centric (the person is a plain UUID, as across co-location groups); released by
    setting ``released_at``, never deleted, so the hold itself stays on record.
    """

    __tablename__ = "retention_holds"
    __table_args__ = (Index("ix_retention_holds_person", "person_id", "released_at"),)

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    reason: Mapped[str] = mapped_column(String(200))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
