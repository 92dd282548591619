"""The desk page's parts without a browser: the reader loop, refusals, config, reader URLs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

from sqlalchemy.exc import OperationalError

from cli.deskpage import quick_polls
from desk import config
from desk.errors import BUSY, chinese, refusal
from desk.reader import ReaderLoop
from drivers.errors import ReaderNotFound
from drivers.events import EventKind, ReaderEvent
from registry.errors import NotFound
from registry.identity.cards import CardRead
from registry.identity.ids import DocType

CARD = CardRead(DocType.RESIDENT, "测试", "1", date(1988, 3, 14), number="110105198803140111")


class FakeReader:
    """Reports an unplug and a replug (each once), then presents one card, then waits."""

    def __init__(self) -> None:
        self.on_event = None
        self.closed = threading.Event()

    def watch(self) -> Iterator[CardRead]:
        assert self.on_event is not None
        self.on_event(ReaderEvent(EventKind.UNPLUGGED, "读卡器 x 已断开"))
        self.on_event(ReaderEvent(EventKind.REPLUGGED, "读卡器 x 已重新连接"))
        yield CARD
        self.closed.wait(5)

    def read(self, timeout: float | None = None) -> CardRead | None:
        return None

    def close(self) -> None:
        self.closed.set()


def test_the_loop_retries_an_absent_reader_and_says_so_once(monkeypatch) -> None:
    monkeypatch.setattr("desk.reader.RETRY_OPEN", 0.01)
    tries = []
    fake = FakeReader()

    def opener(url: str) -> FakeReader:
        tries.append(url)
        if len(tries) < 4:
            raise ReaderNotFound("没有找到读卡器")
        return fake

    loop = ReaderLoop("serial://x", opener).start()
    try:
        deadline = time.monotonic() + 5
        while loop.snapshot()["last"] is None and time.monotonic() < deadline:
            loop.wait(loop.version, 0.2)
        snap = loop.snapshot()
        kinds = [n.kind for n in snap["notices"]]
        assert kinds == ["unplugged", "connected", "unplugged", "replugged"]
        assert snap["connected"] is True
        swipe = snap["last"]
        assert swipe.card is CARD and loop.swipe(swipe.token) is swipe
        assert CARD.number not in repr(snap)
    finally:
        loop.stop()
    assert fake.closed.is_set()


def test_refusals_are_chinese_sentences() -> None:
    busy = refusal(OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")))
    assert busy is not None and busy.message == BUSY and busy.status == 503
    missing = refusal(NotFound("nobody is checked in at 天平宾馆, room 101"))
    assert missing is not None and missing.status == 404
    assert missing.message.startswith("找不到：") and "没有在住旅客" in missing.message
    assert refusal(KeyError("bug")) is None


def test_the_desk_remembers_next_to_its_database(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(config.ENV, raising=False)
    path = config.config_path(f"sqlite:///{tmp_path}/desk.sqlite")
    assert path == tmp_path / "desk.sqlite.desk.json"
    config.save(path, {"venue": "天平宾馆", "reader": "serial://auto", "port": 8517,
                       "station": None, "other": 1})
    assert config.load(path) == {"venue": "天平宾馆", "reader": "serial://auto", "port": 8517}
    assert config.load(tmp_path / "absent.json") == {}
    # A second desk (another hotel) on the same file keeps the first one's settings apart.
    config.save(path, {"venue": "旧城客栈", "reader": "serial:///dev/ttyUSB1", "port": 8518})
    assert config.load(path, "天平宾馆")["reader"] == "serial://auto"
    assert config.load(path, "天平宾馆")["port"] == 8517
    assert config.load(path, "旧城客栈")["port"] == 8518
    assert config.load(path)["venue"] == "旧城客栈"  # no venue given: the last desk
    assert config.load(path, "别的宾馆") == {}


def test_a_serial_reader_is_polled_quickly_unless_told() -> None:
    assert quick_polls("serial://auto") == "serial://auto?poll=0.05"
    assert quick_polls("serial:///dev/x?baud=9600") == "serial:///dev/x?baud=9600&poll=0.05"
    assert quick_polls("serial:///dev/x?poll=0.2") == "serial:///dev/x?poll=0.2"
    assert quick_polls("pcsc://") == "pcsc://"


def test_a_serial_reader_is_opened_by_one_program_only(emulator) -> None:
    import pytest

    from drivers.samport import open_port

    first = open_port(emulator.port, 115200)
    try:
        with pytest.raises(ReaderNotFound, match="正被其他程序使用"):
            open_port(emulator.port, 115200)
    finally:
        first.close()
    open_port(emulator.port, 115200).close()  # free again once the first is closed


def test_english_inside_chinese_messages_is_translated() -> None:
    from registry.errors import InvalidInput

    said = refusal(InvalidInput("the expected check-out day is before today"))
    assert said is not None and "预计退房日期早于今天" in said.message
    said = refusal(InvalidInput("the name is longer than 100 characters"))
    assert said is not None and "姓名超过 100 个字" in said.message
    unplugged = chinese("读卡器 /dev/pts/3 已断开: (5, 'Input/output error')")
    assert "Input/output" not in unplugged and "设备输入/输出错误" in unplugged
    assert "Errno" not in chinese("[Errno 16] Device or resource busy: '/dev/ttyUSB0'")
