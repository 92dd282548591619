"""Edges a tester found in the station service, over real HTTP (``laiqu serve`` as a process):
Chinese messages everywhere (also each rejected upload item's reason), malformed and
over-long bodies named as such, concurrent uploads of the same items answered 409 and
retried by the desk, refusals audited, no CDN documentation page."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest
from world import HOTEL, rid

from registry.context import Context
from registry.db.engine import make_engine
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
                ],
            },
        )
        assert batch.status_code == 200, batch.text
        reasons = [r["reason"] for r in batch.json()["results"]]
        assert all(r and _chinese(r) for r in reasons), reasons
        assert "入住登记" in reasons[0]
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
        thread.join(1.5)  # the station waits on the ledger's key
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
