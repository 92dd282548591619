"""On-time reporting: the share of hotel stays that reached the station within their deadline.

A stay reaches the station when its upload is applied there (``stays.reported_at``, set by
``registry.sync.station``); a stay registered at the station itself reached it at once. In a
database that still queues its changes for the station (a desk, the demo) a stay has reached the
station only once its upload was accepted (the outbox item's ``done_at``): one waiting in the
outbox, or refused, has not arrived, whatever its local ``reported_at`` says (issue 19). The
deadline is the stay's ``report_deadline`` (24 h for foreign and HMT guests, the domestic
minutes otherwise, from ``registry.matching.rules``); a domestic guest's "immediately" is met within
the jurisdiction's alert delay, as PH-LATE judges it. Venues that sent no heartbeat for a day
are counted too: silence is not zero. A venue's days run from the day it was registered to the
last finished day of the period (no venue is silent before it existed or on a day not yet
over); the station and jurisdiction rows count venues (how many were silent), not venue-days.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from registry.context import Context
from registry.db.models import Jurisdiction, Person, Stay, Venue
from registry.db.sync_models import Heartbeat, OutboxItem
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
    days: int = 0  # days counted: a venue's own days (see the module); the period's otherwise
    silent_days: int | None = 0  # days without a heartbeat (venues; None on summed rows)
    venues: int = 1  # venues in the row
    silent_venues: int = 0  # venues with at least one day without a heartbeat

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


_UPLOAD = aliased(OutboxItem, name="stay_upload")
REACHED_AT = case(
    (_UPLOAD.seq.is_(None), Stay.reported_at),
    (_UPLOAD.state == "accepted", _UPLOAD.done_at),
    else_=None,
)
"""When a stay reached the station (UTC), NULL while it has not; only in a query passed
through ``with_upload``."""


def with_upload(query: Select[Any]) -> Select[Any]:
    """``query`` over ``Stay`` joined to the stay's own upload in this database's outbox (none
    in a station database), as ``REACHED_AT`` needs."""
    return query.outerjoin(
        _UPLOAD,
        and_(
            _UPLOAD.record_id == Stay.id,
            _UPLOAD.table_name == "stays",
            _UPLOAD.op == "insert",
        ),
    )


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
        and_(Person.category.in_(rules.FOREIGN), Stay.report_deadline >= REACHED_AT),
        and_(Person.category.not_in(rules.FOREIGN), alert >= REACHED_AT),
    )
    rows = session.execute(
        with_upload(
            select(
                Stay.venue_id,
                func.count(),
                func.count(REACHED_AT),
                func.sum(case((and_(REACHED_AT.is_not(None), in_time), 1), else_=0)),
            ).join(Person, Person.id == Stay.person_id)
        )
        .where(window)
        .group_by(Stay.venue_id)
    )
    counts = {v: (int(n), int(r), int(o or 0)) for v, n, r, o in rows}
    days = (last - first).days + 1
    finished = min(last, ctx.today() - timedelta(days=1))  # today is not over yet
    beat_days: dict[uuid.UUID, list[date]] = {}
    for venue_id, day in session.execute(
        select(Heartbeat.venue_id, Heartbeat.day).where(
            Heartbeat.day >= first,
            Heartbeat.day <= finished,
            Heartbeat.venue_id.in_(select(Venue.id).where(Venue.jurisdiction_code.in_(nodes))),
        )
    ):
        beat_days.setdefault(venue_id, []).append(day)
    venues = []
    for v in session.scalars(
        select(Venue)
        .where(Venue.jurisdiction_code.in_(nodes), Venue.kind == "hotel")
        .order_by(Venue.jurisdiction_code, Venue.name)
    ):
        since = max(first, ctx.local_day(v.created_at))
        own = max(0, (finished - since).days + 1)
        beats = sum(day >= since for day in beat_days.get(v.id, ()))
        silent = own - beats
        venues.append(
            Rate(
                str(v.id),
                v.name,
                "venue",
                *counts.get(v.id, (0, 0, 0)),
                days=own,
                silent_days=silent,
                silent_venues=int(silent > 0),
            )
        )
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
        silent_days=None,  # venue-days of different venues do not add up
        venues=len(rows),
        silent_venues=sum(r.silent_venues for r in rows),
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
