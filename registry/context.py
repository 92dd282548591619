"""Who acts, from where, and what time it is: handed to every use case.

A fixed ``now`` makes deadlines testable; instants are UTC, days are local (Asia/Shanghai by
default) because a day of arrival is a local day. The ``principal`` says what the actor may
see and do (``registry.privacy.access``); library callers that set none act as the unrestricted
``SYSTEM``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Principal:
    """A registry user's role and scope: a jurisdiction subtree (``path``) or a venue."""

    login: str
    role: str  # system / admin / coordinator / desk / intermediary / analyst
    jurisdiction: str | None = None
    path: str | None = None  # materialised path of ``jurisdiction``: "/city/.../code/"
    venue_id: uuid.UUID | None = None

    @property
    def unrestricted(self) -> bool:
        return self.role in ("system", "admin")


SYSTEM = Principal("system", "system")


@dataclass(frozen=True)
class Context:
    actor: str
    terminal: str | None = None
    now_fixed: datetime | None = None
    zone: ZoneInfo = field(default=DEFAULT_ZONE)
    principal: Principal = SYSTEM

    def now(self) -> datetime:
        """The current instant, UTC."""
        return self.now_fixed.astimezone(UTC) if self.now_fixed else datetime.now(UTC)

    def today(self) -> date:
        """The current local day."""
        return self.local_day(self.now())

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def start_of(self, day: date) -> datetime:
        """The UTC instant at which the local ``day`` begins."""
        return datetime.combine(day, time.min, tzinfo=self.zone).astimezone(UTC)

    def end_of(self, day: date) -> datetime:
        return self.start_of(day + timedelta(days=1))

    def at(self, now: datetime) -> Context:
        """The same actor and terminal at another instant (tests, replays)."""
        return replace(self, now_fixed=now)

    def acting_as(self, principal: Principal) -> Context:
        """The same terminal and clock, acting as a registry user."""
        return replace(self, actor=principal.login[:64], principal=principal)
