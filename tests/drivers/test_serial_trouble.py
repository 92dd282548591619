"""Reader trouble over pyserial on a kernel pty against the emulator process: cut frames, late
answers, and a reading loop that reports each problem once and goes on."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import serial

from drivers import errors, frames
from drivers.events import EventKind, ReaderEvent
from drivers.serialreader import SamPort, SerialReader

ROOT = Path(__file__).resolve().parents[2]


def wait_for(what: str, check, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def sam(emulator):
    with serial.Serial(emulator.port, 115200, timeout=1) as port:
        yield SamPort(port, emulator.port)


def select_card(emulator, sam: SamPort, index: int = 0) -> None:
    emulator.present(index)
    sam.find()
    sam.select()


@pytest.mark.parametrize("cut", [3, 6, 7, 12, 600, 1290, 1294])
def test_read_answer_cut_off_then_card_moved_is_card_moved_at_once(emulator, sam, cut):
    select_card(emulator, sam)
    emulator.configure(cut_next_read=cut)
    start = time.monotonic()
    with pytest.raises(errors.CardMoved) as caught:
        sam.read_base()
    assert caught.value.code == 0x41
    assert time.monotonic() - start < 1.0  # the read's deadline is 2.2 s: nothing waited


def test_card_moved_while_on_the_wire_through_the_reader(emulator, deck):
    emulator.configure(cut_next_read=700)
    with SerialReader(emulator.port, poll=0.05) as reader:
        emulator.present(1)
        with pytest.raises(errors.CardMoved):
            reader.read(timeout=5)
        emulator.present(1)
        card = reader.read(timeout=5)
        assert card is not None and card.number == deck[1].card.number


def test_late_read_answer_is_not_taken_for_the_next_find(emulator, sam):
    select_card(emulator, sam)
    emulator.configure(latency={"read": 1.0})  # a slow SAM: answers after the host gave up
    start = time.monotonic()
    with pytest.raises(errors.ReadTimeout):
        sam.transact(*frames.READ, budget=0.3)
    with pytest.raises(errors.NoCard):  # the find's own answer: read once, the card is done
        sam.transact(*frames.FIND, budget=3.0)
    assert time.monotonic() - start > 1.0  # it waited past the late 1295-byte read answer
    assert sam.discarded == 1


def test_late_answer_then_the_cycle_goes_on(emulator, sam):
    emulator.configure(read_once=False, latency={"select": 0.8})
    emulator.present(2)
    sam.find()
    with pytest.raises(errors.ReadTimeout):
        sam.transact(*frames.SELECT, budget=0.2)
    assert sam.transact(*frames.FIND, budget=3.0).sw3 == 0x9F  # not the late select's 90
    assert sam.discarded == 1
    sam.transact(*frames.SELECT, budget=3.0)
    assert len(sam.read_base().text) == 256


def test_only_an_answer_of_the_wrong_shape_is_a_clear_error():
    """The test plays the reader on the master side of a pty: it answers find with a SAM id."""
    master, slave = os.openpty()
    answered = threading.Event()

    def reader_side() -> None:
        request = b""
        while len(request) < 10:
            request += os.read(master, 64)
        os.write(master, frames.build_response(0x90, bytes(16)))
        answered.set()

    thread = threading.Thread(target=reader_side, daemon=True)
    thread.start()
    try:
        expected = pytest.raises(errors.UnexpectedAnswer, match="应答与寻卡（20 01）命令不符")
        with serial.Serial(os.ttyname(slave), 115200, timeout=1) as port, expected as caught:
            SamPort(port, "pty").transact(*frames.FIND, budget=0.5)
        assert answered.is_set() and "16 字节" in str(caught.value)
    finally:
        thread.join(timeout=5)
        os.close(master)
        os.close(slave)


def test_bad_append_address_answer_does_not_cost_the_card(emulator, deck, caplog):
    index = next(i for i, entry in enumerate(deck) if entry.append_address)
    emulator.configure(corrupt_next="append")
    with SerialReader(emulator.port, poll=0.05, append_address=True) as reader:
        emulator.present(index)
        card = reader.read(timeout=10)
    assert card is not None and card.number == deck[index].card.number
    assert "append_address" not in card.extras
    assert "append address unreadable" in caplog.text
    assert deck[index].card.number not in caplog.text


def test_watch_reports_each_trouble_once_and_goes_on(emulator, deck):
    events: list[ReaderEvent] = []
    cards: list[str] = []
    reader = SerialReader(emulator.port, poll=0.05, on_event=events.append)

    def run() -> None:
        for card in reader.watch():
            cards.append(card.number)
            return

    def kinds() -> list[EventKind]:
        return [e.kind for e in events]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        emulator.configure(move_next_read=True)  # SW3 41, the card leaves
        emulator.present(0)
        wait_for("card moved", lambda: EventKind.CARD_MOVED in kinds())
        emulator.configure(corrupt_next="read")
        emulator.present(1)
        wait_for("bad frame", lambda: EventKind.BAD_FRAME in kinds())
        emulator.remove()
        emulator.configure(silent=True)
        wait_for("timeout", lambda: EventKind.TIMEOUT in kinds())
        time.sleep(1.5)  # two more timed-out finds: not reported again
        emulator.configure(silent=False)
        emulator.unplug()
        wait_for("unplug", lambda: EventKind.UNPLUGGED in kinds())
        time.sleep(1.0)  # twenty polls of a missing port: not reported again
        emulator.replug()
        wait_for("replug", lambda: EventKind.REPLUGGED in kinds())
        emulator.present(2)
        thread.join(timeout=15)
        assert cards == [deck[2].card.number]
        assert kinds() == [EventKind.CARD_MOVED, EventKind.BAD_FRAME, EventKind.TIMEOUT,
                           EventKind.UNPLUGGED, EventKind.REPLUGGED]
        assert isinstance(events[1].error, errors.BadChecksum)
        assert isinstance(events[3].error, errors.ReaderDisconnected)
        for event in events:
            assert all(entry.card.number not in event.message for entry in deck)
    finally:
        reader.close()
        thread.join(timeout=5)


def test_read_reports_an_outage_once_across_calls(emulator):
    errors_seen: list[errors.ReaderError] = []
    with SerialReader(emulator.port, poll=0.05, on_error=errors_seen.append) as reader:
        emulator.unplug()
        for _ in range(3):  # a desk loop calling read(0.3) again and again
            with pytest.raises(errors.ReaderError):
                reader.read(timeout=0.3)
        assert len(errors_seen) == 1
        emulator.replug()
        emulator.present(0)
        assert reader.read(timeout=10) is not None


def test_cli_watch_reports_unplug_once_and_the_replug(emulator, deck):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cli.reader import reader; reader()", "watch",
         f"serial://{emulator.port}?poll=0.05", "--count", "2", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        emulator.present(0)
        first = proc.stdout.readline().decode()
        assert deck[0].card.masked_number in first
        emulator.unplug()
        time.sleep(2.0)  # forty polls while unplugged
        emulator.replug()
        emulator.remove()
        emulator.present(3)
        second = proc.stdout.readline().decode()
        assert deck[3].card.masked_number in second
        assert proc.wait(timeout=15) == 0
        stderr = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert stderr.count("读卡器断开") == 1, stderr
    assert stderr.count("读卡器恢复") == 1, stderr
    assert deck[0].card.number not in stderr
