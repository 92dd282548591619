"""Registration deadlines and thresholds: data per jurisdiction, inherited down the tree.

A rule is set at a jurisdiction node from a day on (``set_rule``; a change is a new row, never
an update). The value in force for a node on a day is found by walking up the tree from the node
to the nearest node that sets the rule (its latest setting effective on or before that day),
else the national default below (domain-rules.md A1-A2). A setting with no value means "inherit
from the parent again". Rules take effect from today or later only, so a deadline once computed
is never rewritten: a residence keeps the deadline of the rule in force on its move-in day.

>>> residence_deadline(DEFAULTS, date(2026, 6, 1))
datetime.date(2026, 6, 4)
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db import refcache
from registry.db.models import Jurisdiction, Person, Residence
from registry.db.refcache import reference
from registry.db.rules_models import RuleRow
from registry.errors import InvalidInput, NotFound
from registry.identity.text import remark
from registry.privacy import access, journal

FOREIGN = ("foreign", "hmt")


@dataclass(frozen=True)
class RuleSet:
    """The rules in force for one jurisdiction on one day; ``origin`` says who set each."""

    movein_days: int = 3  # register a residence within 3 days of moving in
    moveout_days: int = 3  # cancel it within 3 days of moving out
    foreign_movein_days: int = 1  # foreign/HMT persons outside hotels: 24 h (EEAL Art 39)
    foreign_guest_hours: int = 24  # foreign and HMT hotel guests reported within 24 hours
    domestic_guest_minutes: int = 0  # domestic hotel guests: immediately
    domestic_alert_minutes: int = 30  # ... but a late domestic report is alerted after this
    family_exempt_days: int = 30  # living with close relatives up to 30 days: no registration
    stay_grace_hours: int = 12  # after the local end of the expected check-out day
    no_house_stay_days: int = 30  # a hotel stay longer than this needs a residence
    coordinator_ratio: int = 400  # floating persons per coordinator
    permit_residence_months: int = 6  # registered residence needed for a residence permit
    permit_gap_days: int = 30  # a gap up to this between residences keeps them continuous
    retention_stay_years: int = 3  # hotel stays kept 3 years after check-out (A1, A4)
    retention_residence_years: int = 5  # closed residences kept this long after the move-out
    retention_employment_years: int = 5  # closed employments kept this long after the end day
    retention_audit_years: int = 3  # audit and processing records: at least 3 (PIPL Art 56)
    day: date | None = field(default=None, compare=False)
    origin: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def value(self, name: str) -> int:
        if name not in LIMITS:
            raise NotFound(f"unknown rule {name!r}; rules are {', '.join(LIMITS)}")
        return int(getattr(self, name))

    def source(self, name: str) -> str | None:
        """The jurisdiction code that set the rule, or None for the national default."""
        return self.origin.get(name)


DEFAULTS = RuleSet()

# name: (lowest, highest, label shown to coordinators)
LIMITS: dict[str, tuple[int, int, str]] = {
    "movein_days": (0, 90, "迁入后申报居住登记期限（天）"),
    "moveout_days": (0, 90, "迁出后申报注销期限（天）"),
    "foreign_movein_days": (0, 30, "境外人员（含港澳台）非旅馆住宿登记期限（天）"),
    "foreign_guest_hours": (0, 168, "境外及港澳台旅客信息报送期限（小时）"),
    "domestic_guest_minutes": (0, 1440, "境内旅客信息报送期限（分钟，0 为即时）"),
    "domestic_alert_minutes": (0, 1440, "境内旅客逾期报送告警延迟（分钟）"),
    "family_exempt_days": (0, 365, "投靠近亲属居住免予登记天数"),
    "stay_grace_hours": (0, 168, "预计退房日后宽限（小时）"),
    "no_house_stay_days": (1, 3650, "旅馆住宿超过该天数须办理居住登记"),
    "coordinator_ratio": (1, 100_000, "每名协管员对应流动人口数"),
    "permit_residence_months": (0, 60, "申领居住证所需居住登记月数"),
    "permit_gap_days": (0, 365, "两段居住登记间隔不超过该天数视为连续"),
    "retention_stay_years": (1, 30, "旅馆住宿记录退房后保存年数"),
    "retention_residence_years": (1, 30, "已注销居住登记保存年数"),
    "retention_employment_years": (1, 30, "已结束就业登记保存年数"),
    "retention_audit_years": (3, 100, "审计日志保存年数（不少于 3 年）"),
}
assert set(LIMITS) == {f.name for f in fields(RuleSet)} - {"day", "origin"}

_ROWS = "laiqu.rules.rows"  # session.info: jurisdiction code -> rule rows of its chain
_SETS = "laiqu.rules.sets"  # session.info: (code, day) -> RuleSet
_CHAINS = "laiqu.rules.chains"  # session.info: code -> the node and its ancestors
# Reference data: cached per process while the reference version stands (registry.db.refcache).


def chain(session: Session, code: str) -> list[str]:
    """The node and its ancestors, nearest first (just the code for an unknown node)."""
    if not code:
        return []
    chains: dict[str, list[str]] = reference(session, _CHAINS)
    if code not in chains:
        node = session.get(Jurisdiction, code)
        chains[code] = [code] if node is None else node.path.strip("/").split("/")[::-1]
    return chains[code]


Row = tuple[str, str, int | None, date, datetime]


def _rows(session: Session, code: str) -> list[Row]:
    cache: dict[str, list[Row]] = reference(session, _ROWS)
    if code not in cache:
        codes = chain(session, code)
        cache[code] = (
            [
                (r.jurisdiction_code, r.name, r.value, r.effective_from, r.set_at)
                for r in session.execute(
                    select(
                        RuleRow.jurisdiction_code,
                        RuleRow.name,
                        RuleRow.value,
                        RuleRow.effective_from,
                        RuleRow.set_at,
                    ).where(RuleRow.jurisdiction_code.in_(codes))
                )
            ]
            if codes
            else []
        )
    return cache[code]


def effective(session: Session, jurisdiction_code: str, day: date) -> RuleSet:
    """The rules in force in a jurisdiction on a day: at most one small query per node."""
    sets: dict[tuple[str, date], RuleSet] = reference(session, _SETS)
    key = (jurisdiction_code, day)
    if key in sets:
        return sets[key]
    rows = [r for r in _rows(session, jurisdiction_code) if r[3] <= day]
    order = {c: i for i, c in enumerate(chain(session, jurisdiction_code))}
    latest: dict[tuple[str, str], Row] = {}
    for row in rows:
        k = (row[0], row[1])
        if k not in latest or (row[3], row[4]) > (latest[k][3], latest[k][4]):
            latest[k] = row
    values: dict[str, int] = {}
    origin: dict[str, str] = {}
    for name in LIMITS:
        for code in sorted(order, key=order.__getitem__):
            row = latest.get((code, name))
            if row is not None and row[2] is not None:
                values[name], origin[name] = row[2], code
                break
    result = replace(DEFAULTS, day=day, origin=origin, **values)
    sets[key] = result
    return result


def set_rule(
    session: Session,
    ctx: Context,
    jurisdiction_code: str,
    name: str,
    value: int | None,
    *,
    effective_from: date | None = None,
    note: str | None = None,
) -> RuleRow:
    """Set (or with ``value=None`` clear) a rule at a node from a day on; never rewrites."""
    ctx = access.require(session, ctx, "rules.write")
    if name not in LIMITS:
        raise NotFound(f"unknown rule {name!r}; rules are {', '.join(LIMITS)}")
    if session.get(Jurisdiction, jurisdiction_code) is None:
        raise NotFound(f"jurisdiction {jurisdiction_code} is not registered")
    low, high, _label = LIMITS[name]
    if value is not None and not low <= value <= high:
        raise InvalidInput(f"rule {name} must be between {low} and {high}, not {value}")
    day = effective_from or ctx.today()
    if day < ctx.today():
        raise InvalidInput(
            f"a rule takes effect from today ({ctx.today()}) or later, not {day}: "
            "history is not rewritten"
        )
    now = ctx.now()
    latest = session.scalar(
        select(func.max(RuleRow.set_at)).where(
            RuleRow.jurisdiction_code == jurisdiction_code,
            RuleRow.name == name,
            RuleRow.effective_from == day,
        )
    )
    if latest is not None and latest >= now:  # keep "the later setting wins" strict
        now = latest + timedelta(microseconds=1)
    row = RuleRow(
        id=uuid.uuid4(),
        jurisdiction_code=jurisdiction_code,
        name=name,
        value=value,
        effective_from=day,
        set_by=ctx.actor,
        set_at=now,
        note=remark(note, "remark"),
    )
    session.add(row)
    refcache.writing(session)
    journal.record(
        session,
        ctx,
        "rule.set",
        "rule",
        row.id,
        jurisdiction=jurisdiction_code,
        name=name,
        value=value,
        effective_from=day,
    )
    session.flush()
    return row


def settings(session: Session, jurisdiction_code: str) -> list[RuleRow]:
    """Every setting on the node and its ancestors (the history of its rules)."""
    codes = chain(session, jurisdiction_code)
    return list(
        session.scalars(
            select(RuleRow)
            .where(RuleRow.jurisdiction_code.in_(codes))
            .order_by(RuleRow.name, RuleRow.effective_from, RuleRow.set_at)
        )
    )


# --- deadlines ---------------------------------------------------------------------------


def residence_deadline(
    rules: RuleSet, moved_in: date, *, relation: str = "tenant", category: str = "floating"
) -> date:
    """Last day on which a move-in may be reported on time.

    Foreign and HMT persons have 24 hours (a day); a person living with close relatives
    (relation ``family``) needs registering only once the stay outlasts the exemption, so the
    deadline moves back by the exemption days.
    """
    days = rules.foreign_movein_days if category in FOREIGN else rules.movein_days
    if relation == "family":
        days += rules.family_exempt_days
    return moved_in + timedelta(days=days)


def family_exempt(rules: RuleSet, relation: str, start: date, end: date | None) -> bool:
    """A residence with close relatives that ended within the exemption needed no report."""
    return (
        relation == "family"
        and end is not None
        and (end - start).days <= (rules.family_exempt_days)
    )


def departure_deadline(rules: RuleSet, moved_out: date) -> date:
    """Last day on which a move-out may be reported on time (rule in force on that day)."""
    return moved_out + timedelta(days=rules.moveout_days)


def stay_report_deadline(rules: RuleSet, category: str, checked_in_at: datetime) -> datetime:
    """When a hotel stay must have reached the police: 24 h for foreign/HMT guests."""
    if category in FOREIGN:
        return checked_in_at + timedelta(hours=rules.foreign_guest_hours)
    return checked_in_at + timedelta(minutes=rules.domestic_guest_minutes)


def stay_alert_after(rules: RuleSet, category: str, deadline: datetime) -> datetime:
    """A report after this instant is a PH-LATE (domestic guests get the alert delay)."""
    if category in FOREIGN:
        return deadline
    return deadline + timedelta(minutes=rules.domestic_alert_minutes)


def stay_overdue_from(rules: RuleSet, ctx: Context, expected_checkout: date) -> datetime:
    """From when an open stay is overdue: end of the expected local day plus the grace."""
    return ctx.end_of(expected_checkout) + timedelta(hours=rules.stay_grace_hours)


def coordinators_needed(session: Session, ctx: Context, jurisdiction_code: str) -> tuple[int, int]:
    """(floating persons with an active residence in the subtree, coordinators they need)."""
    node = session.get(Jurisdiction, jurisdiction_code)
    if node is None:
        raise NotFound(f"jurisdiction {jurisdiction_code} is not registered")
    today = ctx.today()
    under = Jurisdiction.path.startswith(node.path, autoescape=True)
    codes = select(Jurisdiction.code).where(under)
    floating = session.scalar(
        select(func.count(func.distinct(Residence.person_id)))
        .join(Person, Person.id == Residence.person_id)
        .where(
            Residence.jurisdiction_code.in_(codes),
            Residence.valid_from <= today,
            or_(Residence.valid_to.is_(None), Residence.valid_to > today),
            Person.category != "local",
        )
    )
    ratio = effective(session, jurisdiction_code, today).coordinator_ratio
    return int(floating or 0), math.ceil((floating or 0) / ratio)
