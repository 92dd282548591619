"""Residence permits (居住证暂行条例): eligibility explained, issue, annual endorsement.

Eligibility of a person in a city on a day (Art 2, made concrete as local practice does):

- a mainland citizen (resident ID card) whose household registration is not in this city;
- registered residence in houses of the city's tree for ``permit_residence_months`` (6) months
  up to the day: residences chain when the gap between one's end and the next one's start is at
  most ``permit_gap_days``; a residence reported late counts from the day it was reported;
- and one of: lawful stable employment (an active employment at a registered employer in the
  city), lawful stable residence (an active residence in a house with a rental filing number, or
  as its owner), continuous study (an active study record at a school in the city).

The person is eligible from the later of the day the months are complete and the earliest start
of a condition that holds. Periods end on the corresponding day (add_months; a 29 February
start ends on the last day of the month, 民法典 Art 201): six months from 2026-01-15 are
complete on 2026-07-15, a year from 2024-02-29 on 2025-02-28.

A permit is endorsed once a year in the month before each anniversary of ``years_from``: for
an anniversary A, from add_months(A, -1) to the day before A. Not endorsed by then, the permit
is suspended from A until endorsed; a late endorsement restarts the count of residence years
(and the anniversaries) from its own day.

>>> add_months(date(2024, 2, 29), 12), add_months(date(2025, 3, 31), -1)
(datetime.date(2025, 2, 28), datetime.date(2025, 2, 28))
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Employer, Employment, House, Jurisdiction, Person
from registry.db.models import Residence as ResidenceRow
from registry.db.rules_models import Study
from registry.identity.ids import DocType
from registry.matching import rules
from registry.people.find import find_person
from registry.places.jurisdictions import city_of

WINDOW_MONTHS = 1  # endorse within the month before each anniversary


def add_months(day: date, months: int) -> date:
    """The corresponding day ``months`` later (or earlier), clamped to the month's end."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


# --- eligibility ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One condition of eligibility: whether it holds on the day, since when, and why."""

    code: str  # citizen / residence / employment / housing / study
    label: str
    required: bool  # True: must hold; False: one of the optional conditions must hold
    holds: bool
    since: date | None
    detail: str


@dataclass
class Eligibility:
    person: Person
    on: date
    city: Jurisdiction | None
    conditions: list[Condition]
    eligible_from: date | None
    residence_jurisdiction: str | None = None  # where the person lives on the day

    @property
    def eligible(self) -> bool:
        return self.eligible_from is not None and self.eligible_from <= self.on

    @property
    def failing(self) -> list[Condition]:
        required = [c for c in self.conditions if c.required and not c.holds]
        optional = [c for c in self.conditions if not c.required]
        return required + ([] if any(c.holds for c in optional) else optional)

    def condition(self, code: str) -> Condition:
        return next(c for c in self.conditions if c.code == code)

    def lines(self) -> list[str]:
        """The explanation, one line per condition (Simplified Chinese)."""
        city = self.city.name if self.city else "本市"
        if self.eligible:
            head = f"{self.on} 符合在{city}申领居住证的条件（自 {self.eligible_from} 起）"
        elif self.eligible_from is not None:
            head = f"{self.on} 尚不符合在{city}申领居住证的条件，预计自 {self.eligible_from} 起符合"
        else:
            head = f"{self.on} 不符合在{city}申领居住证的条件"
        out = [head]
        for c in self.conditions:
            if c.code == "employment":
                out.append("须满足以下条件之一：")
            mark = "符合" if c.holds else "不符合"
            indent = "  " if c.required else "    "
            out.append(f"{indent}[{mark}] {c.label}：{c.detail}")
        return out


Interval = tuple[date, date | None]


def active_on(model: type, on: date) -> list[object]:
    return [model.valid_from <= on, or_(model.valid_to.is_(None), model.valid_to > on)]


def _city_for(session: Session, person: Person, on: date, city: str | None) -> Jurisdiction | None:
    if city:
        return city_of(session, city)
    latest = session.scalars(
        select(ResidenceRow)
        .where(ResidenceRow.person_id == person.id, ResidenceRow.valid_from <= on)
        .order_by(ResidenceRow.valid_to.is_(None).desc(), ResidenceRow.valid_from.desc())
        .limit(1)
    ).first()
    return city_of(session, latest.jurisdiction_code) if latest else None


def _registered(ctx: Context, r: ResidenceRow) -> Interval | None:
    """The part of a residence that was registered: from the report day when reported late."""
    reported = ctx.local_day(r.reported_at)
    start = r.valid_from if reported <= r.report_deadline else reported
    if r.valid_to is not None and start >= r.valid_to:
        return None
    return start, r.valid_to


def _chain(intervals: list[Interval], on: date, gap: int) -> tuple[date | None, date | None]:
    """Start of the continuous chain that covers ``on`` (None if none does), and the last end."""
    start: date | None = None
    end: date | None = None
    last_end: date | None = None
    for s, e in sorted(i for i in intervals if i[0] <= on):
        if start is None or (end is not None and (s - end).days > gap):
            start, end = s, e
        else:
            end = None if e is None or end is None else max(end, e)
        last_end = end
    if start is None or (end is not None and end <= on):
        return None, last_end
    return start, None


def eligibility(
    session: Session,
    ctx: Context,
    number: str,
    *,
    on: date | None = None,
    city: str | None = None,
) -> Eligibility:
    """Whether the person may get a residence permit on ``on``, and why (or why not)."""
    person = find_person(session, number)
    day = on or ctx.today()
    node = _city_for(session, person, day, city)
    conditions = [_citizen(person, node)]
    if node is None:
        conditions.append(
            Condition("residence", "居住登记满期", True, False, None, "无任何居住登记记录")
        )
        for code, label in OPTIONAL:
            conditions.append(Condition(code, label, False, False, None, "无本市居住登记"))
        return Eligibility(person, day, None, conditions, None)
    under = Jurisdiction.path.startswith(node.path, autoescape=True)
    codes = select(Jurisdiction.code).where(under)
    in_force = rules.effective(session, node.code, day)
    months = in_force.permit_residence_months

    homes = list(
        session.scalars(
            select(ResidenceRow).where(
                ResidenceRow.person_id == person.id, ResidenceRow.jurisdiction_code.in_(codes)
            )
        )
    )
    intervals = [i for i in (_registered(ctx, r) for r in homes) if i is not None]
    start, last_end = _chain(intervals, day, in_force.permit_gap_days)
    label = f"在本市居住登记满 {months} 个月"
    complete: date | None = None
    if start is None:
        detail = (
            f"本市居住登记已于 {last_end} 终止，当前无有效居住登记"
            if last_end
            else "本市无有效居住登记（逾期申报的自申报日起计算）"
        )
        residence = Condition("residence", label, True, False, None, detail)
    else:
        complete = add_months(start, months)
        detail = f"自 {start} 起连续登记居住，{complete} 满 {months} 个月"
        residence = Condition("residence", label, True, complete <= day, start, detail)
    conditions.append(residence)

    current = [r for r in homes if r.valid_from <= day and (r.valid_to is None or r.valid_to > day)]
    optional = [
        _employment(session, person, day, codes),
        _housing(session, current),
        _study(session, person, day, codes),
    ]
    conditions.extend(optional)
    since = [c.since for c in optional if c.holds and c.since is not None]
    eligible_from = None
    if conditions[0].holds and complete is not None and since:
        eligible_from = max(complete, min(since))
    where = max(current, key=lambda r: r.valid_from).jurisdiction_code if current else None
    return Eligibility(person, day, node, conditions, eligible_from, where)


OPTIONAL = (("employment", "合法稳定就业"), ("housing", "合法稳定住所"), ("study", "连续就读"))


def _citizen(person: Person, city: Jurisdiction | None) -> Condition:
    label = "非本市户籍的中国公民"
    if person.doc_type != DocType.RESIDENT.value:
        detail = "居住证向持居民身份证的公民签发；港澳台居民、外国人适用其他证件"
        return Condition("citizen", label, True, False, None, detail)
    if city is not None and person.hukou_region and person.hukou_region[:4] == city.code[:4]:
        return Condition("citizen", label, True, False, None, "户籍在本市，无需申领居住证")
    return Condition("citizen", label, True, True, None, f"户籍地区代码 {person.hukou_region}")


def _employment(session: Session, person: Person, on: date, codes: object) -> Condition:
    rows = session.execute(
        select(Employment.valid_from, Employer.name, Employer.registered)
        .join(Employer, Employer.id == Employment.employer_id)
        .where(
            Employment.person_id == person.id,
            Employment.jurisdiction_code.in_(codes),  # type: ignore[arg-type]
            *active_on(Employment, on),
        )
        .order_by(Employment.valid_from)
    ).all()
    registered = [(start, name) for start, name, ok in rows if ok]
    if registered:
        start, name = registered[0]
        detail = f"自 {start} 起在{name}就业"
        return Condition("employment", "合法稳定就业", False, True, start, detail)
    detail = f"就业单位{rows[0][1]}未登记" if rows else "无在本市登记单位的在职记录"
    return Condition("employment", "合法稳定就业", False, False, None, detail)


def _housing(session: Session, current: list[ResidenceRow]) -> Condition:
    label = "合法稳定住所"
    houses = {
        h.id: h
        for h in session.scalars(select(House).where(House.id.in_([r.house_id for r in current])))
    }
    good = []
    for r in sorted(current, key=lambda r: r.valid_from):
        house = houses[r.house_id]
        if r.relation == "owner":
            good.append((r.valid_from, f"自 {r.valid_from} 起居住于自有住房"))
        elif house.filing_number:
            filed = f"自 {r.valid_from} 起租住已备案房屋（备案号 {house.filing_number}）"
            good.append((r.valid_from, filed))
    if good:
        return Condition("housing", label, False, True, good[0][0], good[0][1])
    detail = "现居住房屋无租赁备案号，且非自有住房" if current else "本市无有效居住登记"
    return Condition("housing", label, False, False, None, detail)


def _study(session: Session, person: Person, on: date, codes: object) -> Condition:
    study = session.scalars(
        select(Study)
        .where(
            Study.person_id == person.id,
            Study.jurisdiction_code.in_(codes),  # type: ignore[arg-type]
            *active_on(Study, on),
        )
        .order_by(Study.valid_from)
        .limit(1)
    ).first()
    if study is None:
        return Condition("study", "连续就读", False, False, None, "无在本市学校的就读记录")
    detail = f"自 {study.valid_from} 起在{study.school}就读"
    return Condition("study", "连续就读", False, True, study.valid_from, detail)


# --- permits -------------------------------------------------------------------------------




























