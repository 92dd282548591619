"""Push the desk's outbox to the station: over HTTP to the station service, or (an admin's
tool) straight into the station's database.

One batch at a time: the desk marks the items sent and commits, the station applies them in
one transaction (ledger included), the desk records each item's outcome. A failure anywhere
leaves the items to be resent; the ledger makes the resend harmless. Bounded batches keep a
station transaction short; a failed batch waits a back-off (1 s doubling to 5 min) per item,
or longer when the station asked for it (``StationUnreachable.retry_after``, HTTP
Retry-After). How a batch travels is a ``Transport``: ``DatabaseTransport`` here, the HTTP
client in the adapters (``service.client``), so the core imports no web library.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Event, Venue
from registry.db.sync_models import OutboxItem
from registry.errors import InvalidInput, NotFound, RegistryError
from registry.progress import Progress
from registry.sync import outbox, payload
from registry.sync.station import Result, apply_batch

BATCH = 200


class StationUnreachable(RegistryError):
    """The station could not be reached or failed mid-batch; the items will be resent
    (not before ``retry_after`` seconds when the station said so)."""

    def __init__(self, message: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StationRefused(RegistryError):
    """The station refused the batch as a whole (credential, scope, size): resending the
    same will not help; the items stay queued until someone fixes the cause."""


class Transport(Protocol):
    """How a batch reaches the station and its results come back."""

    def send(
        self, venue: dict[str, Any], items: list[dict[str, Any]], ctx: Context
    ) -> list[Result]:
        """The station's result per item, in order; raises ``StationUnreachable`` (retry
        later), ``StationRefused`` or ``UnknownVenue``."""
        ...

    def close(self) -> None: ...


class DatabaseTransport:
    """Straight into the station's database (``apply_batch`` in one station transaction)."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        if engine is not None:  # an engine the caller owns (and may instrument)
            self.engine, self.sessions = engine, session_factory(engine)
        else:
            self.engine, self.sessions = station_sessions(url or "")

    def send(
        self, venue: dict[str, Any], items: list[dict[str, Any]], ctx: Context
    ) -> list[Result]:
        try:
            with self.sessions.begin() as st:
                return apply_batch(st, venue, items, ctx.now())
        except (SQLAlchemyError, OSError) as exc:
            self.engine.dispose()
            raise StationUnreachable(f"the station did not take the batch: {_reason(exc)}") from exc

    def close(self) -> None:
        self.engine.dispose()


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
    rejections: list[tuple[str, str]] = field(default_factory=list)  # (table, the reason)


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
    """Records before the events about them, a record's insert before its update: pull in the
    open items of an event's subject and of an updated record (still waiting out a back-off
    after a failed upload, or in a later batch). An update sent without its insert would be
    rejected for good ("never registered at the station")."""
    wanted = {i.record_id for i in items if i.op == "update"}
    event_ids = [i.record_id for i in items if i.table_name == "events"]
    if event_ids:
        refs = session.execute(
            select(Event.subject_id, Event.person_id).where(Event.id.in_(event_ids))
        )
        # a subject inserted in this batch has nothing queued before its insert
        inserted = {i.record_id for i in items if i.op == "insert"}
        wanted |= {r for row in refs for r in row if r is not None and r not in inserted}
    if wanted:
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
    station: Transport,
    venue_ref: str | None,
    ctx: Context,
    report: PushReport,
    batch: int = BATCH,
    *,
    due_only: bool = True,
) -> int:
    """Send one batch; the number of items sent (0: nothing due). ``due_only=False`` also
    sends items still waiting out a back-off (a push the clerk asked for now)."""
    now = datetime.now(UTC)
    with desk.begin() as session:
        venue = desk_venue(session, venue_ref)
        queue_heartbeats(session, ctx, venue)
        items = next_batch(session, batch, now, due_only=due_only)
        identity = payload.venue_identity(venue)
    if not items:
        return 0
    ids = [uuid.UUID(i["id"]) for i in items]
    try:
        results = station.send(identity, items, ctx)
    except (StationUnreachable, StationRefused) as exc:
        _failed(desk, ids, exc)
        raise
    except NotFound:
        with desk.begin() as session:
            outbox.failed(session, ids, "venue not registered at the station", now)
        raise
    with desk.begin() as session:
        outbox.settle(session, results, datetime.now(UTC))
    report.batches += 1
    report.sent += len(items)
    tables = {str(i["id"]): str(i["table"]) for i in items}
    about = {str(i["id"]): _about(i) for i in items}
    for r in results:
        report.accepted += r["state"] == "accepted"
        report.rejected += r["state"] == "rejected"
        if r["state"] == "rejected":
            report.rejections.append((tables.get(str(r["id"]), ""), str(r.get("reason") or "")))
        report.duplicates += bool(r.get("duplicate"))
        if r.get("notice"):
            who = about.get(str(r["id"]))
            report.notices.append(f"{who}：{r['notice']}" if who else str(r["notice"]))
    return len(items)


def _about(item: dict[str, Any]) -> str | None:
    """Whom an item is about, as the desk's clerk knows the guest: the room and name of a
    stay (``"201 房 张三"``), the name of any other person's record; None for the rest."""
    data = item.get("data") or {}
    person = data.get("person") if isinstance(data.get("person"), dict) else None
    name = (person or {}).get("name")
    stay = data.get("stay") if isinstance(data.get("stay"), dict) else None
    if stay and stay.get("room") and name:
        return f"{stay['room']} 房 {name}"
    return str(name) if name else None


def _failed(desk: sessionmaker[Session], ids: list[uuid.UUID], exc: RegistryError) -> None:
    """Back to pending with the back-off, at least the station's Retry-After."""
    now = datetime.now(UTC)
    with desk.begin() as session:
        outbox.failed(session, ids, str(exc), now)
        wait = getattr(exc, "retry_after", None)
        if wait:
            later = now + timedelta(seconds=min(float(wait), 3600.0))
            session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.id.in_(ids),
                    OutboxItem.state == "pending",
                    OutboxItem.next_attempt_at < later,
                )
                .values(next_attempt_at=later)
            )


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:250]


def push(
    desk: sessionmaker[Session],
    station: str | Transport,
    ctx: Context,
    *,
    venue_ref: str | None = None,
    batch: int = BATCH,
    retry_for: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
    now: bool = False,
    progress: Progress | None = None,
) -> PushReport:
    """Push until nothing is due; retry with back-off for up to ``retry_for`` seconds.

    ``station``: a database URL (``DatabaseTransport``, closed at the end) or a transport
    (the caller's, left open). ``now``: a push asked for by hand first forgets the back-off
    (``outbox.retry_now``), so what waits is sent at once; a failure on the way sets a new
    back-off. ``retry_for`` (seconds) is counted from the last batch that got through, so a
    long push that stalls near its end still gets the full window; when the back-off would
    end after the window, the last try is made at the window's end. ``progress(sent, total)``
    (items) after each batch, ``total`` the items open at the start. Raises
    ``StationRefused`` and ``UnknownVenue`` at once.
    """
    report = PushReport()
    started = time.monotonic()
    through = started  # ``retry_for`` counts from the last batch that got through
    transport = DatabaseTransport(station) if isinstance(station, str) else station
    if now:
        with desk.begin() as session:
            outbox.retry_now(session)
    total = 0
    if progress is not None:
        with desk() as session:
            total = outbox.summary(session).waiting
        progress(0, total)
    try:
        while True:
            try:
                if push_once(desk, transport, venue_ref, ctx, report, batch):
                    through = time.monotonic()
                    if progress is not None:
                        progress(report.sent, max(total, report.sent))
                    continue
            except StationUnreachable as exc:
                report.errors.append(str(exc))
            wait = _next_due(desk)
            left = retry_for - (time.monotonic() - through)
            if wait is None or left <= 0:
                break
            if wait > left:  # the back-off ends after the window: one last try at its end
                sleep(left)
                with desk.begin() as session:
                    outbox.retry_now(session)
                continue
            sleep(max(0.05, wait))
    finally:
        if transport is not station:
            transport.close()
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
