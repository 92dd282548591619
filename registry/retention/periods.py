"""How long each kind of record is kept (PIPL Art 19): the retention rules in force for a
jurisdiction on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from registry.matching import rules

ANONYMOUS = "anonymous"  # persons.doc_type of a de-identified person


KINDS = ("stays", "residences", "employments")


CHUNK = 500  # ids per IN list (SQLite binds at most 32766 parameters)


RESOLUTION = "保存期满，已匿名化"


@dataclass(frozen=True)
class Periods:
    """Retention periods in years in force in one jurisdiction on one day."""

    stays: int
    residences: int
    employments: int
    audit: int


def periods(session: Session, jurisdiction_code: str, day: date) -> Periods:
    """The periods in force; the audit minimum of 3 years is also enforced when read."""
    r = rules.effective(session, jurisdiction_code, day)
    return Periods(
        r.retention_stay_years,
        r.retention_residence_years,
        r.retention_employment_years,
        max(r.retention_audit_years, AUDIT_MINIMUM_YEARS),
    )


AUDIT_MINIMUM_YEARS = rules.LIMITS["retention_audit_years"][0]


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (29 February becomes 28)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


