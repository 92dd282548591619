"""Push the desk's outbox to the station registry over a database connection.

One batch at a time: the desk marks the items sent and commits, the station applies them in
one transaction (ledger included), the desk records each item's outcome. A failure anywhere
leaves the items to be resent; the ledger makes the resend harmless. Bounded batches keep a
station transaction short; a failed batch waits a back-off (1 s doubling to 5 min) per item.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Event, Venue
from registry.db.sync_models import OutboxItem
from registry.errors import InvalidInput, NotFound, RegistryError
from registry.sync import outbox, payload
from registry.sync.station import apply_batch

BATCH = 200


class StationUnreachable(RegistryError):
    """The station could not be reached or failed mid-batch; the items will be resent."""


@dataclass
class PushReport:
    batches: int = 0
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def desk_venue(session: Session, ref: str | None = None) -> Venue:
    """The venue this desk reports for: the one named, else the only one in the database."""
    if ref:
        from registry.places.venues import resolve_venue

        return resolve_venue(session, ref)
    venues = list(session.scalars(select(Venue).limit(2)))
    if len(venues) != 1:
        raise InvalidInput(
            "this database holds no venue or several: name the venue the desk reports for"
        )
    return venues[0]


def queue_heartbeats(session: Session, ctx: Context, venue: Venue) -> int:
    """Heartbeats for the finished days since the last one queued (or since the venue)."""
    last = session.scalar(
        select(func.max(OutboxItem.op)).where(OutboxItem.table_name == outbox.HEARTBEAT)
    )
    since = (
        datetime.strptime(last, "%Y%m%d").date() + timedelta(days=1)
        if last
        else ctx.local_day(venue.created_at)
    )
    return outbox.queue_heartbeats(session, ctx, venue.id, since)


def _ordered(session: Session, items: list[OutboxItem], now: datetime) -> list[OutboxItem]:
    """Records before the events about them: pull in the open items of an event's subject."""
    event_ids = [i.record_id for i in items if i.table_name == "events"]
    if event_ids:
        refs = session.execute(
            select(Event.subject_id, Event.person_id).where(Event.id.in_(event_ids))
        )
        wanted = {r for row in refs for r in row if r is not None}
        have = {i.id for i in items}
        extra = [
            i
            for i in outbox.related(session, wanted, 2**62)
            if i.id not in have and i.sent_at != now  # not already in this push or export
        ]
        for item in extra:
            item.state, item.attempts = "sent", item.attempts + 1
        items = items + extra
    return sorted(items, key=lambda i: (i.table_name == "events", i.seq))


def next_batch(
    session: Session,
    limit: int,
    now: datetime,
    *,
    due_only: bool = True,
    fresh_only: bool = False,
) -> list[dict[str, Any]]:
    """Claim the next batch and build its upload items (in the caller's desk transaction).

    ``fresh_only`` skips items already sent at ``now`` (an export claims batch after batch).
    """
    due = now if due_only else datetime.max.replace(tzinfo=UTC)
    claimed = outbox.claim(session, limit, due, not_sent_at=now if fresh_only else None)
    ordered = _ordered(session, claimed, now)
    for item in ordered:
        item.sent_at = now
    return payload.build(session, ordered)


def station_sessions(url: str) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(url, pool_pre_ping=True)
    return engine, session_factory(engine)


def push_once(
    desk: sessionmaker[Session],
    station: sessionmaker[Session],
    venue_ref: str | None,
    ctx: Context,
    report: PushReport,
    batch: int = BATCH,
) -> int:
    """Send one batch; the number of items sent (0: nothing due)."""
    now = datetime.now(UTC)
    with desk.begin() as session:
        venue = desk_venue(session, venue_ref)
        queue_heartbeats(session, ctx, venue)
        items = next_batch(session, batch, now)
        identity = payload.venue_identity(venue)
    if not items:
        return 0
    ids = [uuid.UUID(i["id"]) for i in items]
    try:
        with station.begin() as st:
            results = apply_batch(st, identity, items, ctx.now())
    except (SQLAlchemyError, OSError) as exc:
        with desk.begin() as session:
            outbox.failed(session, ids, _reason(exc), datetime.now(UTC))
        raise StationUnreachable(f"the station did not take the batch: {_reason(exc)}") from exc
    except NotFound:
        with desk.begin() as session:
            outbox.failed(session, ids, "venue not registered at the station", now)
        raise
    with desk.begin() as session:
        outbox.settle(session, results, datetime.now(UTC))
    report.batches += 1
    report.sent += len(items)
    for r in results:
        report.accepted += r["state"] == "accepted"
        report.rejected += r["state"] == "rejected"
        report.duplicates += bool(r.get("duplicate"))
        if r.get("notice"):
            report.notices.append(str(r["notice"]))
    return len(items)


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:250]


def push(
    desk: sessionmaker[Session],
    station_url: str,
    ctx: Context,
    *,
    venue_ref: str | None = None,
    batch: int = BATCH,
    retry_for: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> PushReport:
    """Push until nothing is due; retry with back-off for up to ``retry_for`` seconds."""
    report = PushReport()
    started = time.monotonic()
    engine, station = station_sessions(station_url)
    try:
        while True:
            try:
                if push_once(desk, station, venue_ref, ctx, report, batch):
                    continue
            except StationUnreachable as exc:
                report.errors.append(str(exc))
                engine.dispose()
            wait = _next_due(desk)
            elapsed = time.monotonic() - started
            if wait is None or elapsed + wait > retry_for:
                break
            sleep(max(0.05, wait))
    finally:
        engine.dispose()
        report.seconds = time.monotonic() - started
    return report


def _next_due(desk: sessionmaker[Session]) -> float | None:
    """Seconds until the next open item is due (None: nothing open)."""
    with desk() as session:
        row = session.execute(
            select(func.count(), func.min(OutboxItem.next_attempt_at)).where(
                OutboxItem.state.in_(outbox.OPEN)
            )
        ).one()
    if not row[0]:
        return None
    if row[1] is None:
        return 0.0
    due = row[1] if row[1].tzinfo else row[1].replace(tzinfo=UTC)
    return max(0.0, (due - datetime.now(UTC)).total_seconds())
