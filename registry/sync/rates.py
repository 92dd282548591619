"""On-time reporting: the share of hotel stays that reached the station within their deadline.

A stay reaches the station when its upload is applied there (``stays.reported_at``, set by
``registry.sync.station``); a stay registered at the station itself reached it at once. The
deadline is the stay's ``report_deadline`` (24 h for foreign and HMT guests, the domestic
minutes otherwise, from ``registry.matching.rules``); a domestic guest's "immediately" is met within
the jurisdiction's alert delay, as PH-LATE judges it. Venues that sent no heartbeat for a day
are counted too: silence is not zero.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Jurisdiction, Person, Stay, Venue
from registry.db.sync_models import Heartbeat
from registry.errors import NotFound
from registry.matching import rules


@dataclass(frozen=True)
class Rate:
    """One row: a venue, a station or the whole jurisdiction."""

    code: str  # venue id or jurisdiction code
    name: str
    level: str  # venue / station / jurisdiction
    stays: int
    reached: int
    on_time: int
    days: int = 0  # days of the period
    silent_days: int = 0  # days without a heartbeat (venues only)

    @property
    def rate(self) -> float | None:
        return self.on_time / self.stays if self.stays else None


@dataclass(frozen=True)
class OnTime:
    jurisdiction: str
    name: str
    first: date
    last: date
    total: Rate
    stations: tuple[Rate, ...]
    venues: tuple[Rate, ...]


def _plus_minutes(session: Session, column: Any, minutes: int) -> Any:
    if not minutes:
        return column
    if session.get_bind().dialect.name == "postgresql":
        return column + func.make_interval(0, 0, 0, 0, 0, minutes)
    # SQLite keeps instants as text with six fraction digits; %f gives three.
    return func.strftime("%Y-%m-%d %H:%M:%f", column, f"+{minutes} minutes").concat("000")


def on_time(
    session: Session, code: str, first: date, last: date, ctx: Context | None = None
) -> OnTime:
    """On-time rates for stays checked in from ``first`` to ``last`` (local days) under ``code``."""
    ctx = ctx or Context("report")
    root = session.get(Jurisdiction, (code or "").strip())
    if root is None:
        raise NotFound(f"jurisdiction {code} is not registered")
    nodes = {
        j.code: j
        for j in session.scalars(
            select(Jurisdiction).where(Jurisdiction.path.startswith(root.path, autoescape=True))
        )
    }
    start, end = ctx.start_of(first), ctx.end_of(last)
    window = and_(
        Stay.checked_in_at >= start, Stay.checked_in_at < end, Stay.jurisdiction_code.in_(nodes)
    )
    used = list(session.scalars(select(Stay.jurisdiction_code).where(window).distinct()))
    alert = (
        case(
            *(
                (
                    Stay.jurisdiction_code == c,
                    _plus_minutes(
                        session,
                        Stay.report_deadline,
                        rules.effective(session, c, first).domestic_alert_minutes,
                    ),
                )
                for c in used
            ),
            else_=Stay.report_deadline,
        )
        if used
        else Stay.report_deadline
    )
    in_time = or_(
        Stay.report_deadline.is_(None),
        and_(Person.category.in_(rules.FOREIGN), Stay.reported_at <= Stay.report_deadline),
        and_(Person.category.not_in(rules.FOREIGN), Stay.reported_at <= alert),
    )
    rows = session.execute(
        select(
            Stay.venue_id,
            func.count(),
            func.count(Stay.reported_at),
            func.sum(case((and_(Stay.reported_at.is_not(None), in_time), 1), else_=0)),
        )
        .join(Person, Person.id == Stay.person_id)
        .where(window)
        .group_by(Stay.venue_id)
    )
    counts = {v: (int(n), int(r), int(o or 0)) for v, n, r, o in rows}
    days = (last - first).days + 1
    beats = dict(
        session.execute(
            select(Heartbeat.venue_id, func.count())
            .where(Heartbeat.day >= first, Heartbeat.day <= last)
            .group_by(Heartbeat.venue_id)
        ).all()
    )
    venues = [
        Rate(
            str(v.id),
            v.name,
            "venue",
            *counts.get(v.id, (0, 0, 0)),
            days=days,
            silent_days=days - int(beats.get(v.id, 0)),
        )
        for v in session.scalars(
            select(Venue)
            .where(Venue.jurisdiction_code.in_(nodes), Venue.kind == "hotel")
            .order_by(Venue.jurisdiction_code, Venue.name)
        )
    ]
    jurisdiction_of = {
        str(v.id): v.jurisdiction_code
        for v in session.scalars(select(Venue).where(Venue.jurisdiction_code.in_(nodes)))
    }
    stations: dict[str, list[Rate]] = {}
    for rate in venues:
        station = _station(nodes, jurisdiction_of[rate.code]) or root.code
        stations.setdefault(station, []).append(rate)
    station_rows = tuple(
        _sum(s, nodes[s].name if s in nodes else s, "station", stations[s], days)
        for s in sorted(stations)
    )
    total = _sum(root.code, root.name, "jurisdiction", venues, days)
    return OnTime(root.code, root.name, first, last, total, station_rows, tuple(venues))


def _station(nodes: dict[str, Jurisdiction], code: str) -> str | None:
    node = nodes.get(code)
    if node is None:
        return None
    for ancestor in node.path.strip("/").split("/")[::-1]:
        if ancestor in nodes and nodes[ancestor].level == "station":
            return ancestor
    return None


def _sum(code: str, name: str, level: str, rows: list[Rate], days: int) -> Rate:
    return Rate(
        code,
        name,
        level,
        sum(r.stays for r in rows),
        sum(r.reached for r in rows),
        sum(r.on_time for r in rows),
        days=days,
        silent_days=sum(r.silent_days for r in rows),
    )


def venue_rate(session: Session, venue_id: uuid.UUID, first: date, last: date) -> Rate:
    """One venue's row (the desk's own view)."""
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise NotFound("venue not registered")
    found = on_time(session, venue.jurisdiction_code, first, last)
    return next(r for r in found.venues if r.code == str(venue_id))


def month_days(first: date) -> tuple[date, date]:
    after = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, after - timedelta(days=1)
