"""Aggregate queries of the monthly report: every count is a GROUP BY in SQL.

Results are keyed by jurisdiction code (the leaf a row belongs to) or by a small code
(category, finding code, province prefix, age band), so their size grows with the number
of jurisdictions and codes, never with the number of persons. Additive figures are rolled
up the jurisdiction tree by the caller; distinct-person counts are computed per unit here,
through the (unit, leaf) closure of the tree, so a person living in two grids counts once
in their station.

Intervals: a residence is [valid_from, valid_to) in days and is *active on* a day when
valid_from <= day < valid_to; a month is [first day, first day of next month).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    func,
    literal,
    null,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session, aliased

from registry.db.models import Finding, House, Jurisdiction, Person, Residence, Stay

LOCAL = "local"
# Age bands: (key, lower bound in whole years); the last band is open-ended.
AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("0-15", 0),
    ("16-29", 16),
    ("30-44", 30),
    ("45-59", 45),
    ("60+", 60),
)
UNKNOWN = "?"


@dataclass(frozen=True)
class Unit:
    """A jurisdiction of the report's subtree."""

    code: str
    name: str
    level: str
    parent_code: str | None
    path: str

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/")


def tune(session: Session) -> None:
    """Give the report's hash aggregates room on PostgreSQL (this transaction only)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def subtree(session: Session, root_path: str) -> list[Unit]:
    """The jurisdictions under (and including) the node with ``root_path``, in tree order."""
    rows = session.execute(
        select(
            Jurisdiction.code,
            Jurisdiction.name,
            Jurisdiction.level,
            Jurisdiction.parent_code,
            Jurisdiction.path,
        )
        .where(Jurisdiction.path.startswith(root_path, autoescape=True))
        .order_by(Jurisdiction.path)
    )
    return [Unit(*row) for row in rows]


def _codes_under(root_path: str) -> Select[tuple[str]]:
    return select(Jurisdiction.code).where(Jurisdiction.path.startswith(root_path, autoescape=True))


EVERYWHERE = "/"  # the scope of a report whose subtree is every jurisdiction in the database


def scope_of(session: Session, units: Sequence[Unit]) -> str:
    """The root's path, or ``EVERYWHERE`` when the subtree holds every jurisdiction.

    Then no subtree filter is applied at all: the engines scan instead of probing an
    index once per row (SQLite otherwise walks the jurisdiction index for a whole city).
    """
    total = session.scalar(select(func.count()).select_from(Jurisdiction))
    return EVERYWHERE if total == len(units) else units[0].path


def _in_subtree(column: Any, root_path: str) -> ColumnElement[bool]:
    if root_path == EVERYWHERE:
        return true()
    return column.in_(_codes_under(root_path))


def active_on(day: date) -> list[ColumnElement[bool]]:
    """A residence active on ``day``."""
    return [
        Residence.valid_from <= day,
        or_(Residence.valid_to.is_(None), Residence.valid_to > day),
    ]


def rollup(units: Sequence[Unit], per_leaf: dict[str, int]) -> dict[str, int]:
    """Add each leaf's figure to the leaf and every ancestor of it inside ``units``."""
    paths = {u.code: u.path for u in units}
    out = dict.fromkeys(paths, 0)
    for leaf, n in per_leaf.items():
        for code in paths.get(leaf, "").strip("/").split("/"):
            if code in out:
                out[code] += n
    return out


def floating_by_unit(
    session: Session, units: Sequence[Unit], day: date, scope: str | None = None
) -> dict[str, int]:
    """Distinct floating persons with an active residence on ``day``, per unit of the subtree.

    Counted per leaf in SQL and rolled up the tree; a person with active residences in
    several leaves is then counted once per unit by a correction computed, also in SQL, over
    those persons only (they are PC-TWO-PLACES findings, so few).
    """
    root_path = scope or units[0].path
    where = [
        *active_on(day),
        Person.category != LOCAL,
        _in_subtree(Residence.jurisdiction_code, root_path),
    ]
    pairs_per_leaf = (
        select(Residence.jurisdiction_code.label("leaf"), Residence.person_id)
        .join(Person, Person.id == Residence.person_id)
        .where(*where)
        .distinct()
        .subquery("leaf_people")
    )
    per_leaf = session.execute(
        select(pairs_per_leaf.c.leaf, func.count()).group_by(pairs_per_leaf.c.leaf)
    )
    out = rollup(units, {leaf: int(n) for leaf, n in per_leaf})
    multi = (
        select(Residence.person_id)
        .join(Person, Person.id == Residence.person_id)
        .where(*where)
        .group_by(Residence.person_id)
        # min <> max: more than one leaf, without a sort for COUNT(DISTINCT)
        .having(func.min(Residence.jurisdiction_code) != func.max(Residence.jurisdiction_code))
    )
    pairs = (
        select(Residence.person_id, Residence.jurisdiction_code.label("leaf"))
        .where(
            *active_on(day),
            Residence.person_id.in_(multi),
            _in_subtree(Residence.jurisdiction_code, root_path),
        )
        .distinct()
        .subquery("pairs")
    )
    anc = aliased(Jurisdiction, name="anc")
    leaf = aliased(Jurisdiction, name="leaf")
    per_unit = (
        select(anc.code.label("unit"), (func.count() - 1).label("extra"))
        .select_from(pairs)
        .join(leaf, leaf.code == pairs.c.leaf)
        .join(anc, leaf.path.startswith(anc.path))
        .where(anc.path.startswith(units[0].path, autoescape=True))
        .group_by(anc.code, pairs.c.person_id)
        .subquery("per_unit")
    )
    corrections = session.execute(
        select(per_unit.c.unit, func.sum(per_unit.c.extra)).group_by(per_unit.c.unit)
    )
    for unit, extra in corrections:
        out[unit] -= int(extra or 0)
    return out


def floating_by_month(session: Session, root_path: str, days: Sequence[date]) -> list[int]:
    """Distinct floating persons with an active residence on each of ``days``, in one scan.

    Grouped by person first (one row per person, from the person index), so each person
    counts at most once per day however many residences they hold.
    """
    flags = [
        func.max(
            case(
                (
                    and_(
                        Residence.valid_from <= d,
                        or_(Residence.valid_to.is_(None), Residence.valid_to > d),
                    ),
                    1,
                ),
                else_=0,
            )
        ).label(f"d{i}")
        for i, d in enumerate(days)
    ]
    per_person = (
        select(*flags)
        .join(Person, Person.id == Residence.person_id)
        .where(
            Person.category != LOCAL,
            _in_subtree(Residence.jurisdiction_code, root_path),
            Residence.valid_from <= max(days),
            or_(Residence.valid_to.is_(None), Residence.valid_to > min(days)),
        )
        .group_by(Residence.person_id)
        .subquery("per_person")
    )
    row = session.execute(select(*(func.sum(c) for c in per_person.c))).one()
    return [int(v or 0) for v in row]


def _band(birth: Any, day: date) -> Any:
    whens: list[tuple[ColumnElement[bool], str]] = [(birth.is_(None), UNKNOWN)]
    for (key, _), (_, upper) in itertools.pairwise(AGE_BANDS):
        # Younger than ``upper`` on ``day`` = born after the day ``upper`` years earlier.
        whens.append((birth > years_before(day, upper), key))
    return case(*whens, else_=literal(AGE_BANDS[-1][0]))


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def profile(session: Session, root_path: str, day: date) -> dict[tuple[str | None, str, str], int]:
    """Floating persons on ``day`` by (province prefix, age band, gender code)."""
    people = (
        select(Person.id, Person.hukou_region, Person.birth_date, Person.gender)
        .join(Residence, Residence.person_id == Person.id)
        .where(
            *active_on(day),
            Person.category != LOCAL,
            _in_subtree(Residence.jurisdiction_code, root_path),
        )
        .distinct()
        .subquery("people")
    )
    prefix = func.substr(people.c.hukou_region, 1, 2)
    band = _band(people.c.birth_date, day)
    rows = session.execute(
        select(prefix, band, people.c.gender, func.count()).group_by(prefix, band, people.c.gender)
    )
    return {(p, b, g): int(n) for p, b, g, n in rows}


def moves(session: Session, root_path: str, first: date, after: date) -> dict[str, tuple[int, int]]:
    """Per leaf: residences of floating persons starting and ending in [first, after)."""
    started = case((and_(Residence.valid_from >= first, Residence.valid_from < after), 1), else_=0)
    ended = case((and_(Residence.valid_to >= first, Residence.valid_to < after), 1), else_=0)
    rows = session.execute(
        select(Residence.jurisdiction_code, func.sum(started), func.sum(ended))
        .join(Person, Person.id == Residence.person_id)
        .where(
            Person.category != LOCAL,
            _in_subtree(Residence.jurisdiction_code, root_path),
            or_(
                and_(Residence.valid_from >= first, Residence.valid_from < after),
                and_(Residence.valid_to >= first, Residence.valid_to < after),
            ),
        )
        .group_by(Residence.jurisdiction_code)
    )
    return {code: (int(a or 0), int(d or 0)) for code, a, d in rows}


def _bucket(column: Any, bounds: Sequence[date]) -> Any:
    """Index i of the interval [bounds[i], bounds[i+1]) the column falls in, else NULL."""
    whens = [(column < bound, i - 1) for i, bound in enumerate(bounds) if i > 0]
    return case((column < bounds[0], null()), *whens, else_=null())


def moves_by_month(
    session: Session, root_path: str, bounds: Sequence[date]
) -> list[tuple[int, int]]:
    """Arrivals and departures of floating persons per month; ``bounds`` are month starts."""
    out = [[0, 0] for _ in bounds[1:]]
    for column, slot in ((Residence.valid_from, 0), (Residence.valid_to, 1)):
        bucket = _bucket(column, bounds)
        rows = session.execute(
            select(bucket, func.count())
            .join(Person, Person.id == Residence.person_id)
            .where(
                Person.category != LOCAL,
                _in_subtree(Residence.jurisdiction_code, root_path),
                column >= bounds[0],
                column < bounds[-1],
            )
            .group_by(bucket)
        )
        for index, n in rows:
            if index is not None:
                out[int(index)][slot] = int(n)
    return [(a, d) for a, d in out]


def houses(
    session: Session, root_path: str, day: date, end: datetime
) -> dict[str, tuple[int, int]]:
    """Per leaf: rental houses registered before ``end``, and those with a tenant on ``day``."""
    rental = dict(
        session.execute(
            select(House.jurisdiction_code, func.count())
            .where(
                House.use == "rental",
                House.created_at < end,
                _in_subtree(House.jurisdiction_code, root_path),
            )
            .group_by(House.jurisdiction_code)
        ).all()
    )
    occupied = dict(
        session.execute(
            select(House.jurisdiction_code, func.count(distinct(House.id)))
            .join(Residence, Residence.house_id == House.id)
            .where(
                House.use == "rental",
                *active_on(day),
                _in_subtree(House.jurisdiction_code, root_path),
            )
            .group_by(House.jurisdiction_code)
        ).all()
    )
    return {
        code: (int(rental.get(code, 0)), int(occupied.get(code, 0)))
        for code in set(rental) | set(occupied)
    }


def stays(
    session: Session, root_path: str, start: datetime, end: datetime
) -> dict[tuple[str, str], tuple[int, int, int]]:
    """Per (leaf, guest category): stays checked in in [start, end), reported, on time."""
    on_time = case(
        (
            and_(
                Stay.reported_at.is_not(None),
                or_(Stay.report_deadline.is_(None), Stay.reported_at <= Stay.report_deadline),
            ),
            1,
        ),
        else_=0,
    )
    rows = session.execute(
        select(
            Stay.jurisdiction_code,
            Person.category,
            func.count(),
            func.count(Stay.reported_at),
            func.sum(on_time),
        )
        .join(Person, Person.id == Stay.person_id)
        .where(
            Stay.checked_in_at >= start,
            Stay.checked_in_at < end,
            _in_subtree(Stay.jurisdiction_code, root_path),
        )
        .group_by(Stay.jurisdiction_code, Person.category)
    )
    return {(code, cat): (int(n), int(rep), int(ok or 0)) for code, cat, n, rep, ok in rows}


def findings(
    session: Session, root_path: str, start: datetime, end: datetime
) -> dict[tuple[str, str], tuple[int, int, int]]:
    """Per (leaf, code): findings opened in [start, end), resolved in it, open at ``end``."""
    opened = case((Finding.found_at >= start, 1), else_=0)
    resolved = case((and_(Finding.resolved_at >= start, Finding.resolved_at < end), 1), else_=0)
    still_open = case((or_(Finding.resolved_at.is_(None), Finding.resolved_at >= end), 1), else_=0)
    rows = session.execute(
        select(
            Finding.jurisdiction_code,
            Finding.code,
            func.sum(opened),
            func.sum(resolved),
            func.sum(still_open),
        )
        .where(
            Finding.found_at < end,
            or_(Finding.resolved_at.is_(None), Finding.resolved_at >= start),
            _in_subtree(Finding.jurisdiction_code, root_path),
        )
        .group_by(Finding.jurisdiction_code, Finding.code)
    )
    return {(leaf, code): (int(o or 0), int(r or 0), int(s or 0)) for leaf, code, o, r, s in rows}


def month_bounds(first: date, months: int) -> list[date]:
    """``months + 1`` month starts ending with ``first``'s next month, oldest first."""
    starts = []
    year, month = first.year, first.month
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    starts.reverse()
    return [*starts, next_month(first)]


def next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)
