"""Edges a tester found in the station service, over real HTTP (``laiqu serve`` as a process):
Chinese messages everywhere (also each rejected upload item's reason), malformed and
over-long bodies named as such, concurrent uploads of the same items answered 409 and
retried by the desk, refusals audited, no CDN documentation page."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest
from servicekit import ADMIN, PASSWORD, ROOT, free_port, laiqu_env
from sqlalchemy import Engine
from world import HOTEL, rid

from registry.accounts import users
from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.errors import Refused
from registry.privacy import auditkey
from service.client import HttpStation

GUEST = {"id_number": rid(21), "name": "赵六"}


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _item(table: str, op: str, data: dict[str, object] | None = None) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "table": table,
        "op": op,
        "record": str(uuid.uuid4()),
        "data": data or {},
    }


def test_every_message_and_item_reason_is_chinese(server) -> None:
    number = GUEST["id_number"]
    wrong_gender = "2" if int(number[16]) % 2 else "1"
    with server.client() as desk:
        batch = desk.post(
            "/api/v1/sync/batches",
            json={
                "venue": {"id": server.hotel},
                "items": [
                    _item("stays", "update", {"stay": {}}),
                    _item("residences", "update", {"residence": {}}),
                    _item("no-such-table", "insert"),
                    _item("stays", "update"),  # a KeyError: no wording, a general sentence
                ],
            },
        )
        assert batch.status_code == 200, batch.text
        reasons = [r["reason"] for r in batch.json()["results"]]
        assert all(r and _chinese(r) for r in reasons), reasons
        assert "入住登记" in reasons[0] and "未能登记" in reasons[3]
        assert "stay" not in reasons[3]
        nowhere = desk.post("/api/v1/sync/batches", json={"venue": {}, "items": []})
        assert nowhere.status_code == 404 and "venue.name" in nowhere.json()["message"]
        broken = desk.post(
            "/api/v1/checkins",
            content=b'{"venue": "x", "room": ',
            headers={"Content-Type": "application/json"},
        )
        assert broken.status_code == 422, broken.text
        assert "不是有效的 JSON" in broken.json()["message"] and broken.json()["field"] is None
        long = desk.post(
            "/api/v1/checkins",
            json={"venue": HOTEL, "room": "101", "guests": [{**GUEST, "ethnicity": "0123"}]},
        )
        assert long.status_code == 422
        assert long.json()["field"] == "guests.0.ethnicity"
        assert "太长" in long.json()["message"] and "项数" not in long.json()["message"]
        gender = desk.post(
            "/api/v1/checkins",
            json={"venue": HOTEL, "room": "101", "guests": [{**GUEST, "gender": wrong_gender}]},
        )
        assert gender.status_code == 400 and "性别" in gender.json()["message"], gender.text
        assert number not in gender.text
        room = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "999", "guests": [GUEST]}
        )
        assert room.status_code == 400 and "没有房间" in room.json()["message"], room.text
    with server.client("coord") as coord:
        month = coord.get(
            "/api/v1/reports/monthly", params={"month": "2026-13", "jurisdiction": "440304001"}
        )
        assert month.status_code == 400 and "月份" in month.json()["message"], month.text
        place = coord.get(
            "/api/v1/reports/monthly", params={"month": "2026-06", "jurisdiction": "440304999"}
        )
        assert place.status_code in (403, 404) and _chinese(place.json()["message"]), place.text
    for answer in (nowhere, broken, long, gender, room, month, place):
        assert _chinese(answer.json()["message"])


def _until_waiting_on_a_lock(engine: Engine, thread: threading.Thread) -> None:
    """Until a backend waits for a lock (the upload on the ledger's key), at most 30 s: a
    fixed sleep lost the race when a loaded machine took longer to sign the caller in."""
    deadline = time.monotonic() + 30
    with engine.connect() as probe:
        while thread.is_alive() and time.monotonic() < deadline:
            waiting = probe.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE NOT granted"
            ).scalar()
            probe.rollback()
            if waiting:
                return
            time.sleep(0.05)


def test_concurrent_upload_of_the_same_items_is_retry_later(server, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("a row lock held across requests needs PostgreSQL")
    item = _item("no-such-table", "insert")
    engine = make_engine(db_url)
    answers: list[httpx.Response] = []
    with engine.connect() as other:  # the first upload of the item, not yet committed
        other.exec_driver_sql(
            "INSERT INTO sync_ledger (venue_id, item_id, kind, result, applied_at) "
            "VALUES (%s, %s, 'x', 'rejected', now())",
            (server.hotel, item["id"]),
        )

        def post() -> None:
            with server.client() as desk:
                body = {"venue": {"id": server.hotel}, "items": [item]}
                answers.append(desk.post("/api/v1/sync/batches", json=body))

        thread = threading.Thread(target=post)
        thread.start()
        _until_waiting_on_a_lock(engine, thread)  # the station waits on the ledger's key
        other.commit()
    thread.join(30)
    engine.dispose()
    (answer,) = answers
    assert answer.status_code == 409, answer.text
    assert answer.headers["Retry-After"].isdigit()
    assert "同一批数据正在上报" in answer.json()["message"]
    served = httpx.MockTransport(
        lambda request: httpx.Response(
            409, json=answer.json(), headers={"Retry-After": answer.headers["Retry-After"]}
        )
    )
    from registry.sync.push import StationUnreachable

    station = HttpStation(server.url, user="clerk", password="x", transport=served)
    with pytest.raises(StationUnreachable) as raised:
        station.send({"id": server.hotel}, [item], Context("clerk", "desk"))
    assert raised.value.retry_after == float(answer.headers["Retry-After"])
    assert "无法连接" not in str(raised.value)


def _serve(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``laiqu serve`` expected to refuse before it listens."""
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(free_port()), *args],
        env=laiqu_env(db_url),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_no_cdn_docs_json_bodies_only_and_enabled_again(server) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.get("/api/v1/docs").status_code == 404
        assert anonymous.get("/api/v1/openapi.json").status_code == 200
    with server.client() as desk:
        form = desk.post(
            "/api/v1/checkins", content=b"venue=x", headers={"Content-Type": "text/plain"}
        )
        assert form.status_code == 415 and "JSON" in form.json()["message"]
        assert _chinese(form.json()["message"])
        engine = make_engine(server.db_url)
        with session_factory(engine).begin() as s:
            users.disable_user(s, ADMIN, "clerk")
        assert desk.get("/api/v1/search", params={"q": "张"}).status_code == 401
        with session_factory(engine).begin() as s:
            users.enable_user(s, ADMIN, "clerk")
            with pytest.raises(Refused):
                users.enable_user(s, ADMIN, "clerk")
        assert desk.get("/api/v1/search", params={"q": "张"}).status_code == 200
        engine.dispose()
    helped = subprocess.run(
        [sys.executable, "-m", "cli.main", "user", "add", "--help"],
        env=laiqu_env(server.db_url),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "laiqu_reader" in helped.stdout and "laiqu_user" not in helped.stdout
    enable = subprocess.run(
        [sys.executable, "-m", "cli.main", "user", "enable", "--help"],
        env=laiqu_env(server.db_url),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert enable.returncode == 0 and "启用" in enable.stdout


def test_serve_refuses_plain_http_off_loopback_and_a_read_only_login(db_url: str) -> None:
    exposed = _serve(db_url, "--host", "0.0.0.0")
    assert exposed.returncode != 0 and "--tls-cert" in exposed.stderr, exposed.stderr
    assert "不加密" in exposed.stderr
    if not db_url.startswith("postgresql"):
        return
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ro_serve') THEN "
            "CREATE ROLE ro_serve LOGIN IN ROLE laiqu_reader; END IF; END $$"
        )
    engine.dispose()
    reader_url = db_url.replace("//postgres@", "//ro_serve@")
    assert reader_url != db_url
    refused = _serve(reader_url)
    assert refused.returncode != 0 and "只读" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


FLOOD = """
import json, sys, threading, time
import httpx

url, seconds = sys.argv[1], float(sys.argv[2])
statuses, first = [], []


def flood():
    with httpx.Client(base_url=url, auth=("coord", "wrong-password"), timeout=30) as c:
        deadline = time.monotonic() + seconds
        for _ in range(50):  # bounded in count and time
            if time.monotonic() > deadline:
                return
            answer = c.get("/api/v1/findings")
            statuses.append(answer.status_code)
            if answer.status_code == 429 and not first:
                first.append({"body": answer.json(), "retry": answer.headers["Retry-After"]})


workers = [threading.Thread(target=flood) for _ in range(40)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(json.dumps({"statuses": statuses, "first": first[0] if first else None}))
"""


def test_wrong_password_flood_leaves_tokens_fast_and_is_throttled(server) -> None:
    bearer = {"Authorization": f"Bearer {server.tokens['coord']}"}
    device = httpx.Client(base_url=server.url, headers=bearer, timeout=30)
    assert device.get("/api/v1/findings").status_code == 200  # connected, warm
    attacker = subprocess.Popen(  # another process, as an attacker would be
        [sys.executable, "-c", FLOOD, server.url, "4"],
        stdout=subprocess.PIPE,
        text=True,
    )
    slowest = 0.0
    try:
        time.sleep(0.6)  # the attacker's process starts
        for _ in range(8):
            started = time.perf_counter()
            answer = device.get("/api/v1/findings")
            slowest = max(slowest, time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
            time.sleep(0.1)
    finally:
        device.close()
        out, _ = attacker.communicate(timeout=60)
    flood = json.loads(out)
    statuses = flood["statuses"]
    assert slowest < 1.0, f"a token request took {slowest:.2f} s during the flood"
    assert statuses.count(401) <= 12 and flood["first"], statuses[:20]
    first = flood["first"]
    assert first["body"]["code"] == "too_many_attempts" and "秒后再试" in first["body"]["message"]
    assert 1 <= int(first["retry"]) <= 60
    with server.client("coord") as right:  # the right password is refused too, for a while
        assert right.get("/api/v1/findings").status_code == 429
    engine = make_engine(server.db_url)
    with engine.connect() as conn:
        actions = list(conn.exec_driver_sql("SELECT action FROM audit_log").scalars())
    engine.dispose()
    assert 1 <= actions.count("auth.throttled") <= 2, actions.count("auth.throttled")
    print(f"slowest token request during the flood: {slowest * 1000:.0f} ms")


def test_every_refused_request_is_audited_without_its_body(server) -> None:
    secret = "不该进入审计日志的内容"
    with server.client() as desk:
        answers = {
            400: desk.post(
                "/api/v1/checkins",
                json={"venue": HOTEL, "room": "101", "guests": [{**GUEST, "id_number": "1" * 18}]},
            ),
            422: desk.post("/api/v1/checkins", json={"venue": HOTEL, "room": secret}),
            415: desk.post(
                "/api/v1/checkins", content=secret.encode(), headers={"Content-Type": "text/plain"}
            ),
            413: desk.post("/api/v1/checkins", json={"pad": secret * 10_000}),
        }
        first = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "105", "guests": [GUEST]}
        )
        assert first.status_code == 201, first.text
        answers[409] = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "106", "guests": [GUEST]}
        )
    for status, answer in answers.items():
        assert answer.status_code == status, (status, answer.text)
    engine = make_engine(server.db_url)
    deadline = time.monotonic() + 10  # a refusal is audited once its answer has gone out
    while True:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT actor, kind, detail FROM audit_log WHERE action = 'api.refused'"
            ).all()
        noted = {
            json.loads(detail)["status"]: (actor, kind, json.loads(detail))
            for actor, kind, detail in rows
        }
        if set(noted) == set(answers) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    engine.dispose()
    assert set(noted) == set(answers), noted
    for status, (actor, kind, detail) in noted.items():
        assert kind == "refused" and detail["method"] == "POST"
        assert detail["path"] == "/api/v1/checkins" and detail["code"]
        assert actor == ("anonymous" if status in (413, 415) else "clerk"), (status, actor)
    assert (
        noted[413][2]["code"] == "too_large" and noted[415][2]["code"] == "unsupported_media_type"
    )
    text = " ".join(str(r) for r in rows)
    assert secret not in text and GUEST["id_number"] not in text


def test_serve_refuses_an_audit_key_that_does_not_seal_the_chain(server, tmp_path) -> None:
    """Started with another key file, the service would append entries no verify could pass."""
    with httpx.Client(base_url=server.url, auth=("clerk", PASSWORD)) as desk:
        assert desk.get("/api/v1/findings").status_code in (200, 403)  # the chain has entries
    other = tmp_path / "other.key"
    auditkey.create_key(other)
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(free_port())],
        env=laiqu_env(server.db_url, LAIQU_AUDIT_KEY_FILE=str(other)),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "审计密钥文件与审计日志不符" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_phone_is_as_long_at_the_service_as_on_the_command_line(server) -> None:
    """The service takes what ``Person.phone`` holds (32 characters) like the CLI: a mobile
    with country code and extension is taken, a longer text is a 422 naming the field."""
    with server.client() as desk:
        guest = {"id_number": rid(22), "name": "钱七", "phone": "+86 138 1234 5678 转 8080"}
        taken = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "107", "guests": [guest]}
        )
        assert taken.status_code in (200, 201), taken.text
        assert "8080" in taken.text and "1234 5678" not in taken.text
        too_long = {**guest, "id_number": rid(23), "phone": "1" * 33}
        refused = desk.post(
            "/api/v1/checkins", json={"venue": HOTEL, "room": "108", "guests": [too_long]}
        )
        assert refused.status_code == 422 and refused.json()["field"] == "guests.0.phone"
