"""The upload state a desk shows: queued items, the last success, today's on-time rate.

Read from the desk's own outbox (``registry.sync``): a stay counts as reached when its insert
was accepted by the station, on time when that happened before its deadline (domestic guests:
plus the alert delay, as ``registry.sync.rates`` counts it at the station); only the stays
whose time is up count. Local reads only, never the network.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Person, Stay
from registry.db.sync_models import OutboxItem
from registry.matching import rules
from registry.messages import phrase
from registry.sync import outbox

WARN_BEFORE = timedelta(minutes=10)


def upload_state(session: Session, ctx: Context, venue_id: str) -> dict[str, Any]:
    s = outbox.summary(session)
    now = ctx.now()
    age = s.oldest_age(now) if s.waiting else None
    last_ok = session.scalar(
        select(func.max(OutboxItem.done_at)).where(OutboxItem.state == "accepted")
    )
    today = ctx.today()
    rows = session.execute(
        select(Stay.checked_in_at, Stay.report_deadline, Stay.jurisdiction_code,
               Person.category, OutboxItem.state, OutboxItem.done_at)
        .join(Person, Person.id == Stay.person_id)
        .outerjoin(OutboxItem, (OutboxItem.record_id == Stay.id)
                   & (OutboxItem.table_name == "stays") & (OutboxItem.op == "insert"))
        .where(Stay.venue_id == uuid.UUID(venue_id),
               Stay.checked_in_at >= ctx.start_of(today), Stay.checked_in_at < ctx.end_of(today))
    ).all()
    # Only the stays whose time is up (the deadline, plus the alert delay for domestic
    # guests): a stay checked in a minute ago is not yet late, whether sent or not.
    total = reached = on_time = 0
    for _at, deadline, code, category, state, done in rows:
        if deadline is None:
            continue
        limit = rules.stay_alert_after(rules.effective(session, code, today), category,
                                       _aware(deadline))
        if limit > now:
            continue
        total += 1
        if state != "accepted" or done is None:
            continue
        reached += 1
        if _aware(done) <= limit:
            on_time += 1
    due = outbox.due_soon(session, now, WARN_BEFORE)
    return {
        "waiting": s.waiting,
        "rejected": s.counts.get("rejected", 0),
        "oldest_minutes": int(age.total_seconds() // 60) if age is not None else None,
        "last_error": phrase(s.last_error) if s.last_error else None,
        "last_success": _local(last_ok, ctx),
        "today": {"stays": len(rows), "due": total, "reached": reached, "on_time": on_time,
                  "rate": round(100 * on_time / total) if total else None},
        "due_soon": [
            {"room": d.room, "masked": d.masked, "late": d.deadline <= now} for d in due[:3]
        ],
    }


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _local(at: datetime | None, ctx: Context) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(ctx.zone).strftime("%m-%d %H:%M")
