"""Registration deadlines and thresholds, with the national defaults.

Issue #3 makes these per-jurisdiction rules with effective dates; until then every
jurisdiction uses the defaults here (domain-rules.md A1-A2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Defaults:
    movein_days: int = 3  # register a residence within 3 days of moving in
    moveout_days: int = 3  # cancel it within 3 days of moving out
    foreign_guest_hours: int = 24  # foreign and HMT hotel guests reported within 24 hours
    domestic_guest_minutes: int = 0  # domestic hotel guests: immediately
    stay_grace_hours: int = 12  # after the local end of the expected check-out day
    no_house_stay_days: int = 30  # a hotel stay longer than this needs a residence
    coordinator_ratio: int = 400  # floating persons per coordinator


DEFAULTS = Defaults()


def residence_deadline(moved_in: date, rules: Defaults = DEFAULTS) -> date:
    """Last day on which a move-in may be reported on time."""
    return moved_in + timedelta(days=rules.movein_days)


def departure_deadline(moved_out: date, rules: Defaults = DEFAULTS) -> date:
    return moved_out + timedelta(days=rules.moveout_days)


def stay_report_deadline(
    category: str, checked_in_at: datetime, rules: Defaults = DEFAULTS
) -> datetime:
    """When a hotel stay must have reached the police: 24 h for foreign/HMT guests."""
    if category in ("foreign", "hmt"):
        return checked_in_at + timedelta(hours=rules.foreign_guest_hours)
    return checked_in_at + timedelta(minutes=rules.domestic_guest_minutes)
