"""pyserial over a kernel pseudo-terminal against the emulator in a separate process."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace

import pytest
import serial

from drivers import errors, frames, open_reader
from drivers.emulator import start_emulator
from drivers.serialreader import SamPort, SerialReader, list_readers

CAPTURE = ("reader_id", "sam_id", "read_at", "chip_serial")


def same_card(read, expected):
    blank = dict.fromkeys(CAPTURE)
    return replace(read, **blank) == replace(expected, **blank)


def exchange(port, request: bytes, expect: int, timeout: float = 5.0) -> bytes:
    port.reset_input_buffer()
    port.write(request)
    port.timeout = timeout
    return port.read(expect)


@pytest.fixture
def raw(emulator):
    with serial.Serial(emulator.port, 115200, timeout=5) as port:
        yield port


def test_wire_answers_are_byte_exact(emulator, raw):
    find, select = frames.build_request(*frames.FIND), frames.build_request(*frames.SELECT)
    assert exchange(raw, find, 11) == bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")
    # Out of sequence: select and read without a found card.
    assert exchange(raw, select, 11) == bytes.fromhex("AA AA AA 96 69 00 04 00 00 21 25")
    assert exchange(raw, frames.build_request(*frames.READ), 11)[9] == 0x21
    # Wrong checksum (published host code sends find with CHK 21) and a bad command.
    assert exchange(raw, bytes.fromhex("AA AA AA 96 69 00 03 20 01 21"), 11) == \
        bytes.fromhex("AA AA AA 96 69 00 04 00 00 10 14")
    assert exchange(raw, bytes.fromhex("AA AA AA 96 69 00 03 20 00 23"), 11)[9] == 0x21
    # Impossible LEN, and a frame cut short followed by silence: length errors.
    assert exchange(raw, bytes.fromhex("AA AA AA 96 69 FF FF"), 11)[9] == 0x11
    assert exchange(raw, bytes.fromhex("AA AA AA 96 69 00 03 20"), 11)[9] == 0x11
    emulator.present(0)
    assert exchange(raw, b"\x00\xff" + find, 15) == \
        bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    assert exchange(raw, select, 19) == bytes.fromhex("AA AA AA 96 69 00 0C 00 00 90") + \
        bytes(8) + b"\x9c"
    answer = exchange(raw, frames.build_request(*frames.READ), 1295)
    assert len(answer) == 1295 and answer[10:14] == bytes.fromhex("01 00 04 00")
    assert frames.decode_response(answer).ok
    # Read once per presentation: the card stays in the field but find now fails.
    assert exchange(raw, find, 11)[9] == 0x80


def test_read_answer_takes_its_wire_time_and_arrives_in_chunks(emulator, raw):
    emulator.present(3)  # two fingerprints: the 2321-byte answer
    exchange(raw, frames.build_request(*frames.FIND), 15)
    exchange(raw, frames.build_request(*frames.SELECT), 19)
    raw.reset_input_buffer()
    start = time.monotonic()
    raw.write(frames.build_request(*frames.READ_FP))
    chunks, got = 0, 0
    while got < 2321 and time.monotonic() - start < 10:
        raw.timeout = 1
        piece = raw.read(max(1, raw.in_waiting))
        got += len(piece)
        chunks += 1
    elapsed = time.monotonic() - start
    assert got == 2321
    assert elapsed >= (10 + 2321) * 10 / 115200  # 202 ms: never faster than the wire
    assert chunks > 1


def test_probe_sam_id_and_every_card_type(emulator, deck):
    reader = open_reader(f"serial://{emulator.port}?fingerprints=1&append=1")
    try:
        assert reader.baud == 115200
        assert reader.sam_id == "05.01-20101209-0000000001-0004670001"
        for index, entry in enumerate(deck):
            emulator.present(index)
            card = reader.read(timeout=5)
            assert card is not None and same_card(replace(card, extras=entry.card.extras),
                                                  entry.card)
            assert card.photo == entry.card.photo and len(card.photo) == 1024
            assert card.photo_sha256 == entry.card.photo_sha256
            assert card.fingerprints == entry.card.fingerprints
            assert card.extras.get("append_address") == entry.append_address
            assert card.reader_id == emulator.port and card.read_at is not None
            emulator.remove()
    finally:
        reader.close()


@pytest.mark.parametrize("read_once", [True, False])
def test_card_left_on_the_reader_is_read_once(emulator, read_once):
    emulator.configure(read_once=read_once)
    with SerialReader(emulator.port, poll=0.05) as reader:
        emulator.present(0)
        assert reader.read(timeout=5) is not None
        assert reader.read(timeout=0.5) is None
        assert emulator.state()["reads"] == 1
        emulator.remove()
        assert reader.read(timeout=0.3) is None
        emulator.present(0)
        assert reader.read(timeout=5) is not None
        assert emulator.state()["reads"] == 2


def test_card_moved_mid_read_is_reported_then_read_on_next_presentation(emulator, deck):
    emulator.configure(move_next_read=True)
    with SerialReader(emulator.port, poll=0.05) as reader:
        emulator.present(1)
        with pytest.raises(errors.CardMoved) as caught:
            reader.read(timeout=5)
        assert caught.value.code == 0x41
        assert not emulator.state()["present"]
        emulator.present(1)
        card = reader.read(timeout=5)
        assert card is not None and card.number == deck[1].card.number


def test_select_failing_while_the_card_moves_in_is_retried(emulator):
    emulator.configure(select_fails=2)
    with SerialReader(emulator.port, poll=0.05) as reader:
        emulator.present(2)
        assert reader.read(timeout=5) is not None


def test_sam_fault_60_is_reset_and_66_is_permanent(emulator):
    with SerialReader(emulator.port, poll=0.05) as reader:
        emulator.configure(sam_fault=0x60)
        emulator.present(0)
        with pytest.raises(errors.SamFault) as caught:
            reader.read(timeout=5)
        assert caught.value.code == 0x60
        assert reader.read(timeout=5) is not None  # the driver reset the SAM (10 FF)
        emulator.configure(sam_fault=0x66)
        with pytest.raises(errors.SamFault) as caught:
            reader.read(timeout=5)
        assert caught.value.code == 0x66


def test_unplug_and_replug_recover_without_restart(emulator, deck):
    events: list[errors.ReaderError] = []
    with SerialReader(emulator.port, poll=0.05, on_error=events.append) as reader:
        emulator.present(0)
        assert reader.read(timeout=5) is not None
        emulator.unplug()
        with pytest.raises(errors.ReaderError):
            reader.read(timeout=0.5)
        assert len(events) == 1 and isinstance(events[0], errors.ReaderDisconnected)
        emulator.replug()
        emulator.remove()
        emulator.present(4)
        card = reader.read(timeout=10)
        assert card is not None and card.number == deck[4].card.number


def test_watch_delivers_each_swipe_once():
    with start_emulator(process=True, swipe=0.4) as emu, SerialReader(emu.port, poll=0.05) as rd:
        got = []
        for card in rd.watch():
            got.append(card.number)
            if len(got) == 3:
                break
        assert len(set(got)) == 3
        assert emu.state()["reads"] == 3


def test_baud_probing_finds_a_slow_reader_and_wrong_baud_is_not_found():
    with start_emulator(process=True, baud=38400) as emu:
        with pytest.raises(errors.ReaderNotFound, match="115200"):
            SerialReader(emu.port, baud=115200)
        with SerialReader(emu.port) as reader:
            assert reader.baud == 38400
            emu.present(0)
            assert reader.read(timeout=5) is not None


def test_baud_command_switches_the_line(emulator):
    with serial.Serial(emulator.port, 115200, timeout=1) as port:
        sam = SamPort(port, emulator.port)
        sam.set_baud(19200)
        assert port.baudrate == 19200 and emulator.state()["baud"] == 19200
        sam.status()


def test_list_readers_probes_each_port(emulator):
    master, slave = os.openpty()  # a serial port with nothing behind it
    try:
        found = list_readers([emulator.port, os.ttyname(slave), "/dev/does-not-exist"],
                             budget=0.2)
    finally:
        os.close(master)
        os.close(slave)
    assert found == [(emulator.port, 115200)]


def test_open_reader_errors_name_what_was_tried():
    with pytest.raises(errors.UnknownScheme, match="nfc://x"):
        open_reader("nfc://x")
    with pytest.raises(errors.ReaderNotFound, match="/dev/ttyLAIQU9"):
        open_reader("serial:///dev/ttyLAIQU9?baud=115200")
    reader = open_reader("loop://?probe=0&baud=9600")
    assert isinstance(reader, SerialReader)
    reader.close()


def test_emulator_url_reads_through_the_serial_driver():
    reader = open_reader("emulator://default?swipe=0")
    try:
        reader.emulator.present(9)
        card = reader.read(timeout=5)
        assert card is not None and card.reader_id == "emulator"
        assert card.doc_type.value == "foreign_2023"
    finally:
        reader.close()


def test_emulator_thread_mode_and_present_a_card_value(deck):
    other = replace(deck[0].card, name="测试")
    with start_emulator(process=False) as emu, SerialReader(emu.port, poll=0.05) as reader:
        emu.present(other)
        card = reader.read(timeout=5)
        assert card is not None and card.name == "测试"
    assert threading.active_count() >= 1
