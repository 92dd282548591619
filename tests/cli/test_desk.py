"""checkin, checkout and frontdesk: typed and through the emulated reader on a pty."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from laiqu_helpers import A, B, C, Laiqu

from drivers.emulator import SerialEmulator, start_emulator
from drivers.emulator.deck import default_deck


@pytest.fixture
def emulator() -> Iterator[SerialEmulator]:
    emu = start_emulator(process=False)
    yield emu
    emu.close()


def reader_url(emu: SerialEmulator) -> str:
    return f"serial://{emu.port}?baud=115200"


def test_checkin_typed_records_manual_and_prints_the_finding(laiqu: Laiqu, city) -> None:
    out = laiqu("checkin", "--venue", city["hotel"], "--room", "101", "--id", A, "--name", "张三")
    assert "已入住：天平宾馆 101 房" in out.stdout
    assert "张三 110105********0111（手工，新登记）" in out.stdout
    assert "PC-MANUAL" in out.stdout
    assert A not in out.output


def test_checkin_with_co_guests_json(laiqu: Laiqu, city) -> None:
    laiqu("person", "add", "--id", B, "--name", "李四")
    data = laiqu.json(
        "checkin",
        "--venue",
        "天平宾馆",
        "--room",
        "102",
        "--id",
        A,
        "--name",
        "张三",
        "--with",
        B,
        "--with",
        f"{C}:王五",
        "--until",
        "2026-06-16",
    )
    assert [g["person"]["name"] for g in data["guests"]] == ["张三", "李四", "王五"]
    assert {g["capture"] for g in data["guests"]} == {"manual"}
    assert {f["code"] for f in data["findings"]} == {"PC-MANUAL"}
    assert all("*" in g["person"]["id_number"] for g in data["guests"])


def test_refused_checkin_changes_nothing(laiqu: Laiqu, city, counts) -> None:
    before = counts()
    bad_room = laiqu(
        "checkin", "--venue", "天平宾馆", "--room", "999", "--id", A, "--name", "张三", ok=False
    )
    assert bad_room.exit_code == 1 and "没有房间“999”" in bad_room.stderr
    unknown = laiqu(
        "checkin", "--venue", "无此旅馆", "--room", "1", "--id", A, "--name", "张三", ok=False
    )
    assert unknown.exit_code == 1 and "尚未登记" in unknown.stderr
    co_unknown = laiqu(
        "checkin",
        "--venue",
        "天平宾馆",
        "--room",
        "101",
        "--id",
        A,
        "--name",
        "张三",
        "--with",
        B,
        ok=False,
    )
    assert co_unknown.exit_code == 1
    assert counts() == before
    usage = laiqu("checkin", "--venue", "天平宾馆", "--room", "101", ok=False)
    assert usage.exit_code == 2


def test_checkout_by_room_and_by_id(laiqu: Laiqu, city) -> None:
    laiqu(
        "checkin",
        "--venue",
        "天平宾馆",
        "--room",
        "101",
        "--id",
        A,
        "--name",
        "张三",
        "--with",
        f"{B}:李四",
    )
    laiqu("checkin", "--venue", "天平宾馆", "--room", "102", "--id", C, "--name", "王五")
    one = laiqu.json("checkout", "--venue", "天平宾馆", "--id", C)
    assert [s["room"] for s in one["stays"]] == ["102"]
    room = laiqu("checkout", "--venue", "天平宾馆", "--room", "101")
    assert "101 房 张三" in room.stdout and "101 房 李四" in room.stdout
    again = laiqu("checkout", "--venue", "天平宾馆", "--room", "101", ok=False)
    assert again.exit_code == 1 and "没有在住旅客" in again.stderr
    both = laiqu("checkout", "--venue", "天平宾馆", "--room", "1", "--id", A, ok=False)
    assert both.exit_code == 2


def test_checkin_from_the_reader(laiqu: Laiqu, city, emulator: SerialEmulator) -> None:
    deck = default_deck()
    emulator.present(2)  # a card that expired in 2025
    data = laiqu.json(
        "checkin",
        "--venue",
        "天平宾馆",
        "--room",
        "201",
        "--reader",
        reader_url(emulator),
        "--timeout",
        "10",
    )
    guest = data["guests"][0]
    assert guest["capture"] == "chip" and guest["person"]["name"] == deck[2].card.name
    assert [f["code"] for f in data["findings"]] == ["PC-EXPIRED"]


def test_checkin_waits_for_the_swipe_then_gives_up(laiqu: Laiqu, city, emulator) -> None:
    result = laiqu(
        "checkin",
        "--venue",
        "天平宾馆",
        "--room",
        "201",
        "--reader",
        reader_url(emulator),
        "--timeout",
        "0.5",
        ok=False,
    )
    assert result.exit_code == 1 and "没有读到证件" in result.stderr


def test_bad_reader_url_is_a_clear_error(laiqu: Laiqu, city, tmp_path) -> None:
    result = laiqu(
        "checkin",
        "--venue",
        "天平宾馆",
        "--room",
        "201",
        "--reader",
        f"serial://{tmp_path}/ttyNONE",
        "--timeout",
        "1",
        ok=False,
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：读卡器") and "Traceback" not in result.output


def test_frontdesk_checks_in_then_out(laiqu: Laiqu, city, emulator: SerialEmulator) -> None:
    name = default_deck()[0].card.name
    emulator.present(0)
    url = reader_url(emulator)
    first = laiqu(
        "frontdesk", "--venue", "天平宾馆", "--reader", url, "--count", "1", input="103\n"
    )
    assert f"已入住：天平宾馆 103 房\n  {name}" in first.stdout
    assert "入住 1 次、退房 0 次" in first.stdout
    emulator.remove()  # the guest leaves, and comes back to check out
    emulator.present(0)
    second = laiqu.json(
        "frontdesk", "--venue", "天平宾馆", "--reader", url, "--count", "1", input="\n"
    )
    assert second["actions"][0]["action"] == "checkout"


def test_frontdesk_keeps_going_after_a_refusal(laiqu: Laiqu, city, emulator) -> None:
    emulator.present(0)
    result = laiqu(
        "frontdesk",
        "--venue",
        "天平宾馆",
        "--reader",
        reader_url(emulator),
        "--count",
        "1",
        input="999\n",
    )  # wrong room, then end of input: the desk closes cleanly
    assert result.exit_code == 0
    assert "错误：输入有误：天平宾馆 没有房间“999”" in result.stderr
    assert "入住 0 次" in result.stdout


def test_party_checkin_says_whose_each_finding_is(laiqu: Laiqu, city) -> None:
    out = laiqu("checkin", "--venue", "天平宾馆", "--room", "102", "--id", A, "--name", "张三",
                "--with", f"{C}:王五")
    manual = [line for line in out.stdout.splitlines() if "PC-MANUAL" in line]
    assert len(manual) == 2
    assert any("张三 " in line for line in manual) and any("王五 " in line for line in manual)
    assert A not in out.output and C not in out.output


def test_frontdesk_survives_an_unplugged_reader(laiqu: Laiqu, city, emulator) -> None:
    """Unplugged mid-session: told once, the desk waits, and the next swipe after the
    replug checks the guest in (issue #17)."""
    url = reader_url(emulator)
    steps = [(0.6, emulator.unplug), (2.6, emulator.replug), (3.6, lambda: emulator.present(0))]
    timers = [threading.Timer(delay, action) for delay, action in steps]
    for t in timers:
        t.start()
    try:
        result = laiqu(
            "frontdesk", "--venue", "天平宾馆", "--reader", url, "--count", "1", input="103\n"
        )
    finally:
        for t in timers:
            t.join()
    assert result.exit_code == 0, result.output
    assert "已入住：天平宾馆 103 房" in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("读卡器：")]
    assert len(lines) == 2, lines  # the unplug once, the replug once
