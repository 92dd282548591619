"""The monthly residence-registration report as plain data: figures, then sections.

``build_monthly`` runs the aggregate queries (``reports.queries``, ``reports.permits``) and
returns a ``MonthlyReport``: typed figures (for tests and other consumers) and the same
figures laid out as Chinese sections of tables and series, which ``reports.pdf`` draws
without knowing the domain. No ID number, name or address of a person is ever in it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Jurisdiction
from registry.db.rules_models import RuleRow
from registry.errors import InvalidInput, NotFound
from registry.matching import rules as registry_rules
from registry.matching.checks import CODES
from registry.privacy import access, audit
from registry.sync import rates as sync_rates
from reports import permits as permit_queries
from reports import queries as q
from reports.figures import FindingFigures, GuestFigures, MonthlyReport, TrendPoint, UnitFigures
from reports.provinces import OTHER, PROVINCES
from reports.sections import lay_out

TREND_MONTHS: Final = 12
GENDERS: Final = (("1", "男"), ("2", "女"))
AGE_LABELS: Final = {
    "0-15": "16岁以下",
    "16-29": "16–29岁",
    "30-44": "30–44岁",
    "45-59": "45–59岁",
    "60+": "60岁及以上",
    q.UNKNOWN: "不详",
}
GUESTS: Final = (
    ("境内旅客", ("local", "floating")),
    ("港澳台旅客", ("hmt",)),
    ("外籍旅客", ("foreign",)),
)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# ---- the generic layout the renderer draws -------------------------------------------------








# ---- the figures -----------------------------------------------------------------------------












# ---- building --------------------------------------------------------------------------------


def parse_month(text: str, today: date) -> date:
    """The first day of a ``YYYY-MM`` month; not in the future."""
    match = _MONTH.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise InvalidInput(f"month {text!r} is not a month: write YYYY-MM, e.g. 2026-05")
    first = date(int(match.group(1)), int(match.group(2)), 1)
    if first > today:
        raise InvalidInput(f"month {text} is in the future")
    return first


def build_monthly(
    session: Session,
    jurisdiction: str,
    month: str,
    *,
    ctx: Context | None = None,
    ratio: int | None = None,
) -> MonthlyReport:
    """The report for a jurisdiction (and its subtree) and a ``YYYY-MM`` month."""
    ctx = ctx or Context(actor="report")
    first = parse_month(month, ctx.today())
    root = session.get(Jurisdiction, (jurisdiction or "").strip())
    if root is None:
        raise NotFound(f"jurisdiction {jurisdiction} is not registered")
    ctx = access.require(session, ctx, "report", jurisdiction=root.code)
    audit.note(session, ctx, "report", "report.monthly", jurisdiction=root.code, month=month)
    if ratio is not None and ratio <= 0:
        raise InvalidInput("the coordinator ratio must be a positive number")
    after = q.next_month(first)
    last = date.fromordinal(after.toordinal() - 1)
    start, end = ctx.start_of(first), ctx.start_of(after)

    q.tune(session)
    units = q.subtree(session, root.path)
    scope = q.scope_of(session, units)
    floating = q.floating_by_unit(session, units, last, scope)
    leaf_moves = q.moves(session, scope, first, after)
    leaf_houses = q.houses(session, scope, last, end)
    leaf_stays = q.stays(session, scope, start, end)
    leaf_findings = q.findings(session, scope, start, end)
    profile = q.profile(session, scope, last)

    ratios = {u.code: ratio for u in units} if ratio else _ratios(session, units, last)
    figures = _unit_figures(
        units, floating, leaf_moves, leaf_houses, leaf_stays, leaf_findings, ratios
    )
    totals = figures[0]
    provinces = _provinces(profile)
    ages = _ages(profile)
    guests = _guests(leaf_stays)
    findings = _findings(leaf_findings)
    permits = permit_queries.permit_figures(session, root.path, first, after)
    trend = _trend(session, scope, first)
    on_time = sync_rates.on_time(session, root.code, first, last, ctx)
    empty = not (
        totals.floating
        or totals.arrivals
        or totals.departures
        or totals.stays
        or any(f.opened or f.resolved for f in findings)
        or (permits is not None and (permits.issued or permits.endorsed))
    )
    report = MonthlyReport(
        title=f"{root.name}流动人口居住登记月报",
        jurisdiction=root.code,
        jurisdiction_name=root.name,
        month=f"{first.year:04d}-{first.month:02d}",
        period=(first, last),
        generated_at=ctx.now().astimezone(ctx.zone).replace(microsecond=0),
        coordinator_ratio=totals.ratio,
        empty=empty,
        totals=totals,
        units=tuple(figures[1:]),
        provinces=provinces,
        ages=ages,
        guests=guests,
        findings=findings,
        permits=permits,
        trend=trend,
        on_time=on_time,
    )
    return MonthlyReport(**{**report.__dict__, "sections": lay_out(report)})


def _unit_figures(
    units: list[q.Unit],
    floating: dict[str, int],
    moves: dict[str, tuple[int, int]],
    houses: dict[str, tuple[int, int]],
    stays: dict[tuple[str, str], tuple[int, int, int]],
    findings: dict[tuple[str, str], tuple[int, int, int]],
    ratios: dict[str, int],
) -> list[UnitFigures]:
    """Roll the per-leaf sums up the tree (one pass per unit over the leaves' codes)."""
    leaf: dict[str, list[int]] = defaultdict(lambda: [0] * 8)
    for code, (arrived, left) in moves.items():
        leaf[code][0] += arrived
        leaf[code][1] += left
    for code, (rental, occupied) in houses.items():
        leaf[code][2] += rental
        leaf[code][3] += occupied
    for (code, _), (n, reported, on_time) in stays.items():
        leaf[code][4] += n
        leaf[code][5] += reported
        leaf[code][6] += on_time
    overdue: dict[str, int] = defaultdict(int)
    for (code, finding), (_, _, still_open) in findings.items():
        leaf[code][7] += still_open
        if finding == "PH-OVERDUE-DEPARTURE":
            overdue[code] += still_open
    in_tree = {u.code for u in units}
    acc: dict[str, list[int]] = defaultdict(lambda: [0] * 8)
    late: dict[str, int] = defaultdict(int)
    paths = {u.code: u.path for u in units}
    for code, values in leaf.items():
        for ancestor in paths.get(code, "").strip("/").split("/"):
            if ancestor in in_tree:
                acc[ancestor] = [a + b for a, b in zip(acc[ancestor], values, strict=True)]
                late[ancestor] += overdue.get(code, 0)
    root_depth = units[0].depth
    out = []
    for unit in units:
        sums = acc[unit.code]
        people = floating.get(unit.code, 0)
        out.append(
            UnitFigures(
                unit.code,
                unit.name,
                unit.level,
                unit.depth - root_depth,
                people,
                *sums[:7],
                overdue=late[unit.code],
                open_findings=sums[7],
                ratio=ratios[unit.code],
                coordinators=-(-people // ratios[unit.code]),
            )
        )
    return out


def _ratios(session: Session, units: list[q.Unit], day: date) -> dict[str, int]:
    """The coordinator ratio in force on ``day`` for every unit, from one query.

    Same resolution as ``registry.matching.rules.effective``: a node's latest setting effective on
    or before the day; no setting or an empty one (inherit) defers to the parent; the
    national default at the top.
    """
    nodes = {code for u in units for code in u.path.strip("/").split("/")}
    latest: dict[str, tuple[date, datetime, int | None]] = {}
    for code, value, since, set_at in session.execute(
        select(
            RuleRow.jurisdiction_code, RuleRow.value, RuleRow.effective_from, RuleRow.set_at
        ).where(
            RuleRow.name == "coordinator_ratio",
            RuleRow.effective_from <= day,
            RuleRow.jurisdiction_code.in_(nodes),
        )
    ):
        if code not in latest or (since, set_at) > latest[code][:2]:
            latest[code] = (since, set_at, value)
    default = int(registry_rules.DEFAULTS.coordinator_ratio)
    out = {}
    for unit in units:
        chain = reversed(unit.path.strip("/").split("/"))
        values = (latest[c][2] for c in chain if c in latest and latest[c][2] is not None)
        out[unit.code] = int(next(values, default))
    return out


def _provinces(profile: dict[tuple[str | None, str, str], int]) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = defaultdict(int)
    for (prefix, _, _), n in profile.items():
        counts[PROVINCES.get(prefix or "", OTHER)] += n
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] == OTHER, kv[0])))


def _ages(
    profile: dict[tuple[str | None, str, str], int],
) -> tuple[tuple[str, int, int, int], ...]:
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for (_, band, gender), n in profile.items():
        cells[(band, gender if gender in ("1", "2") else "0")] += n
    rows = []
    for band in [b for b, _ in q.AGE_BANDS] + [q.UNKNOWN]:
        male, female, other = (cells[(band, g)] for g in ("1", "2", "0"))
        if band != q.UNKNOWN or male or female or other:
            rows.append((AGE_LABELS[band], male, female, other))
    return tuple(rows)


def _guests(stays: dict[tuple[str, str], tuple[int, int, int]]) -> tuple[GuestFigures, ...]:
    out = []
    for label, categories in GUESTS:
        picked = [v for (_, cat), v in stays.items() if cat in categories]
        out.append(
            GuestFigures(
                label,
                sum(v[0] for v in picked),
                sum(v[1] for v in picked),
                sum(v[2] for v in picked),
            )
        )
    return tuple(out)


def _findings(
    findings: dict[tuple[str, str], tuple[int, int, int]],
) -> tuple[FindingFigures, ...]:
    by_code: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (_, code), values in findings.items():
        by_code[code] = [a + b for a, b in zip(by_code[code], values, strict=True)]
    out = []
    for code in [*CODES, *sorted(set(by_code) - set(CODES))]:
        meta = CODES.get(code)
        opened, resolved, still_open = by_code.get(code, [0, 0, 0])
        out.append(
            FindingFigures(
                code,
                meta.matching if meta else "",
                meta.label if meta else code,
                opened,
                resolved,
                still_open,
            )
        )
    return tuple(out)


def _trend(session: Session, root_path: str, first: date) -> tuple[TrendPoint, ...]:
    bounds = q.month_bounds(first, TREND_MONTHS)
    ends = [date.fromordinal(b.toordinal() - 1) for b in bounds[1:]]
    floating = q.floating_by_month(session, root_path, ends)
    moves = q.moves_by_month(session, root_path, bounds)
    return tuple(
        TrendPoint(f"{start.year:04d}-{start.month:02d}", people, arrived, left)
        for start, people, (arrived, left) in zip(bounds, floating, moves, strict=False)
    )


# ---- laying the figures out as sections --------------------------------------------------------


















