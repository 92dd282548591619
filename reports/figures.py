"""The monthly report's figures as typed plain data, for the renderer, tests and others."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from registry.sync import rates as sync_rates
from reports import permits as permit_queries
from reports.layout import Section

NO_DATA: Final = "本月无数据"


LEVELS: Final = {
    "city": "市",
    "district": "区县",
    "station": "派出所",
    "community": "社区",
    "grid": "网格",
}


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


