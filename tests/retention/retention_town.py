"""The report tests' town (tests/reports/report_town.py), then every stay and residence closed
in June 2026 except P1's new home, and a job of P2 that ended: what a purge years later meets.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))

from report_town import (
    CITY,
    G1,
    GUESTS,
    P1,
    P2,
    P3,
    P4,
    P5,
    P6,
    P7,
    P8,
    S1,
    S2,
    at,
    build,
)

from registry.context import Context
from registry.movements.employment import end_job, start_job
from registry.movements.residences import move_in, move_out
from registry.movements.stays import check_out
from registry.places import employers

__all__ = ["CITY", "G1", "GUESTS", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "S1", "S2"]

USCC_BODY = "91440300MA5F00001"


def uscc() -> str:
    from stdnum.cn import uscc as std

    return USCC_BODY + std.calc_check_digit(USCC_BODY)


def later(ctx: Context, year: int, month: int = 6, day: int = 15) -> Context:
    """The clock years after the town was built (10:00 in Shanghai)."""
    return ctx.at(datetime(year, month, day, 2, tzinfo=UTC))


def build_closed(sf: sessionmaker[Session], ctx: Context) -> dict[str, str]:
    """The town with its records closed in June 2026; P1 lives on in H3, P6 in H3."""
    ids = build(sf, ctx)
    june = at(ctx, date(2026, 6, 1))
    with sf.begin() as s:
        check_out(s, june, "百花旅馆", room="101")
        emp = employers.add_employer(s, june, "百花电子厂", uscc(), S1)
        ids["E1"] = str(emp.record.id)
    with sf.begin() as s:
        start_job(s, at(ctx, date(2026, 6, 2)), ids["E1"], P2.number, on=date(2026, 6, 2))
    with sf.begin() as s:
        end_job(s, at(ctx, date(2026, 6, 5)), ids["E1"], P2.number, on=date(2026, 6, 5))
    out = [("H1", P1), ("H1", P2), ("H3", P5), ("H1", P6), ("H2", P7), ("H2", P4)]
    for house, who in out:
        with sf.begin() as s:
            move_out(s, at(ctx, date(2026, 6, 10)), ids[house], who.number, on=date(2026, 6, 10))
    with sf.begin() as s:  # P1 moves on: a record that is kept
        move_in(s, at(ctx, date(2026, 6, 10)), ids["H3"], P1, on=date(2026, 6, 10))
    return ids


