"""The station service end to end: a real ``laiqu serve`` process on both engines, called
over HTTP like a desk or a coordinator would; refusals change nothing; no full ID number in
any answer or in the server's log."""

from __future__ import annotations

import time

import httpx
from dbtools import table_counts
from world import HOTEL, rid

from registry.db.engine import make_engine
from registry.identity.ids import mask

GUEST = {"id_number": rid(11), "name": "李四"}
MATE = {"id_number": rid(12), "name": "王五"}


def _no_full_numbers(text: str, *numbers: str) -> None:
    for number in numbers:
        assert number not in text, f"full number {mask(number)} leaked"


def test_desk_day_over_http(server):
    with server.client() as desk:
        started = time.perf_counter()
        answer = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "101", "guests": [GUEST, MATE]}
        )
        first_round_trip = time.perf_counter() - started
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert [g["person"]["id_number"] for g in body["guests"]] == [
            mask(GUEST["id_number"]),
            mask(MATE["id_number"]),
        ]
        assert {f["code"] for f in body["findings"]} >= {"PC-MANUAL"}
        seen = desk.get("/api/v1/persons", params={"number": GUEST["id_number"]})
        assert seen.status_code == 200 and seen.json()["name"] == "李四"
        with server.client("other") as stranger:  # another hotel's desk: not its guest
            hidden = stranger.get("/api/v1/persons", params={"number": GUEST["id_number"]})
            assert hidden.status_code == 403 and "无权查看此人员" in hidden.json()["message"]
        found = desk.get("/api/v1/search", params={"q": GUEST["id_number"][-6:]})
        assert found.status_code == 200 and found.json()["count"] >= 1
        out = desk.post("/api/v1/checkouts", json={"venue": HOTEL, "room": "101"})
        assert out.status_code == 200, out.text
        assert len(out.json()["stays"]) == 2
        texts = [answer.text, seen.text, found.text, out.text]
    with server.client("coord") as coord:
        listed = coord.get("/api/v1/findings")
        assert listed.status_code == 200 and listed.json()["count"] >= 2
        pdf = coord.get(
            "/api/v1/reports/monthly", params={"month": "2026-06", "jurisdiction": "440304001"}
        )
        assert pdf.status_code == 200, pdf.text[:300]
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        texts.append(listed.text)
    for text in texts:
        _no_full_numbers(text, GUEST["id_number"], MATE["id_number"])
    _no_full_numbers(server.log_text(), GUEST["id_number"], MATE["id_number"])
    assert mask(GUEST["id_number"]) in server.log_text()  # the look-up's query, masked
    print(f"first check-in round trip: {first_round_trip * 1000:.1f} ms")


def test_refusals_are_chinese_json_and_change_nothing(server):
    engine = make_engine(server.db_url)
    before = table_counts(engine)
    with server.client() as desk:
        elsewhere = desk.post(
            "/api/v1/checkins",
            json={"venue": server.other_hotel, "room": "1", "guests": [GUEST]},
        )
        assert elsewhere.status_code == 403
        assert elsewhere.json()["code"] == "out_of_scope"
        assert "超出权限" in elsewhere.json()["message"]
        bad = desk.post(
            "/api/v1/checkins",
            json={"venue": HOTEL, "room": "101", "guests": [{**GUEST, "id_number": "1" * 18}]},
        )
        assert bad.status_code == 400 and "校验位" in bad.json()["message"]
        missing = desk.post("/api/v1/checkins", json={"venue": HOTEL, "room": "101"})
        assert missing.status_code == 422
        assert missing.json()["field"] == "guests" and "必须填写" in missing.json()["message"]
        unknown = desk.post(
            "/api/v1/checkouts", json={"venue": HOTEL, "id_number": GUEST["id_number"]}
        )
        assert unknown.status_code == 404 and "尚未登记" in unknown.json()["message"]
        first = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "102", "guests": [MATE]}
        )
        assert first.status_code == 201
        before = table_counts(engine)  # the check-in above is the only write
        twice = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "103", "guests": [MATE]}
        )
        assert twice.status_code == 409 and twice.json()["code"] == "refused"
        assert "请先退房" in twice.json()["message"]
        findings = desk.get("/api/v1/findings")  # a desk reads no findings list
        assert findings.status_code == 403
        texts = [elsewhere.text, bad.text, missing.text, unknown.text, twice.text]
    with httpx.Client(base_url=server.url) as anonymous:
        nobody = anonymous.get("/api/v1/findings")
        assert nobody.status_code == 401 and "Basic" in nobody.headers["www-authenticate"]
    with httpx.Client(base_url=server.url, auth=("coord", "wrong-password")) as wrong:
        assert wrong.get("/api/v1/findings").status_code == 401
    after = table_counts(engine)
    changed = {t for t in before if before[t] != after[t]}
    assert changed <= {"audit_log", "audit_subjects", "audit_head", "audit_pending"}, changed
    with engine.connect() as conn:
        import sqlalchemy as sa

        actions = set(conn.execute(sa.text("SELECT action FROM audit_log")).scalars())
    assert {"refused.venue", "auth.failed"} <= actions
    engine.dispose()
    for text in texts:
        _no_full_numbers(text, GUEST["id_number"], MATE["id_number"])
    assert "Traceback" not in server.log_text()


def test_disabled_user_and_revoked_token_are_refused_next_request(server):
    from servicekit import ADMIN

    from registry.accounts import credentials, users
    from registry.db.engine import session_factory

    bearer = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=bearer) as device:
        assert device.get("/api/v1/search", params={"q": "张"}).status_code == 200
        engine = make_engine(server.db_url)
        with session_factory(engine).begin() as s:
            credentials.revoke_token(s, ADMIN, "clerk", "前台1号机")
        assert device.get("/api/v1/search", params={"q": "张"}).status_code == 401
    with server.client() as desk:
        assert desk.get("/api/v1/search", params={"q": "张"}).status_code == 200
        with session_factory(engine).begin() as s:
            users.disable_user(s, ADMIN, "clerk")
        refused = desk.get("/api/v1/search", params={"q": "张"})
        assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    engine.dispose()


def test_oversized_bodies_are_refused(server):
    big = {"venue": HOTEL, "room": "101", "guests": [GUEST], "pad": "x" * 70_000}
    with server.client() as desk:
        declared = desk.post("/api/v1/checkins", json=big)
        assert declared.status_code == 413 and declared.json()["code"] == "too_large"

        def chunks():  # no Content-Length: counted as it streams
            for _ in range(40):
                yield b"x" * 4096

        streamed = desk.post(
            "/api/v1/checkins", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        fine = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "102", "guests": [GUEST]}
        )
        assert fine.status_code == 201


def test_a_desk_cannot_learn_whether_a_stranger_is_registered(server):
    with server.client() as desk:
        registered = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "101", "guests": [GUEST]}
        )
        assert registered.status_code == 201, registered.text
    with server.client("other") as other:
        stranger = other.get("/api/v1/persons", params={"number": GUEST["id_number"]})
        nobody = other.get("/api/v1/persons", params={"number": rid(99)})
    assert stranger.status_code == nobody.status_code == 403
    assert stranger.json()["message"] == nobody.json()["message"]
