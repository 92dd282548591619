"""The station's batched intake (issue #16): the same station as item by item, a refusal that
falls back and rejects only its own items, duplicates, exactly once after a retry, employments
uploaded, and a bounded number of statements per check-in."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from dbtools import NOW
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from world import (
    HOTEL,
    STATION,
    add_other_hotel,
    build,
    card,
    count,
    guests,
    rid,
    snapshot_station,
)

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Employment, Finding, Person, Stay, Venue
from registry.db.sync_models import LedgerEntry, OutboxItem
from registry.movements import employment, residences, stays
from registry.people import registration
from registry.places import employers
from registry.sync import intake, payload
from registry.sync.push import next_batch, push
from registry.sync.station import apply_batch

CTX = Context("clerk", "desk-1", NOW)
LATER = CTX.at(NOW + timedelta(hours=1))


@pytest.fixture
def desk(desk_url: str):
    engine = make_engine(desk_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each batch's check-ins went the fast way (True) or fell back (False)."""
    calls: list[bool] = []
    real = intake.fast

    def spy(*args, **kwargs):
        rows = real(*args, **kwargs)
        calls.append(rows is not None)
        return rows

    monkeypatch.setattr(intake, "fast", spy)
    return calls


def item_by_item(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's path for every item (the reference the batched intake must equal)."""
    monkeypatch.setattr(
        intake, "apply_new", lambda s, v, d, items, at, per_item: [per_item(i) for i in items]
    )


def _station(url: str) -> None:
    """A station with the desk's city, a guest staying at another hotel (two places) and a
    person registered under another name than the chip says (disagreement)."""
    engine = make_engine(url)
    sf = session_factory(engine)
    ctx = Context("officer", "station", NOW)
    build(sf, ctx)
    other = add_other_hotel(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, other, "1", [card(7)])
        registration.register(s, ctx, registration.TypedIdentity(number=rid(9), name="李四"))
    engine.dispose()


def _desk_day(desk) -> str:
    """A desk's day: chip guests (some leave), a typed guest, a returning guest, a tenant."""
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 10)  # guests 0..9 (7: two places; 9: the chip disagrees)
    with sf.begin() as s:
        stays.check_in_many(
            s,
            CTX.at(NOW + timedelta(minutes=20)),
            [
                stays.Arrival(
                    hotel, "120", [registration.TypedIdentity(number=rid(40), name="王五")]
                ),
                stays.Arrival(hotel, "121", [card(41, "赵六"), card(42, "钱七")]),
            ],
        )
    with sf.begin() as s:  # guest 0 left at minute 0; comes back
        stays.check_in(s, CTX.at(NOW + timedelta(minutes=30)), hotel, "125", [card(0, "旅客0")])
    with sf.begin() as s:
        residences.move_in(s, CTX, "BH-3-101", card(500, "租客"), relation="tenant")
    return hotel


def _ledger(url: str, venue: uuid.UUID) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    with Session(engine) as s:
        rows = [
            (e.item_id, e.kind, e.desk_id, e.result, e.reason, e.notice)
            for e in s.scalars(select(LedgerEntry).where(LedgerEntry.venue_id == venue))
        ]
    engine.dispose()
    return sorted(rows, key=str)


def _venue(url: str) -> uuid.UUID:
    engine = make_engine(url)
    with Session(engine) as s:
        found = s.scalar(select(Venue.id).where(Venue.name == HOTEL))
    engine.dispose()
    assert found is not None
    return found


def _resend(desk) -> None:
    with session_factory(desk).begin() as s:
        s.execute(sa.update(OutboxItem).values(state="pending", next_attempt_at=None))


def test_batched_intake_gives_the_station_of_the_item_path(
    desk, db_url, second_url, monkeypatch, fast_calls
):
    _station(db_url)
    _station(second_url)
    _desk_day(desk)
    queued = count(desk, "outbox")
    fast = push(session_factory(desk), db_url, LATER)
    assert fast.sent == queued and fast.rejected == 0
    assert fast_calls and all(fast_calls)  # the check-ins went the batched way
    _resend(desk)
    with monkeypatch.context() as m:
        item_by_item(m)
        slow = push(session_factory(desk), second_url, LATER)
    assert slow.sent == queued and slow.rejected == 0
    a, b = make_engine(db_url), make_engine(second_url)
    snap_a, snap_b = snapshot_station(a, _venue(db_url)), snapshot_station(b, _venue(second_url))
    for snap in (snap_a, snap_b):  # each station's own events (built before) have own ids
        snap["events"] = sorted((e if e[2] == "clerk" else e[1:] for e in snap["events"]), key=str)
    for table in ("persons", "documents", "stays", "residences", "events"):
        assert snap_a[table] == snap_b[table], table
    assert len(snap_a["stays"]) == 14
    # the ledger: the same items, outcomes and notices (PC-TWO-PLACES, PC-DISAGREE, PC-MANUAL)
    ledger_a, ledger_b = _ledger(db_url, _venue(db_url)), _ledger(second_url, _venue(second_url))
    assert ledger_a == ledger_b
    notices = " ".join(str(r[5]) for r in ledger_a)
    for code in ("PC-TWO-PLACES", "PC-DISAGREE", "PC-MANUAL"):
        assert code in notices, code
    with Session(a) as s, Session(b) as t:
        for model in (Stay, Person):
            assert s.scalar(select(sa.func.count()).select_from(model)) == t.scalar(
                select(sa.func.count()).select_from(model)
            )
        # each stay keeps the desk's check-in time and clerk; reported when it arrived
        for st in s.scalars(select(Stay).where(Stay.registered_by == "clerk")):
            assert st.reported_at == max(LATER.now(), st.checked_in_at)
        codes = lambda x: sorted(x.scalars(select(Finding.code)))  # noqa: E731
        assert codes(s) == codes(t)
    a.dispose()
    b.dispose()


def test_a_refused_arrival_falls_back_and_rejects_only_its_items(desk, db_url, fast_calls):
    _station(db_url)
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 3)
    with sf.begin() as s:  # a room the station does not know for this hotel
        s.execute(
            sa.text("INSERT INTO rooms (id, venue_id, number) VALUES (:i, :v, '999')"),
            {"i": uuid.uuid4().hex, "v": uuid.UUID(hotel).hex},
        )
        stays.check_in(s, CTX.at(NOW + timedelta(minutes=5)), hotel, "999", [card(8)])
    guests(sf, CTX, hotel, 2, start=20)
    report = push(sf, db_url, LATER)
    assert fast_calls == [False]  # one batch: refused, then item by item
    with sf() as s:
        rejected = [
            (i.table_name, i.reason)
            for i in s.scalars(select(OutboxItem).where(OutboxItem.state == "rejected"))
        ]
    assert rejected == [("stays", "room '999' is not a room of 百花旅馆")]
    assert report.rejected == 1 and report.accepted == report.sent - 1
    station = make_engine(db_url)
    with Session(station) as s:
        numbers = set(s.scalars(select(Person.number).join(Stay, Stay.person_id == Person.id)))
    assert {rid(i) for i in (0, 1, 2, 20, 21)} <= numbers and rid(8) not in numbers
    station.dispose()


def test_duplicates_and_exactly_once_after_a_retry(desk, db_url, fast_calls):
    _station(db_url)
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 6)
    with sf.begin() as s:
        venue = payload.venue_identity(s.get_one(Venue, uuid.UUID(hotel)))
        items = next_batch(s, 500, NOW)
    station = make_engine(db_url)
    st = session_factory(station)
    # 1. the station applied the batch but its commit was lost: nothing of it stays
    before = {t: count(station, t) for t in ("persons", "stays", "events", "sync_ledger")}
    with st() as s:
        apply_batch(s, venue, items, LATER.now())
        s.rollback()
    assert before == {t: count(station, t) for t in before}
    # 2. the retry applies it, an item sent twice in the batch counts once
    with st.begin() as s:
        first = apply_batch(s, venue, [*items, items[0]], LATER.now())
    assert [r["state"] for r in first] == ["accepted"] * (len(items) + 1)
    assert [r["duplicate"] for r in first] == [None] * len(items) + ["1"]
    after = {t: count(station, t) for t in before}
    assert after["sync_ledger"] == before["sync_ledger"] + len(items)
    assert after["stays"] == before["stays"] + 6
    # 3. the desk did not hear back and sends again: duplicates, answered as the first time
    with st.begin() as s:
        again = apply_batch(s, venue, items, LATER.now())
    assert all(r["duplicate"] == "1" for r in again)
    assert [(r["state"], r["notice"]) for r in again] == [
        (r["state"], r["notice"]) for r in first[:-1]
    ]
    assert after == {t: count(station, t) for t in before}
    assert fast_calls == [True, True]
    station.dispose()


def test_employments_are_uploaded(desk, db_url):
    from stdnum.cn import uscc

    code = "91440300MA5F00001" + uscc.calc_check_digit("91440300MA5F00001")
    _station(db_url)
    build(session_factory(desk), CTX)
    station = make_engine(db_url)
    for engine in (station, desk):
        with session_factory(engine).begin() as s:
            employers.add_employer(s, CTX, "百花电子厂", code, STATION)
    sf = session_factory(desk)
    with sf.begin() as s:
        employment.start_job(s, CTX, code, rid(60), name="孙八", on=date(2026, 6, 1), post="普工")
    assert push(sf, db_url, LATER).rejected == 0
    with Session(station) as s:
        (job,) = s.scalars(select(Employment)).all()
        person = s.get_one(Person, job.person_id)
        assert (person.number, person.name) == (rid(60), "孙八")
        assert (job.valid_from, job.valid_to, job.post) == (date(2026, 6, 1), None, "普工")
        assert job.registered_by == "clerk"
    with sf.begin() as s:
        employment.end_job(s, LATER, code, rid(60), on=date(2026, 6, 15), reason="合同到期")
    report = push(sf, db_url, LATER.at(NOW + timedelta(hours=2)))
    assert report.rejected == 0 and report.sent >= 2
    with Session(station) as s:
        (job,) = s.scalars(select(Employment)).all()
        assert (job.valid_to, job.end_reason) == (date(2026, 6, 15), "合同到期")
    with sf() as s:
        kinds = {i.table_name for i in s.scalars(select(OutboxItem))}
    assert "employments" in kinds
    station.dispose()


@pytest.mark.postgres
def test_statements_per_check_in_at_the_station(desk, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("counted on PostgreSQL")
    _station(db_url)
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    push(sf, db_url, CTX)  # what building the desk queued
    with sf.begin() as s:
        stays.check_in_many(
            s, CTX, [stays.Arrival(hotel, "101", [card(100 + i)]) for i in range(40)]
        )
    station = make_engine(db_url)
    statements: list[str] = []
    event.listen(station, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with sf.begin() as s:
        venue = payload.venue_identity(s.get_one(Venue, uuid.UUID(hotel)))
        items = next_batch(s, 500, NOW)
    assert len(items) == 200
    with session_factory(station).begin() as s:
        results = apply_batch(s, venue, items, LATER.now())
    assert {r["state"] for r in results} == {"accepted"}
    print(f"\n{len(statements)} statements for 40 check-ins")
    assert len(statements) <= 40, statements  # 40 check-ins: under one statement each
    station.dispose()


def test_a_late_upload_is_a_late_report_on_both_paths(
    desk, db_url, second_url, monkeypatch, fast_calls
):
    """A stay reaches the station when its upload is applied there: uploaded a day after the
    check-in (the desk was offline) it was reported late, and the matchings at intake see it
    (PH-LATE, 旅客信息逾期上报) on the fast path as item by item; in time, nothing."""
    _station(db_url)
    _station(second_url)
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 2, start=40)  # checked in at NOW
    day_later = CTX.at(NOW + timedelta(days=1))
    fast = push(sf, db_url, day_later)
    assert fast_calls == [True] and fast.rejected == 0
    _resend(desk)
    with monkeypatch.context() as m:
        item_by_item(m)
        push(sf, second_url, day_later)
    for url in (db_url, second_url):
        engine = make_engine(url)
        with Session(engine) as s:
            late = set(
                s.scalars(
                    select(Stay.id)
                    .join(Finding, Finding.subject_id == Stay.id)
                    .where(Finding.code == "PH-LATE", Stay.registered_by == "clerk")
                )
            )
            reported = set(s.scalars(select(Stay.reported_at).where(Stay.registered_by == "clerk")))
        engine.dispose()
        assert len(late) == 2 and reported == {day_later.now()}, url
        notices = [r[5] for r in _ledger(url, _venue(url)) if r[1] == "stays"]
        assert len(notices) == 2 and all("PH-LATE" in str(n) for n in notices), notices
    guests(sf, CTX, hotel, 1, start=60)  # reported within the alert delay: not late
    push(sf, db_url, CTX.at(NOW + timedelta(minutes=10)))
    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.scalar(select(sa.func.count()).where(Finding.code == "PH-LATE")) == 2
    engine.dispose()


def test_a_full_batch_does_not_split_a_check_in(desk, db_url, fast_calls):
    """A batch cut through a check-in (its person and document in, its stay out) sends the
    person and document with the stay in the next batch: every check-in goes the batched way,
    none item by item."""
    _station(db_url)
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    with sf.begin() as s:  # what was queued before the guests: the city, the hotel
        before = s.scalar(select(sa.func.count()).select_from(OutboxItem))
    guests(sf, CTX, hotel, 3, start=70)
    with sf.begin() as s:
        kinds = [i.table_name for i in s.scalars(select(OutboxItem).order_by(OutboxItem.seq))]
    first_person = kinds.index("persons", before)
    with sf.begin() as s:  # the limit ends the batch just after a person and its document
        cut = next_batch(s, first_person + 2, LATER.now())
    assert [i["table"] for i in cut][-1] not in ("persons", "documents")
    assert len(cut) == first_person
    report = push(sf, db_url, LATER)
    assert report.rejected == 0 and fast_calls and all(fast_calls)
