"""Export/import through a gate, the desk's status, and the on-time rate per venue, station
and jurisdiction (the query the monthly report uses)."""

from __future__ import annotations

import json
from datetime import date, timedelta

from click.testing import CliRunner
from dbtools import NOW, table_counts
from world import CITY, STATION, add_other_hotel, build, card, count, guests

from cli.main import cli
from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.movements import stays
from registry.people.registration import TypedIdentity
from registry.sync import rates
from registry.sync.push import push

CTX = Context("clerk", "desk-1", NOW)


def run(url: str, *args: str, now: str = "2026-06-15T12:00:00+08:00"):
    runner = CliRunner(env={"LAIQU_NOW": now, "LAIQU_TERMINAL": "desk-1"})
    return runner.invoke(cli, ["--db", url, *args])


def test_export_import_through_a_gate(desk_url, db_url, engine, sf, tmp_path):
    build(sf, CTX)
    desk = make_engine(desk_url)
    hotel = build(session_factory(desk), CTX)
    guests(session_factory(desk), CTX, hotel, 5)
    queued = count(desk, "outbox")
    out, receipt = tmp_path / "upload.json", tmp_path / "receipt.json"
    done = run(desk_url, "sync", "export", "--out", str(out), "--batch", "10")
    assert done.exit_code == 0, done.output
    assert f"已导出 {queued} 条" in done.output

    damaged = tmp_path / "damaged.json"
    damaged.write_text(out.read_text().replace("旅客1", "旅客9", 1))
    before = table_counts(engine)
    refused = run(db_url, "sync", "import", str(damaged))
    assert refused.exit_code == 1 and "已损坏或被改动" in refused.output
    assert table_counts(engine) == before

    first = run(db_url, "sync", "import", str(out), "--receipt", str(receipt), "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {
        "items": queued,
        "accepted": queued,
        "rejected": 0,
        "duplicates": 0,
    }
    after = table_counts(engine)
    second = run(db_url, "sync", "import", str(out), "--json")
    assert json.loads(second.stdout)["duplicates"] == queued
    assert table_counts(engine) == after  # the second import changed nothing

    settled = run(desk_url, "sync", "import", str(receipt))
    assert settled.exit_code == 0 and f"已按回执更新 {queued} 条" in settled.output
    status = json.loads(run(desk_url, "sync", "status", "--json").stdout)
    assert status["counts"]["accepted"] == queued and status["waiting"] == 0
    desk.dispose()


def test_status_shows_pending_age_and_deadlines(desk_url):
    desk = make_engine(desk_url)
    hotel = build(session_factory(desk), CTX)
    guests(session_factory(desk), CTX, hotel, 2)
    shown = run(desk_url, "sync", "status")
    assert shown.exit_code == 0, shown.output
    assert "待上报" in shown.output and "最早一条待上报已等待" in shown.output
    assert "临近或已过上报时限" in shown.output  # the guests' check-ins are long overdue now
    data = json.loads(run(desk_url, "sync", "status", "--json").stdout)
    # Guest 0 has left (every third checks out): only the guest still in the house is listed.
    assert data["waiting"] == count(desk, "outbox") and len(data["due_soon"]) == 1
    assert data["oldest_age_seconds"] is not None
    desk.dispose()


def test_on_time_rate_per_venue_station_and_jurisdiction(desk_url, db_url, sf):
    build(sf, CTX)
    desk = make_engine(desk_url)
    dsf = session_factory(desk)
    hotel = build(dsf, CTX)
    guests(dsf, CTX, hotel, 4)  # domestic guests from 10:00, one a minute
    with dsf.begin() as s:  # a foreign guest: 24 hours
        stays.check_in(
            s,
            CTX.at(NOW + timedelta(minutes=5)),
            hotel,
            "120",
            [
                TypedIdentity(
                    number="E12345678", name="John Smith", doc_type="passport", nationality="USA"
                )
            ],
        )
    push(dsf, db_url, CTX.at(NOW + timedelta(minutes=20)))  # within the 30-minute alert delay
    guests(dsf, CTX.at(NOW + timedelta(minutes=30)), hotel, 2, start=10)
    push(dsf, db_url, CTX.at(NOW + timedelta(hours=3)))  # the network was down: late
    with dsf.begin() as s:
        stays.check_in(s, CTX.at(NOW + timedelta(days=2)), hotel, "110", [card(40)])
    push(dsf, db_url, CTX.at(NOW + timedelta(days=2, minutes=1)))  # heartbeats of two days

    after = CTX.at(NOW + timedelta(days=17))  # 2 July: June is over
    with sf() as s:
        found = rates.on_time(s, CITY, date(2026, 6, 1), date(2026, 6, 30), after)
    assert (found.total.stays, found.total.reached, found.total.on_time) == (8, 8, 6)
    assert f"{found.total.rate:.3f}" == "0.750"
    assert [r.code for r in found.stations] == [STATION]
    venue = next(r for r in found.venues if r.name == "百花旅馆")
    # issue 19: the venue was registered on the 15th, heartbeats came for the 15th and 16th
    # only (was 30 - 2, counting the days before the venue existed)
    assert (venue.days, venue.silent_days) == (16, 16 - 2)
    assert (found.total.silent_days, found.total.venues, found.total.silent_venues) == (None, 1, 1)
    with sf() as s:  # on the 15th itself no finished day of the venue's is silent yet
        assert {
            r.silent_days
            for r in rates.on_time(s, CITY, date(2026, 6, 1), date(2026, 6, 30), CTX).venues
        } == {0}
    data = json.loads(
        run(
            db_url,
            "sync",
            "status",
            "--jurisdiction",
            CITY,
            "--month",
            "2026-06",
            "--json",
            now="2026-06-30T12:00:00+08:00",
        ).stdout
    )
    assert data["rows"][0]["rate"] == 0.75 and data["rows"][0]["level"] == "jurisdiction"
    assert data["rows"][0]["silent_days"] is None and data["rows"][0]["venues"] == 1
    row = next(r for r in data["rows"] if r["name"] == "百花旅馆")
    assert (row["days"], row["silent_days"]) == (15, 13)  # the 30th is not over yet
    text = run(db_url, "sync", "status", "--jurisdiction", CITY, "--month", "2026-06").output
    assert "75.0%" in text and "园岭派出所" in text
    desk.dispose()
    from reports.content import build_monthly
    from reports.ontime import TITLE

    with sf() as s:
        report = build_monthly(s, CITY, "2026-06", ctx=CTX.at(NOW + timedelta(days=15)))
    section = next(x for x in report.sections if x.title == TITLE)
    assert section.tables[0].rows[0][5] == "75.0%"
    assert report.on_time is not None and report.on_time.total.on_time == 6


def test_a_domestic_guest_is_late_only_after_the_alert_delay(desk_url):
    from datetime import timedelta

    from registry.sync import outbox

    desk = make_engine(desk_url)
    sf = session_factory(desk)
    hotel = build(sf, CTX)
    guests(sf, CTX, hotel, 2, start=1)  # guests 1 and 2 stay; nobody checks out
    with sf() as s:
        now = CTX.now()
        assert outbox.due_soon(s, now, timedelta(0)) == []  # just checked in: not late yet
        soon = outbox.due_soon(s, now, timedelta(minutes=31))
        assert len(soon) == 2 and all(d.deadline > now for d in soon)
    desk.dispose()


def _month(s, ctx: Context) -> rates.OnTime:
    return rates.on_time(s, CITY, date(2026, 6, 1), date(2026, 6, 30), ctx)


def test_only_what_reached_the_station_counts_as_arrived(desk_url, db_url, sf):
    """issue 19: a desk's (or the demo's) stays waiting in the outbox have not arrived, though
    their local ``reported_at`` is set; once the station accepted them they have."""
    from reports.content import build_monthly
    from reports.ontime import TITLE

    build(sf, CTX)
    desk = make_engine(desk_url)
    dsf = session_factory(desk)
    hotel = build(dsf, CTX)
    guests(dsf, CTX, hotel, 4)
    after = CTX.at(NOW + timedelta(days=17))
    with dsf() as s:
        waiting = _month(s, after)
        report = build_monthly(s, CITY, "2026-06", ctx=after)
    assert (waiting.total.stays, waiting.total.reached, waiting.total.on_time) == (4, 0, 0)
    section = next(x for x in report.sections if x.title == TITLE)
    assert section.tables[0].rows[0][2:5] == (4, 0, 0)
    push(dsf, db_url, CTX.at(NOW + timedelta(minutes=10)))
    guests(dsf, CTX.at(NOW + timedelta(minutes=20)), hotel, 1, start=20)  # not pushed
    with dsf() as s:
        desk_view = _month(s, after)
    with sf() as s:
        station_view = _month(s, after)
    assert (desk_view.total.stays, desk_view.total.reached) == (5, 4)
    # the station's reported_at is the arrival (within the alert delay); the desk knows only
    # when it heard of the acceptance (its clock, here months after the test's June)
    assert (station_view.total.stays, station_view.total.reached) == (4, 4)
    assert station_view.total.on_time == 4
    desk.dispose()


def test_silent_days_start_at_the_venue_and_totals_count_venues(db_url, sf):
    """issue 19: a venue registered today has no silent day (not 30 of 30); the summed rows
    count venues that were silent, not venue-days."""
    from reports.ontime import section

    build(sf, CTX)  # 百花旅馆, registered on 15 June
    today = CTX.at(NOW + timedelta(days=10))  # 25 June
    add_other_hotel(sf, today)  # 华富宾馆, registered today
    with sf() as s:
        found = _month(s, today)
    days = {r.name: (r.days, r.silent_days) for r in found.venues}
    assert days == {"百花旅馆": (10, 10), "华富宾馆": (0, 0)}
    for row in (found.total, *found.stations):
        assert (row.silent_days, row.venues, row.silent_venues) == (None, 2, 1)
    cells = {row[1]: row[-1] for row in section(found).tables[0].rows}
    assert cells["百花旅馆"] == "10/10 天" and cells["华富宾馆"] == "0/0 天"
    assert cells[found.name] == "1/2 家"
    text = run(
        db_url,
        "sync",
        "status",
        "--jurisdiction",
        CITY,
        "--month",
        "2026-06",
        now="2026-06-25T12:00:00+08:00",
    ).output
    assert "1/2 家" in text and "10/10 天" in text and "0/0 天" in text
