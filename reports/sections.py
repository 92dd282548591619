"""The monthly report laid out as sections: summary, units, people, guests, findings,
permits, trend and on-time arrival; plain data for the renderer (``reports.pdf``)."""

from __future__ import annotations

from reports import ontime
from reports.figures import LEVELS, NO_DATA, GuestFigures, MonthlyReport
from reports.layout import Cell, Section, Series, Table


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


