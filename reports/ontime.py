"""The monthly report's section on hotel stays reaching the station on time (issue #9).

Figures come from ``registry.sync.rates.on_time``, the same query ``laiqu sync status
--jurisdiction`` prints: per venue, per police station and for the whole jurisdiction, with
the days a venue sent no heartbeat (silence is not zero).
"""

from __future__ import annotations

from registry.sync.rates import OnTime, Rate
from reports.layout import Section, Series, Table

TITLE = "八、住宿登记上报派出所及时率"


def _pct(rate: Rate) -> str:
    return "—" if rate.rate is None else f"{100 * rate.rate:.1f}%"


def silence(rate: Rate) -> str:
    """The silence cell: a venue's days without a heartbeat, or how many venues of a summed
    row were silent at least one day (venue-days of different venues do not add up)."""
    if rate.silent_days is not None:
        return f"{rate.silent_days}/{rate.days} 天"
    return f"{rate.silent_venues}/{rate.venues} 家"


def section(found: OnTime) -> Section:
    rows = [
        ("合计", found.name, found.total),
        *(("派出所", r.name, r) for r in found.stations),
        *(("场所", r.name, r) for r in found.venues),
    ]
    table = Table(
        ("层级", "名称", "住宿登记", "已到达派出所", "按时到达", "按时率", "无心跳"),
        tuple(
            (level, name, r.stays, r.reached, r.on_time, _pct(r), silence(r))
            for level, name, r in rows
        ),
        widths=(1, 3, 1, 1.2, 1, 1, 1.1),
        total_rows=(0,),
    )
    charts = (
        (
            Series(
                "各派出所按时到达率（%）",
                tuple(r.name for r in found.stations),
                (("按时率", tuple(round(100 * (r.rate or 0)) for r in found.stations)),),
                kind="bar",
            ),
        )
        if found.stations
        else ()
    )
    return Section(
        TITLE,
        (
            "按时：住宿登记在时限内到达派出所（境外及港澳台旅客24小时；境内旅客即时，"
            "以告警延迟为限）。前台离线时记录在本机排队，到达派出所的时间即上报时间。"
            "未上报或被拒收的记录不算到达。无心跳：场所当天既无上报也无“无入住”心跳，"
            "不能视为零入住；场所行为无心跳天数/登记以来已过完的天数，派出所和合计行为"
            "有无心跳日的场所数/场所数。",
        ),
        (table,),
        charts,
    )
