"""``laiqu desk --station http(s)://…`` uploads to a real ``laiqu serve`` (a device token), and
the page's upload state shows the real outcome: nothing waiting, a last success, no error."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import httpx
from desk_helpers import start_desk, stop_desk
from laiqu_helpers import A
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_desk_guard import NO_READER, page_token

from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Stay

TESTS = Path(__file__).resolve().parents[1]
for folder in ("service", "sync"):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))

from servicekit import prepare_station, start, stop  # noqa: E402
from world import HOTEL, build  # noqa: E402


def test_the_page_uploads_to_a_real_station(sqlite_template: Path, tmp_path: Path) -> None:
    station_db = tmp_path / "station.sqlite"
    shutil.copy(sqlite_template, station_db)
    station_url = f"sqlite:///{station_db}"
    _hotel, _other, token = prepare_station(station_url)
    url, server = start(station_url, tmp_path / "server.log")
    desk_file = tmp_path / "hotel.sqlite"
    shutil.copy(sqlite_template, desk_file)
    desk_url = f"sqlite:///{desk_file}"
    engine = make_engine(desk_url)
    build(session_factory(engine), Context("clerk", "desk-1"))
    engine.dispose()
    token_file = tmp_path / "device.token"
    token_file.write_text(token + "\n", encoding="utf-8")
    desk = start_desk(desk_url, NO_READER, tmp_path, "--venue", HOTEL, "--station", url,
                      "--token-file", str(token_file), "--push-every", "0.3")
    try:
        client = httpx.Client(base_url=desk.url, headers={"X-Desk-Token": page_token(desk.url)})
        done = client.post("/api/checkin", json={"room": "101",
                                                 "guests": [{"number": A, "name": "张三"}]})
        assert done.status_code == 200, done.text
        deadline = time.monotonic() + 30
        upload = client.get("/api/upload").json()
        while time.monotonic() < deadline and (upload["waiting"] or not upload["last_success"]):
            time.sleep(0.3)
            upload = client.get("/api/upload").json()
        assert upload["station"] is True and upload["waiting"] == 0, upload
        assert upload["last_success"] and upload["pushed"] > 0, upload
        assert not upload["push_error"] and not upload["last_error"], upload
        client.close()
    finally:
        stop_desk(desk)
        stop(server)
    station = make_engine(station_url)
    with Session(station) as s:
        assert s.scalar(select(func.count()).select_from(Stay)) == 1
    station.dispose()
    assert "Traceback" not in desk.output()
