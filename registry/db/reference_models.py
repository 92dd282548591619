"""The version of the registry's reference data (issue #16).

One row: a counter that every write of jurisdictions, venues, rooms and rules bumps (triggers
of migration 0011, whatever wrote the row). A process caches reference data
(``registry.db.refcache``) and keeps it while the version it read is the current one.
"""

from sqlalchemy import BigInteger, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base


class ReferenceVersion(Base):
    __tablename__ = "reference_version"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
