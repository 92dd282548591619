"""The desk's outbox: what still has to reach the station registry, and what became of it.

Rows are queued by database triggers (migration 0006) in the transaction of the change, so
nothing written at the desk can be lost between the registry and the queue, however it was
inserted. Each item moves pending → sent → accepted | rejected (with the station's reason);
a failed upload goes back to pending with a back-off. Payloads are built at push time
(``registry.sync.payload``), so the queue holds references, not copies.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from registry.context import Context
from registry.db.models import Person, Stay
from registry.db.sync_models import CaptureOff, OutboxItem
from registry.identity.ids import mask
from registry.matching import rules

OPEN = ("pending", "sent")
HEARTBEAT = "heartbeat"
_BEAT_NS = uuid.UUID("6f1c1f0e-5a9b-4c41-9d7a-2b0c4f6a9e10")
MAX_BACKOFF = 300.0


@contextmanager
def suspended(session: Session, key: str | None = None) -> Iterator[None]:
    """Queue nothing inside the block (the row is invisible to other transactions)."""
    key = key or f"apply:{uuid.uuid4()}"
    session.execute(insert(CaptureOff).values(key=key))
    yield  # on an error the transaction is rolled back, and the row with it
    session.execute(delete(CaptureOff).where(CaptureOff.key == key))


def backoff(attempts: int) -> float:
    """Seconds to wait before the next try after ``attempts`` failures: 1, 2, 4 … 300."""
    return min(MAX_BACKOFF, 2.0 ** max(0, attempts - 1))


def claim(
    session: Session, limit: int, now: datetime, not_sent_at: datetime | None = None
) -> list[OutboxItem]:
    """The next items due, oldest first, marked sent (a resend is harmless: idempotent)."""
    query = select(OutboxItem).where(
        OutboxItem.state.in_(OPEN),
        or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now),
    )
    if not_sent_at is not None:
        query = query.where(or_(OutboxItem.sent_at.is_(None), OutboxItem.sent_at != not_sent_at))
    items = _whole(list(session.scalars(query.order_by(OutboxItem.seq).limit(limit))), limit)
    if items:  # one UPDATE for the batch; the loaded rows are told what it wrote
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.seq.in_([i.seq for i in items]))
            .values(state="sent", sent_at=now, attempts=OutboxItem.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        for item in items:
            set_committed_value(item, "state", "sent")
            set_committed_value(item, "sent_at", now)
            set_committed_value(item, "attempts", item.attempts + 1)
    return items


# Registered at a desk in the same transaction as the record that uses them (a check-in's
# stay, a move-in's residence), queued just before it.
_LEADING = frozenset({("persons", "insert"), ("documents", "insert")})


def _whole(items: list[OutboxItem], limit: int) -> list[OutboxItem]:
    """A full batch does not end between a guest's person and document and the stay they came
    with: those trailing items wait for the next batch, with it, so the station applies the
    check-in whole (its batched intake) rather than item by item. A batch of nothing else is
    sent as it is."""
    if len(items) < limit:
        return items
    end = len(items)
    while end > 0 and (items[end - 1].table_name, items[end - 1].op) in _LEADING:
        end -= 1
    return items[:end] if end else items


def related(session: Session, record_ids: Iterable[uuid.UUID], before: int) -> list[OutboxItem]:
    """Open items of these records queued before ``before`` (an event's subject goes first)."""
    ids = list(set(record_ids))
    if not ids:
        return []
    return list(
        session.scalars(
            select(OutboxItem)
            .where(
                OutboxItem.record_id.in_(ids),
                OutboxItem.state.in_(OPEN),
                OutboxItem.seq < before,
            )
            .order_by(OutboxItem.seq)
        )
    )


def settle(session: Session, results: Sequence[dict[str, str | None]], now: datetime) -> None:
    """Record the station's answer per item: accepted or rejected, reason, notice (one UPDATE
    per distinct answer: a batch accepted without remarks is one statement)."""
    answers: dict[tuple[str | None, str | None, str | None], list[uuid.UUID]] = {}
    for r in results:
        key = (r["state"], r.get("reason") or None, r.get("notice") or None)
        answers.setdefault(key, []).append(uuid.UUID(str(r["id"])))
    for (state, reason, notice), ids in answers.items():
        for i in range(0, len(ids), 500):
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(ids[i : i + 500]))
                .values(state=state, done_at=now, reason=reason, notice=notice, last_error=None)
                .execution_options(synchronize_session=False)
            )


def failed(session: Session, ids: Iterable[uuid.UUID], error: str, now: datetime) -> None:
    """The upload did not get through: back to pending, retried after a back-off."""
    for item in session.scalars(select(OutboxItem).where(OutboxItem.id.in_(list(ids)))):
        if item.state != "sent":
            continue
        item.state = "pending"
        item.last_error = error[:300]
        item.next_attempt_at = now + timedelta(seconds=backoff(item.attempts))


def retry_now(session: Session) -> None:
    """Forget the back-off (an operator asked to push now)."""
    session.execute(
        update(OutboxItem).where(OutboxItem.state.in_(OPEN)).values(next_attempt_at=None)
    )


@dataclass(frozen=True)
class Summary:
    """What the desk shows: counts per state and the age of the oldest item not through."""

    counts: dict[str, int]
    oldest_at: datetime | None
    last_error: str | None

    @property
    def waiting(self) -> int:
        return self.counts.get("pending", 0) + self.counts.get("sent", 0)

    def oldest_age(self, now: datetime) -> timedelta | None:
        return None if self.oldest_at is None else max(timedelta(0), now - self.oldest_at)


def summary(session: Session) -> Summary:
    counts = dict.fromkeys(("pending", "sent", "accepted", "rejected"), 0)
    for state, n in session.execute(
        select(OutboxItem.state, func.count()).group_by(OutboxItem.state)
    ):
        counts[state] = int(n)
    oldest = session.scalar(
        select(func.min(OutboxItem.created_at)).where(OutboxItem.state.in_(OPEN))
    )
    error = session.scalar(
        select(OutboxItem.last_error)
        .where(OutboxItem.state.in_(OPEN), OutboxItem.last_error.is_not(None))
        .order_by(OutboxItem.seq.desc())
        .limit(1)
    )
    return Summary(counts, oldest, error)


@dataclass(frozen=True)
class DueSoon:
    """A stay whose report deadline is near or past while its upload is not through."""

    stay_id: uuid.UUID
    room: str
    name: str
    masked: str
    deadline: datetime  # when the stay becomes late (the station's PH-LATE)


def due_soon(session: Session, now: datetime, within: timedelta) -> list[DueSoon]:
    """Guests in the house whose check-in is still waiting in the outbox and becomes late
    before ``now + within``, soonest first.

    Late is when the station would raise PH-LATE: the report deadline, plus the domestic
    alert delay for domestic guests (``rules.stay_alert_after``; a domestic guest's deadline
    is the check-in itself). Guests who have left are not listed: their records still go up
    with the rest of the queue.
    """
    waiting = (
        select(OutboxItem.record_id)
        .where(OutboxItem.table_name == "stays", OutboxItem.state.in_(OPEN))
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Stay.id,
            Stay.room,
            Person.name,
            Person.number,
            Stay.report_deadline,
            Person.category,
            Stay.jurisdiction_code,
        )
        .join(Person, Person.id == Stay.person_id)
        .where(
            Stay.id.in_(waiting),
            Stay.checked_out_at.is_(None),
            Stay.report_deadline <= now + within,
        )
    )
    found = []
    for stay_id, room, name, number, deadline, category, code in rows:
        in_force = rules.effective(session, code, deadline.date())
        late = rules.stay_alert_after(in_force, category, deadline)
        if late <= now + within:
            found.append(DueSoon(stay_id, room, name, mask(number), late))
    return sorted(found, key=lambda d: d.deadline)


def problems(session: Session, limit: int = 20) -> list[OutboxItem]:
    """Rejected items and items the station sent a notice about, newest first."""
    return list(
        session.scalars(
            select(OutboxItem)
            .where(or_(OutboxItem.state == "rejected", OutboxItem.notice.is_not(None)))
            .order_by(OutboxItem.seq.desc())
            .limit(limit)
        )
    )


def heartbeat_day(item: OutboxItem) -> date:
    return datetime.strptime(item.op, "%Y%m%d").date()


def heartbeat_id(venue_id: uuid.UUID, day: date) -> uuid.UUID:
    return uuid.uuid5(_BEAT_NS, f"{venue_id}:{day.isoformat()}")


def queue_heartbeats(session: Session, ctx: Context, venue_id: uuid.UUID, since: date) -> int:
    """Queue one heartbeat per finished local day from ``since`` (zero guests still reports)."""
    yesterday = ctx.today() - timedelta(days=1)
    days = [since + timedelta(days=i) for i in range((yesterday - since).days + 1)]
    if not days:
        return 0
    wanted = {heartbeat_id(venue_id, d): d for d in days}
    known = set(
        session.scalars(select(OutboxItem.record_id).where(OutboxItem.record_id.in_(wanted)))
    )
    rows = [
        {
            "id": uuid.uuid4(),
            "table_name": HEARTBEAT,
            "record_id": rid,
            "op": day.strftime("%Y%m%d"),
            "created_at": ctx.end_of(day),
            "state": "pending",
            "attempts": 0,
        }
        for rid, day in sorted(wanted.items(), key=lambda kv: kv[1])
        if rid not in known
    ]
    if rows:
        session.execute(insert(OutboxItem), rows)
    return len(rows)
