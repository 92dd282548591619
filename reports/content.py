"""The monthly residence-registration report as plain data: figures, then sections.

``build_monthly`` runs the aggregate queries (``reports.queries``, ``reports.permits``) and
returns a ``MonthlyReport``: typed figures (for tests and other consumers) and the same
figures laid out as Chinese sections of tables and series, which ``reports.pdf`` draws
without knowing the domain. No ID number, name or address of a person is ever in it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import access, audit
from registry import rules as registry_rules
from registry.context import Context
from registry.db.models import Jurisdiction
from registry.db.rules_models import RuleRow
from registry.errors import InvalidInput, NotFound
from registry.matching import CODES
from registry.sync import rates as sync_rates
from reports import ontime
from reports import permits as permit_queries
from reports import queries as q
from reports.provinces import OTHER, PROVINCES

Cell = str | int
TREND_MONTHS: Final = 12
NO_DATA: Final = "本月无数据"
LEVELS: Final = {
    "city": "市",
    "district": "区县",
    "station": "派出所",
    "community": "社区",
    "grid": "网格",
}
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


@dataclass(frozen=True)
class Table:
    """Rows of cells under a header; ``indents`` indent the first cell of each row."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[float, ...] = ()  # relative column widths; equal when empty
    indents: tuple[int, ...] = ()
    total_rows: tuple[int, ...] = ()  # rows drawn as totals (bold background)


@dataclass(frozen=True)
class Series:
    """Named value lines over labelled points, drawn as one chart."""

    title: str
    labels: tuple[str, ...]
    lines: tuple[tuple[str, tuple[int, ...]], ...]
    kind: str = "line"  # line / bar


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Series, ...] = ()


# ---- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitFigures:
    code: str
    name: str
    level: str
    depth: int
    floating: int  # distinct floating persons with an active residence at month end
    arrivals: int
    departures: int
    rental_houses: int
    occupied_houses: int
    stays: int
    stays_reported: int
    stays_on_time: int
    overdue: int  # open PH-OVERDUE-DEPARTURE at month end
    open_findings: int  # all open findings at month end
    ratio: int  # floating persons per coordinator, as configured for the unit
    coordinators: int


@dataclass(frozen=True)
class FindingFigures:
    code: str
    matching: str
    label: str
    opened: int
    resolved: int
    open_at_end: int


@dataclass(frozen=True)
class GuestFigures:
    label: str
    stays: int
    reported: int
    on_time: int


@dataclass(frozen=True)
class TrendPoint:
    month: str
    floating: int
    arrivals: int
    departures: int


@dataclass(frozen=True)
class MonthlyReport:
    title: str
    jurisdiction: str
    jurisdiction_name: str
    month: str
    period: tuple[date, date]  # first and last day
    generated_at: datetime  # local time
    coordinator_ratio: int
    empty: bool
    totals: UnitFigures
    units: tuple[UnitFigures, ...]  # every unit below the jurisdiction, in tree order
    provinces: tuple[tuple[str, int], ...]  # most first
    ages: tuple[tuple[str, int, int, int], ...]  # band label, male, female, other
    guests: tuple[GuestFigures, ...]
    findings: tuple[FindingFigures, ...]
    permits: permit_queries.PermitFigures | None  # None: the registry has no permit tables
    trend: tuple[TrendPoint, ...]
    sections: tuple[Section, ...] = field(default=())
    on_time: sync_rates.OnTime | None = None  # stays reaching the station in time (issue #9)


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

    Same resolution as ``registry.rules.effective``: a node's latest setting effective on
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


def rate(part: int, whole: int) -> str:
    """A percentage with one decimal, or a dash when there is nothing to divide."""
    return f"{100 * part / whole:.1f}%" if whole else "—"


def lay_out(report: MonthlyReport) -> tuple[Section, ...]:
    sections = [_summary(report)]
    if report.empty:
        sections.append(_trend_section(report))
        return tuple(sections)
    if report.units:
        sections.append(_units_section(report))
    sections += [
        _people_section(report),
        _guests_section(report),
        _findings_section(report),
        _permits_section(report),
        _trend_section(report),
    ]
    if report.on_time is not None:
        sections.append(ontime.section(report.on_time))
    return tuple(sections)


def _summary(report: MonthlyReport) -> Section:
    t = report.totals
    first, last = report.period
    rows: list[tuple[Cell, ...]] = [
        ("月末登记流动人口（人）", t.floating),
        ("本月新增居住登记（来）", t.arrivals),
        ("本月注销居住登记（走）", t.departures),
        ("出租房屋（套）", t.rental_houses),
        ("其中有租户居住（套）", t.occupied_houses),
        ("本月旅馆住宿登记（人次）", t.stays),
        ("住宿登记上报率", rate(t.stays_reported, t.stays)),
        ("住宿登记按时上报率", rate(t.stays_on_time, t.stays)),
        ("本月新发现比对问题（条）", sum(f.opened for f in report.findings)),
        ("本月已整改比对问题（条）", sum(f.resolved for f in report.findings)),
        ("月末超期未注销（条）", t.overdue),
        (f"应配协管员（按 {report.coordinator_ratio}:1，名）", t.coordinators),
    ]
    paragraphs = [
        f"统计范围：{report.jurisdiction_name}（{report.jurisdiction}）及所辖单位；"
        f"统计期：{first:%Y年%m月%d日}至{last:%Y年%m月%d日}；"
        "月末数为统计期最后一日仍有效的居住登记。",
    ]
    if report.empty:
        paragraphs.insert(0, f"{NO_DATA}：本辖区本月没有居住登记、旅馆住宿或比对问题记录。")
    return Section(
        "一、总体情况",
        tuple(paragraphs),
        (
            Table(
                ("指标", "数值", "指标", "数值"),
                tuple((*a, *b) for a, b in zip(rows[::2], rows[1::2], strict=True)),
                widths=(3, 1.2, 3, 1.2),
            ),
        ),
    )


def _units_section(report: MonthlyReport) -> Section:
    columns = (
        "单位",
        "层级",
        "月末流动人口",
        "本月来",
        "本月走",
        "出租房屋",
        "有租户",
        "住宿登记",
        "按时上报率",
        "超期未注销",
        "应配协管员",
    )
    units = (report.totals, *report.units)
    rows = tuple(
        (
            u.name,
            LEVELS.get(u.level, u.level),
            u.floating,
            u.arrivals,
            u.departures,
            u.rental_houses,
            u.occupied_houses,
            u.stays,
            rate(u.stays_on_time, u.stays),
            u.overdue,
            u.coordinators,
        )
        for u in units
    )
    return Section(
        "二、各单位情况",
        ("各单位数字含其下属单位；同一人在两个下属单位登记时，上级单位只计一次。",),
        (
            Table(
                columns,
                rows,
                widths=(3.2, 1.1, 1.3, 1, 1, 1.1, 1, 1.1, 1.2, 1.2, 1.2),
                indents=tuple(u.depth for u in units),
                total_rows=(0,),
            ),
        ),
    )


def _people_section(report: MonthlyReport) -> Section:
    total = report.totals.floating
    if not total:
        return Section("三、流动人口构成", (f"{NO_DATA}：月末无登记在住的流动人口。",))
    provinces = Table(
        ("户籍地（省级）", "人数", "占比"),
        (
            *((name, n, rate(n, total)) for name, n in report.provinces),
            ("合计", total, "100.0%"),
        ),
        widths=(3, 1, 1),
        total_rows=(len(report.provinces),),
    )
    sums = [sum(row[i] for row in report.ages) for i in (1, 2, 3)]
    ages = Table(
        ("年龄组", "男", "女", "未说明", "合计"),
        (
            *((label, m, f, o, m + f + o) for label, m, f, o in report.ages),
            ("合计", *sums, sum(sums)),
        ),
        widths=(2, 1, 1, 1, 1),
        total_rows=(len(report.ages),),
    )
    return Section(
        "三、流动人口构成",
        ("按户籍地区划代码前两位归属省级行政区；年龄按统计期最后一日计算。",),
        (provinces, ages),
    )


def _guests_section(report: MonthlyReport) -> Section:
    guests = report.guests
    total = GuestFigures(
        "合计",
        sum(g.stays for g in guests),
        sum(g.reported for g in guests),
        sum(g.on_time for g in guests),
    )
    rows = tuple(
        (
            g.label,
            g.stays,
            g.reported,
            rate(g.reported, g.stays),
            g.on_time,
            rate(g.on_time, g.stays),
        )
        for g in (*guests, total)
    )
    return Section(
        "四、旅馆业住宿登记",
        ("境内旅客应即时上报，境外旅客（含港澳台）应在入住后24小时内上报。",),
        (
            Table(
                ("旅客类别", "住宿登记", "已上报", "上报率", "按时上报", "按时上报率"),
                rows,
                widths=(2, 1, 1, 1, 1, 1.2),
                total_rows=(len(guests),),
            ),
        ),
    )


def _findings_section(report: MonthlyReport) -> Section:
    rows = tuple(
        (f.code, f.matching, f.label, f.opened, f.resolved, f.open_at_end) for f in report.findings
    )
    sums = [sum(f.opened for f in report.findings), sum(f.resolved for f in report.findings)]
    still = sum(f.open_at_end for f in report.findings)
    return Section(
        "五、人证、人房、人岗比对问题",
        (f"月末超期未注销（PH-OVERDUE-DEPARTURE）{report.totals.overdue} 条。",),
        (
            Table(
                ("代码", "比对", "问题", "本月发现", "本月整改", "月末未整改"),
                (*rows, ("合计", "", "", *sums, still)),
                widths=(2.4, 0.8, 4, 1, 1, 1.1),
                total_rows=(len(rows),),
            ),
        ),
    )


def _permits_section(report: MonthlyReport) -> Section:
    p = report.permits
    if p is None:
        return Section("六、居住证", ("暂无数据：本系统尚未启用居住证登记。",))
    rows: tuple[tuple[Cell, ...], ...] = (
        ("本月签发", p.issued),
        ("本月签注", p.endorsed),
        ("其中逾期签注", p.endorsed_late),
        ("本月应签注（周年在下月）", p.due),
        ("月末暂停（逾期未签注）", p.suspended),
        ("月末有效居住证", p.valid),
    )
    return Section(
        "六、居住证",
        ("居住证每年签注一次，应在每满一年前一个月内办理；逾期未签注的暂停使用。",),
        (Table(("项目", "数量（张）"), rows, widths=(3, 1)),),
    )


def _trend_section(report: MonthlyReport) -> Section:
    labels = tuple(p.month for p in report.trend)
    return Section(
        "七、近12个月趋势",
        (),
        (
            Table(
                ("月份", "月末流动人口", "来", "走"),
                tuple((p.month, p.floating, p.arrivals, p.departures) for p in report.trend),
                widths=(1.2, 1.5, 1, 1),
            ),
        ),
        (
            Series(
                "月末登记流动人口（人）",
                labels,
                (("流动人口", tuple(p.floating for p in report.trend)),),
            ),
            Series(
                "每月来、走（居住登记新增与注销）",
                labels,
                (
                    ("来", tuple(p.arrivals for p in report.trend)),
                    ("走", tuple(p.departures for p in report.trend)),
                ),
                kind="bar",
            ),
        ),
    )
