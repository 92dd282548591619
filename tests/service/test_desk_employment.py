"""Employments uploaded from the field (issue 16), over HTTP to the station service as a real
process: the gate desk of an employer (a venue of kind ``employer`` under the employer's name)
pushes a job start and a job end and the station takes both; a hotel desk's employment is
rejected with a Chinese reason, and the job end that follows says its registration was the
one refused. Synthetic people and employers only."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from dbtools import NOW
from servicekit import ADMIN, PASSWORD
from sqlalchemy import select
from sqlalchemy.orm import Session
from world import CITY, DISTRICT, STATION, build, rid

from registry.accounts import credentials, users
from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Employer, Employment, Person
from registry.db.sync_models import OutboxItem
from registry.movements import employment
from registry.places import employers, jurisdictions, venues
from registry.sync.push import push
from service.client import HttpStation

CTX = Context("gatekeeper", "desk-9", NOW)
FACTORY = "园岭电子厂"


def _uscc() -> str:
    from stdnum.cn import uscc

    body = "91440300MA5F00009"
    return body + uscc.calc_check_digit(body)


def _station_factory(db_url: str) -> None:
    """At the station: the employer, its gate desk (kind employer, same name and jurisdiction)
    and the gate's user ``gate`` with a password."""
    engine = make_engine(db_url)
    with session_factory(engine).begin() as s:
        employers.add_employer(s, ADMIN, FACTORY, _uscc(), STATION)
        site = venues.add_venue(s, ADMIN, FACTORY, "employer", STATION)
        users.add_user(s, ADMIN, "gate", "desk", venue=str(site.id))
        credentials.set_password(s, ADMIN, "gate", PASSWORD)
    engine.dispose()


def _jobs(sf, number: str, name: str) -> None:
    """At a desk: the employer known locally, a job start, and its end two days later."""
    with sf.begin() as s:
        employment.start_job(s, CTX, _uscc(), number, name=name, on=date(2026, 6, 15))
    with sf.begin() as s:
        employment.end_job(
            s, CTX.at(NOW + timedelta(days=2)), _uscc(), number, reason="合同到期"
        )


def _items(engine, table: str) -> list[tuple[str, str, str | None]]:
    with Session(engine) as s:
        rows = s.execute(
            select(OutboxItem.op, OutboxItem.state, OutboxItem.reason)
            .where(OutboxItem.table_name == table)
            .order_by(OutboxItem.seq)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _push(sf, url: str, login: str):
    station = HttpStation(url, user=login, password=PASSWORD)
    try:
        return push(sf, station, CTX.at(NOW + timedelta(days=3)), now=True)
    finally:
        station.close()


def test_employer_desk_uploads_job_start_and_end(server, desk_url):
    _station_factory(server.db_url)
    desk = make_engine(desk_url)
    sf = session_factory(desk)
    with sf.begin() as s:  # the gate's own database: its city, its venue, its employer
        jurisdictions.add_jurisdiction(s, CTX, CITY, "深圳市", "city")
        jurisdictions.add_jurisdiction(s, CTX, DISTRICT, "福田区", "district", CITY)
        jurisdictions.add_jurisdiction(s, CTX, STATION, "园岭派出所", "station", DISTRICT)
        venues.add_venue(s, CTX, FACTORY, "employer", STATION)
        employers.add_employer(s, CTX, FACTORY, _uscc(), STATION)
    worker = rid(501)
    _jobs(sf, worker, "工人甲")
    report = _push(sf, server.url, "gate")
    jobs = _items(desk, "employments")
    desk.dispose()
    assert [(op, state) for op, state, _ in jobs] == [
        ("insert", "accepted"),
        ("update", "accepted"),
    ], jobs
    assert report.rejected == 0, _items(desk, "events")
    st = make_engine(server.db_url)
    with Session(st) as s:
        row = s.execute(
            select(Employment, Employer.name)
            .join(Employer, Employer.id == Employment.employer_id)
            .join(Person, Person.id == Employment.person_id)
            .where(Person.number == worker)
        ).one()
    st.dispose()
    job, employer_name = row
    assert employer_name == FACTORY
    assert (job.valid_from, job.valid_to, job.end_reason) == (
        date(2026, 6, 15),
        date(2026, 6, 17),
        "合同到期",
    )
    assert job.registered_by == "gate"  # who acted is the credential's user (vouch)
    # the same rights through the API's own job route: its employer yes, another no
    with server.client("gate") as client:
        hired = client.post(
            "/api/v1/jobs",
            json={"action": "start", "employer": FACTORY, "id_number": rid(503), "name": "工人丙"},
        )
        assert hired.status_code == 200, hired.text
        other = client.post(
            "/api/v1/jobs",
            json={
                "action": "start",
                "employer": "别家劳务公司",
                "id_number": rid(504),
                "name": "工人丁",
                "jurisdiction": STATION,
            },
        )
        assert other.status_code == 403 and "无权查看或登记此单位" in other.json()["message"]
    assert "Traceback" not in server.log_text()


def test_hotel_desk_employment_is_rejected_in_chinese(server, sqlite_template: Path, tmp_path):
    _station_factory(server.db_url)
    path = tmp_path / "hotel-desk.sqlite"
    shutil.copy(sqlite_template, path)
    desk = make_engine(f"sqlite:///{path}")
    sf = session_factory(desk)
    build(sf, CTX)  # the hotel's own database (百花旅馆), acting locally as its system
    with sf.begin() as s:
        employers.add_employer(s, CTX, FACTORY, _uscc(), STATION)
    worker = rid(502)
    _jobs(sf, worker, "工人乙")
    report = _push(sf, server.url, "clerk")
    jobs = _items(desk, "employments")
    desk.dispose()
    assert report.rejected >= 2
    (op1, state1, why1), (op2, state2, why2) = jobs
    assert (op1, state1, op2, state2) == ("insert", "rejected", "update", "rejected"), jobs
    assert why1 is not None and "clerk" in why1 and "不能登记就业" in why1, why1
    assert "旅馆" in why1, why1
    assert why2 is not None and "拒收了这条记录的原始登记" in why2, why2
    st = make_engine(server.db_url)
    with Session(st) as s:
        stored = s.scalar(
            select(Employment.id)
            .join(Person, Person.id == Employment.person_id)
            .where(Person.number == worker)
        )
    st.dispose()
    assert stored is None
    with server.client("clerk") as client:
        answer = client.post(
            "/api/v1/jobs",
            json={"action": "start", "employer": FACTORY, "id_number": worker, "name": "工人乙"},
        )
    assert answer.status_code == 403, answer.text
    assert "不能登记就业" in answer.json()["message"], answer.text
    assert "Traceback" not in server.log_text()
