"""The outbox is filled in the transaction of the change; a push applies it at the station
through the use cases, once, and the station's answer comes back to the desk."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from dbtools import NOW
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from world import (
    HOTEL,
    add_other_hotel,
    build,
    card,
    count,
    guests,
    rid,
    snapshot_desk,
    snapshot_station,
)

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Event, Finding, Stay, Venue
from registry.db.sync_models import OutboxItem
from registry.movements import residences, stays
from registry.sync import outbox
from registry.sync.push import DatabaseTransport, StationUnreachable, push

CTX = Context("clerk", "desk-1", NOW)


@pytest.fixture
def desk(desk_url: str):
    engine = make_engine(desk_url)
    yield engine
    engine.dispose()


def _items(engine) -> list[tuple[str, str, str]]:
    with Session(engine) as s:
        return [
            (i.table_name, i.op, i.state)
            for i in s.scalars(select(OutboxItem).order_by(OutboxItem.seq))
        ]


def test_changes_are_queued_in_their_transaction(engine, sf, ctx):
    hotel = build(sf, ctx)
    before = count(engine, "outbox")
    with pytest.raises(RuntimeError), sf.begin() as s:
        stays.check_in(s, ctx, hotel, "101", [card(1)])
        raise RuntimeError("the desk crashed before the commit")
    assert count(engine, "outbox") == before  # rolled back with the change
    with sf.begin() as s:
        stays.check_in(s, ctx, hotel, "101", [card(1)])
    kinds = {t for t, _, _ in _items(engine)[before:]}
    assert kinds == {"persons", "documents", "stays", "events"}
    # a Core insert is queued like an ORM flush (the triggers do not care how)
    with sf.begin() as s:
        eid = uuid.uuid4()
        s.execute(
            insert(Event),
            [
                {
                    "id": eid,
                    "occurred_at": NOW,
                    "actor": "x",
                    "action": "t",
                    "subject_kind": "k",
                    "detail": {},
                }
            ],
        )
    with Session(engine) as s:
        assert (
            s.scalar(select(OutboxItem.table_name).where(OutboxItem.record_id == eid)) == "events"
        )
    with sf.begin() as s:
        if True:
            with outbox.suspended(s):
                s.execute(
                    insert(Event),
                    [
                        {
                            "id": uuid.uuid4(),
                            "occurred_at": NOW,
                            "actor": "x",
                            "action": "t",
                            "subject_kind": "k",
                            "detail": {},
                        }
                    ],
                )
    assert _items(engine)[-1][0] == "events" and count(engine, "outbox") == before + 6


def test_push_applies_once_with_same_contents(desk, desk_url, db_url, engine, sf):
    build(sf, CTX)
    hotel = build(session_factory(desk), CTX)
    guests(session_factory(desk), CTX, hotel, 12)
    with session_factory(desk).begin() as s:  # a tenant moving in and out, at the desk
        residences.move_in(s, CTX, "BH-3-101", card(500, "租客"), relation="tenant")
        residences.move_out(s, CTX.at(NOW + timedelta(hours=1)), "BH-3-101", rid(500))
    queued = count(desk, "outbox")
    later = CTX.at(NOW + timedelta(minutes=5))
    report = push(session_factory(desk), db_url, later, batch=7)
    assert report.sent == queued and report.rejected == 0 and report.batches >= queued // 7
    assert {s for _, _, s in _items(desk)} == {"accepted"}
    with Session(engine) as s:
        venue = s.scalar(select(Venue.id).where(Venue.name == HOTEL))
    a, b = snapshot_desk(desk), snapshot_station(engine, venue)
    for table in ("persons", "documents", "events", "residences"):
        key = slice(1, None) if table == "residences" else slice(None)
        assert [r[key] for r in b[table]] == [r[key] for r in a[table]], table
    assert [r[1:] for r in b["stays"]] == [r[1:] for r in a["stays"]]
    # reported_at at the station is when the record arrived there
    with Session(engine) as s:
        for st in s.scalars(select(Stay)):
            assert st.reported_at == max(later.now(), st.checked_in_at)
    # resending everything changes nothing
    with session_factory(desk).begin() as s:
        s.execute(sa.update(OutboxItem).values(state="pending"))
    counts = {
        t: count(engine, t) for t in ("stays", "persons", "documents", "events", "sync_ledger")
    }
    again = push(session_factory(desk), db_url, later)
    assert again.duplicates == queued
    assert counts == {t: count(engine, t) for t in counts}


def test_station_findings_and_refusals_reach_the_desk(desk, db_url, sf):
    build(sf, CTX)
    other = add_other_hotel(sf, CTX)
    with sf.begin() as s:  # the same card is already staying at another hotel
        stays.check_in(s, CTX, other, "1", [card(7)])
    hotel = build(session_factory(desk), CTX)
    with session_factory(desk).begin() as s:
        stays.check_in(s, CTX.at(NOW + timedelta(minutes=1)), hotel, "101", [card(7)])
    with session_factory(desk).begin() as s:
        # a room the station does not know for this hotel: refused there, with the reason
        s.execute(
            sa.text("INSERT INTO rooms (id, venue_id, number) VALUES (:i, :v, '999')"),
            {"i": uuid.uuid4().hex, "v": uuid.UUID(hotel).hex},
        )
        stays.check_in(s, CTX.at(NOW + timedelta(minutes=2)), hotel, "999", [card(8)])
    with session_factory(desk).begin() as s:
        stays.check_out(s, CTX.at(NOW + timedelta(minutes=3)), hotel, room="999")
    report = push(session_factory(desk), db_url, CTX.at(NOW + timedelta(minutes=4)))
    # the push names whom each notice and refusal is about: the room and the guest
    assert any(n.startswith("101 房 张三：") and "PC-TWO-PLACES" in n for n in report.notices)
    assert ("stays", "room '999' is not a room of 百花旅馆") in report.rejections
    with session_factory(desk)() as s:
        notices = [i.notice for i in outbox.problems(s) if i.notice]
        rejected = [
            (i.table_name, i.op, i.reason) for i in outbox.problems(s) if i.state == "rejected"
        ]
    assert any("PC-TWO-PLACES" in n for n in notices)
    assert ("stays", "insert", "room '999' is not a room of 百花旅馆") in rejected
    cause = "the stay was never registered at the station: its registration was rejected"
    assert ("stays", "update", cause) in rejected
    station = make_engine(db_url)
    with Session(station) as s:
        assert (
            s.scalar(
                select(sa.func.count())
                .select_from(Finding)
                .where(Finding.code == "PC-TWO-PLACES", Finding.resolved_at.is_(None))
            )
            >= 1
        )
    station.dispose()


def test_unreachable_station_backs_off_and_keeps_the_queue(desk, tmp_path):
    hotel = build(session_factory(desk), CTX)
    guests(session_factory(desk), CTX, hotel, 2)
    queued = count(desk, "outbox")
    gone = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'station.sqlite'}"
    waits: list[float] = []
    report = push(
        session_factory(desk),
        gone.replace("sqlite:///", "sqlite:////nonexistent"),
        CTX,
        retry_for=0.0,
        sleep=waits.append,
    )
    assert report.errors and report.sent == 0
    with session_factory(desk)() as s:
        summary = outbox.summary(s)
        assert summary.waiting == queued and summary.last_error
        assert {i.attempts for i in s.scalars(select(OutboxItem))} == {1}
        assert all(i.next_attempt_at is not None for i in s.scalars(select(OutboxItem)))
    assert outbox.backoff(1) == 1 and outbox.backoff(4) == 8 and outbox.backoff(40) == 300


def _backed_off(engine) -> int:
    """Open items whose next attempt lies in the future (waiting out a back-off)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with Session(engine) as s:
        return sum(
            1
            for i in s.scalars(select(OutboxItem).where(OutboxItem.state.in_(outbox.OPEN)))
            if i.next_attempt_at is not None and i.next_attempt_at.replace(tzinfo=None) > now
        )


def test_a_push_by_hand_after_a_failed_one_sends_at_once(desk, db_url, sf, tmp_path):
    """issue 19: after a failed push an operator's next push sends at once, without waiting
    out the back-off (``outbox.retry_now``); the background uploader keeps the back-off."""
    build(sf, CTX)
    hotel = build(session_factory(desk), CTX)
    guests(session_factory(desk), CTX, hotel, 3)
    queued = count(desk, "outbox")
    gone = f"sqlite:////nonexistent{tmp_path}/no/station.sqlite"
    failed = push(session_factory(desk), gone, CTX, now=True)
    assert failed.errors and failed.sent == 0
    # a station that asked to come back later (HTTP Retry-After) puts the queue far off
    with session_factory(desk).begin() as s:
        s.execute(sa.update(OutboxItem).values(next_attempt_at=NOW.replace(year=NOW.year + 1)))
    assert _backed_off(desk) == queued
    background = push(session_factory(desk), db_url, CTX)  # not by hand: keeps the back-off
    assert background.sent == 0 and _backed_off(desk) == queued
    waits: list[float] = []
    started = time.monotonic()
    by_hand = push(session_factory(desk), db_url, CTX, now=True, sleep=waits.append)
    assert by_hand.sent >= queued and not by_hand.errors and waits == []
    assert time.monotonic() - started < 30
    assert {st for _, _, st in _items(desk)} == {"accepted"}


class _DropsOnce(DatabaseTransport):
    """The real station database; the first batch is slow, the second one is lost on the way
    (a dropped connection), the rest go through."""

    def __init__(self, url: str, slow: float) -> None:
        super().__init__(url)
        self.slow, self.calls = slow, 0

    def send(self, venue: dict[str, Any], items: list[dict[str, Any]], ctx: Context) -> list:
        self.calls += 1
        if self.calls == 1:
            time.sleep(self.slow)
        if self.calls == 2:
            raise StationUnreachable("the connection dropped")
        return super().send(venue, items, ctx)


def test_retry_for_counts_from_the_last_batch_that_got_through(desk, db_url, sf):
    """issue 19: a push whose first batch took longer than ``--retry-for`` still retries a
    later failure; counted from the start it would give up with items left."""
    build(sf, CTX)
    hotel = build(session_factory(desk), CTX)
    guests(session_factory(desk), CTX, hotel, 6)
    queued = count(desk, "outbox")
    transport = _DropsOnce(db_url, slow=3.0)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    try:
        report = push(session_factory(desk), transport, CTX, batch=5, retry_for=2.5, sleep=sleep)
    finally:
        transport.close()
    assert report.errors == ["the connection dropped"] and len(waits) == 1
    assert report.sent >= queued and transport.calls >= 3
    with session_factory(desk)() as s:
        assert outbox.summary(s).waiting == 0
    # the window still closes: a station gone for good is given up after ``retry_for``
    with session_factory(desk).begin() as s:
        s.execute(sa.update(OutboxItem).values(state="pending", next_attempt_at=None))
    started = time.monotonic()
    gone = push(session_factory(desk), "sqlite:////nonexistent/x.sqlite", CTX, retry_for=1.5)
    assert gone.errors and gone.sent == 0 and time.monotonic() - started < 10


def test_push_reports_its_progress(desk, db_url, sf):
    """The core tells a caller how far a push is (``progress(sent, total)``, items): the CLI
    draws it as a bar on a terminal."""
    build(sf, CTX)
    hotel = build(session_factory(desk), CTX)
    guests(session_factory(desk), CTX, hotel, 6)
    calls: list[tuple[int, int]] = []
    report = push(
        session_factory(desk),
        db_url,
        CTX.at(NOW + timedelta(minutes=5)),
        batch=5,
        progress=lambda done, total: calls.append((done, total)),
    )
    total = calls[0][1]  # open at the start (the day's heartbeats are queued on the way)
    assert calls[0] == (0, total) and total > 0 and report.sent >= total
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) == report.batches + 1
    assert calls[-1] == (report.sent, report.sent)


def test_a_check_out_never_overtakes_its_check_in(desk, db_url, sf, tmp_path):
    """A check-in whose upload failed waits out its back-off; the guest's check-out, queued
    meanwhile, is due at once. Sent ahead of the check-in, the station would reject it for
    good ("never registered"): the push takes the record's earlier items along."""
    build(sf, CTX)
    hotel = build(session_factory(desk), CTX)
    with session_factory(desk).begin() as s:
        stays.check_in(s, CTX, hotel, "101", [card(3)])
    gone = f"sqlite:////nonexistent/{tmp_path.name}/station.sqlite"
    assert push(session_factory(desk), gone, CTX).errors  # backs off
    with session_factory(desk).begin() as s:
        stays.check_out(s, CTX.at(NOW + timedelta(minutes=1)), hotel, number=rid(3))
    first = push(session_factory(desk), db_url, CTX, batch=1)  # only what is due, one by one
    assert first.rejected == 0 and first.sent >= 2  # the stay's insert went with its update
    push(session_factory(desk), db_url, CTX, now=True)
    assert {s for _, _, s in _items(desk)} == {"accepted"}
    station = make_engine(db_url)
    with Session(station) as s:
        assert s.scalar(select(Stay.checked_out_at)) is not None
    station.dispose()


def test_retry_for_shorter_than_the_back_off_still_tries_at_its_end(desk, db_url, sf):
    """A station down for a while leaves a long back-off (up to 300 s); ``--retry-for 2``
    then tries again at the end of its 2 s instead of giving up at once."""
    build(sf, CTX)
    hotel = build(session_factory(desk), CTX)
    guests(session_factory(desk), CTX, hotel, 1)
    with session_factory(desk).begin() as s:
        s.execute(sa.update(OutboxItem).values(attempts=12))  # back-off 300 s after a failure
    gone = "sqlite:////nonexistent/x.sqlite"
    waits: list[float] = []
    started = time.monotonic()

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    report = push(session_factory(desk), gone, CTX, retry_for=2.0, sleep=sleep, now=True)
    assert len(report.errors) == 2 and report.sent == 0
    assert len(waits) == 1 and 1.5 < waits[0] <= 2.0
    assert 1.5 < time.monotonic() - started < 10
