"""A desk pushes its outbox to the station service over HTTP: everything arrives once, also
when an answer is lost and the batch is sent again; a busy station's Retry-After is kept;
pushing straight into the station's database is an admin's tool only."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from dbtools import NOW
from servicekit import PASSWORD, ROOT, laiqu_env
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from world import HOTEL, build, count, guests, snapshot_desk, snapshot_station

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Event, Stay, Venue
from registry.db.sync_models import LedgerEntry, OutboxItem
from registry.sync import payload
from registry.sync.background import BackgroundPush
from registry.sync.push import StationRefused, desk_venue, next_batch, push
from service.client import HttpStation

CTX = Context("clerk", "desk-1", NOW)
GUEST_NUMBER = "11010519491231002X"  # synthetic, valid check character


class LoseFirstAnswer(httpx.BaseTransport):
    """The first batch reaches the station and is applied, but its answer never comes back."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        response = self.inner.handle_request(request)
        if self.calls == 1:
            response.read()
            response.close()
            raise httpx.ReadError("connection lost before the answer", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def desk(desk_url):
    engine = make_engine(desk_url)
    yield engine
    engine.dispose()


def _states(engine) -> set[str]:
    with Session(engine) as s:
        return set(s.scalars(select(OutboxItem.state)))


def test_push_over_http_loses_nothing_and_duplicates_nothing(server, desk):
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 12)
    queued = count(desk, "outbox")
    flaky = LoseFirstAnswer()
    station = HttpStation(server.url, user="clerk", password=PASSWORD, transport=flaky)
    try:
        report = push(sf, station, CTX.at(NOW + timedelta(minutes=5)), batch=10, retry_for=30)
    finally:
        station.close()
    assert flaky.calls >= 2 and len(report.errors) == 1
    assert report.duplicates >= 1  # the first batch came again: the ledger answered it
    assert _states(desk) == {"accepted"} and report.rejected == 0
    st = make_engine(server.db_url)
    with Session(st) as s:
        venue = s.scalar(select(Venue.id).where(Venue.name == HOTEL))
        ledger = s.scalar(select(func.count()).select_from(LedgerEntry))
        stays = s.scalar(select(func.count()).select_from(Stay))
    assert ledger == queued  # every item once (heartbeats included in both)
    assert stays == count(desk, "stays") == 12
    a, b = snapshot_desk(desk), snapshot_station(st, venue)
    b["events"] = [e for e in b["events"] if not e[4].startswith("user.")]  # the set-up's
    for table in ("persons", "documents"):
        assert b[table] == a[table], table
    # Who acted is the credential's user and device at the station, not what the desk says
    # (registry.sync.vouch); everything else is the desk's record.
    assert [e[:2] + e[4:] for e in b["events"]] == [e[:2] + e[4:] for e in a["events"]]
    assert {(e[2], e[3][:4]) for e in b["events"]} == {("clerk", "api:")}
    assert [r[1:6] + r[8:] for r in b["stays"]] == [r[1:6] + r[8:] for r in a["stays"]]
    assert {(r[6], r[7][:4]) for r in b["stays"]} == {("clerk", "api:")}
    st.dispose()
    assert "Traceback" not in server.log_text()
    # one more day at the desk: the upload's round trip, with a device token
    guests(sf, CTX, hotel, 20, start=100)
    station = HttpStation(server.url, token=server.token)
    try:
        timed = push(sf, station, CTX.at(NOW + timedelta(hours=1)), batch=200)
    finally:
        station.close()
    assert timed.rejected == 0 and timed.batches == 1 and _states(desk) == {"accepted"}
    print(
        f"\nupload over HTTP: {timed.sent} items (20 check-ins) in one batch, "
        f"{timed.seconds * 1000:.0f} ms round trip ({timed.sent / timed.seconds:.0f} items/s)"
    )


def test_busy_station_retry_after_is_honoured(desk):
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 2)
    busy = httpx.MockTransport(
        lambda request: httpx.Response(
            503, headers={"Retry-After": "120"}, json={"code": "unavailable", "message": "忙"}
        )
    )
    station = HttpStation("http://station.invalid", token="lq_x", transport=busy)
    before = datetime.now(UTC)
    report = push(sf, station, CTX, retry_for=0)
    assert report.sent == 0 and "503" in report.errors[0]
    with Session(desk) as s:
        due = s.scalars(select(OutboxItem.next_attempt_at)).all()
    assert due and all(d >= before + timedelta(seconds=119) for d in due)


def test_cli_push_and_frontdesk_transport(server, desk, desk_url):
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 3)
    env = laiqu_env(desk_url, LAIQU_STATION_PASSWORD=PASSWORD)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "sync",
            "push",
            "--to",
            server.url,
            "--user",
            "clerk",
            "--json",
        ],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["waiting"] == 0 and data["rejected"] == 0 and data["sent"] > 0, done.stdout
    # the frontdesk's background thread with the same transport
    guests(sf, CTX, hotel, 2, start=50)
    station = HttpStation(server.url, token=server.token)
    uploads = BackgroundPush(sf, station, CTX, hotel, every=0.2).start()
    uploads.stop()
    station.close()
    assert uploads.last_error is None and uploads.pushed > 0
    assert _states(desk) == {"accepted"}
    # straight into the station's database: only for an admin of that registry
    direct = subprocess.run(
        [sys.executable, "-m", "cli.main", "sync", "push", "--to", server.db_url],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert direct.returncode == 1 and "只限派出所管理员" in direct.stderr
    no_credential = subprocess.run(
        [sys.executable, "-m", "cli.main", "sync", "push", "--to", server.url],
        env=laiqu_env(desk_url),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert no_credential.returncode == 1 and "凭据" in no_credential.stderr


def test_an_upload_cannot_act_in_another_name_or_date_ahead(server, desk):
    """A desk that rewrites its items (another clerk, another terminal, a forged actor, a
    check-in dated 2030) is the credential's user at the station, and the dated-ahead item
    is rejected (registry.sync.vouch)."""
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 3, start=1)  # nobody checks out
    with sf.begin() as s:
        venue = payload.venue_identity(desk_venue(s))
        items = next_batch(s, 200, NOW + timedelta(minutes=5))
    future = None
    for item in items:
        for name, row in item["data"].items():
            if name == "stay":
                row.update(registered_by="coord", terminal="公安局")
                if future is None:
                    row["checked_in_at"] = "2030-01-01T00:00:00+00:00"
                    future = item["id"]
            if name == "event":
                row.update(actor="postgres", terminal="psql", jurisdiction_code="440304002")
    assert future is not None
    with httpx.Client(base_url=server.url, auth=("clerk", PASSWORD), timeout=30) as client:
        answer = client.post("/api/v1/sync/batches", json={"venue": venue, "items": items})
    assert answer.status_code == 200, answer.text
    states = {r["id"]: r["state"] for r in answer.json()["results"]}
    assert states.pop(future) == "rejected"
    assert set(states.values()) == {"accepted"}
    st = make_engine(server.db_url)
    with Session(st) as s:
        actors = set(s.scalars(select(Event.actor).where(Event.actor != "tester")))
        terminals = {t[:4] for t in s.scalars(select(Stay.terminal))}
        clerks = set(s.scalars(select(Stay.registered_by)))
        places = set(s.scalars(select(Event.jurisdiction_code).where(Event.actor == "clerk")))
        ahead = Stay.checked_in_at >= datetime(2029, 1, 1, tzinfo=UTC)
        late = s.scalar(select(func.count()).where(ahead))
    st.dispose()
    assert actors == {"clerk"} and clerks == {"clerk"} and terminals == {"api:"}
    assert "440304002" not in places and late == 0


def test_a_push_by_hand_sends_at_once_after_a_refusal(server, desk):
    """A wrong password puts the batch in back-off; once the clerk fixes it, a push by hand
    sends at once instead of reporting 0 sent until the back-off ends."""
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 2, start=1)
    wrong = HttpStation(server.url, user="clerk", password="not-the-password")
    with pytest.raises(StationRefused):
        push(sf, wrong, CTX.at(NOW + timedelta(minutes=5)), now=True)
    wrong.close()
    right = HttpStation(server.url, user="clerk", password=PASSWORD)
    try:
        report = push(sf, right, CTX.at(NOW + timedelta(minutes=6)), now=True)
    finally:
        right.close()
    assert report.sent > 0 and report.rejected == 0 and _states(desk) == {"accepted"}


def test_an_instant_without_offset_an_unknown_op_and_a_number_in_an_event_are_refused(server, desk):
    """An item whose instant has no UTC offset is rejected (Beijing time read as UTC would be
    8 hours off), never a 500; an item whose op is neither insert nor update is rejected by
    name, like an unknown table; a check-in dated ahead is rejected as dated ahead; an event
    whose detail holds a full ID number never enters the station's journal."""
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 3, start=40)
    with sf.begin() as s:
        venue = payload.venue_identity(desk_venue(s))
        items = next_batch(s, 200, NOW + timedelta(minutes=5))
    stays = [i for i in items if i["table"] == "stays"]
    naive, odd, ahead = stays[0], stays[1], stays[2]
    at = datetime.fromisoformat(naive["data"]["stay"]["checked_in_at"])
    naive["data"]["stay"]["checked_in_at"] = at.astimezone(UTC).replace(tzinfo=None).isoformat()
    odd["op"] = "frobnicate"
    ahead["data"]["stay"]["checked_in_at"] = "2030-01-01T00:00:00+00:00"
    event = next(i for i in items if i["table"] == "events")
    event["data"]["event"]["detail"] = {"number": GUEST_NUMBER}
    gone = next(i for i in items if i["table"] == "persons")
    deleted = {**gone, "id": str(uuid.uuid4()), "op": "delete"}
    with httpx.Client(base_url=server.url, auth=("clerk", PASSWORD), timeout=30) as client:
        answer = client.post(
            "/api/v1/sync/batches", json={"venue": venue, "items": [*items, deleted]}
        )
    assert answer.status_code == 200, answer.text
    results = {r["id"]: r for r in answer.json()["results"]}
    assert results[naive["id"]]["state"] == "rejected", results[naive["id"]]
    assert "没有写明时区" in results[naive["id"]]["reason"]
    assert results[event["id"]]["state"] == "rejected"
    assert "完整的证件号码" in results[event["id"]]["reason"]
    assert GUEST_NUMBER not in answer.text
    for item in (odd, deleted):
        assert results[item["id"]]["state"] == "rejected"
        assert "不认识的上报条目类型" in results[item["id"]]["reason"], results[item["id"]]
    assert results[ahead["id"]]["state"] == "rejected"
    assert "入住时间晚于派出所收到它的时间" in results[ahead["id"]]["reason"]
    st = make_engine(server.db_url)
    with Session(st) as s:
        kept = s.scalar(select(func.count()).where(Stay.checked_in_at == at.astimezone(UTC)))
        details = " ".join(str(d) for d in s.scalars(select(Event.detail)))
    st.dispose()
    assert kept == 0 and GUEST_NUMBER not in details
