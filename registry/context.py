"""Who acts, from where, and what time it is: handed to every use case.

A fixed ``now`` makes deadlines testable; instants are UTC, days are local (Asia/Shanghai by
default) because a day of arrival is a local day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Context:
    actor: str
    terminal: str | None = None
    now_fixed: datetime | None = None
    zone: ZoneInfo = field(default=DEFAULT_ZONE)

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
        return Context(self.actor, self.terminal, now, self.zone)
