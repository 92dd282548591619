"""``serial://auto``: the emulator on a kernel pty is found by probing the candidate ports.

Pseudo-terminals are not in pyserial's ``list_ports``: the tests add them through
``LAIQU_SERIAL_PORTS`` (and the ``ports=`` option), as a desk would for an odd device path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from cli.reader import reader as reader_cli
from drivers import errors, open_reader
from drivers.discover import ENV_PORTS, candidate_ports, find_reader, list_readers
from drivers.emulator import start_emulator
from drivers.serialreader import SerialReader


@pytest.fixture
def dead_pty() -> Iterator[str]:
    """A serial port with nothing behind it: opens fine, never answers."""
    master, slave = os.openpty()
    try:
        yield os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


def test_auto_finds_the_emulator_among_silent_ports(emulator, dead_pty, deck, monkeypatch):
    monkeypatch.setenv(ENV_PORTS, os.pathsep.join([dead_pty, "/dev/ttyLAIQU-none",
                                                   emulator.port]))
    reader = open_reader("serial://auto?poll=0.05")
    try:
        assert isinstance(reader, SerialReader)
        assert reader.url == emulator.port and reader.baud == 115200
        assert reader.sam_id == "05.01-20101209-0000000001-0004670001"
        emulator.present(5)
        card = reader.read(timeout=5)
        assert card is not None and card.number == deck[5].card.number
    finally:
        reader.close()


def test_auto_finds_a_reader_at_another_baud(dead_pty):
    with start_emulator(process=True, baud=19200) as emu:
        assert find_reader([dead_pty, emu.port], system=False) == (emu.port, 19200)


def test_auto_takes_the_first_candidate_that_answers(emulator):
    with start_emulator(process=True) as second:
        assert find_reader([second.port, emulator.port], system=False)[0] == second.port
        assert find_reader([emulator.port, second.port], system=False)[0] == emulator.port


def test_candidates_are_probed_once_per_device(emulator, monkeypatch):
    monkeypatch.setenv(ENV_PORTS, f"{emulator.port}{os.pathsep}{os.path.realpath(emulator.port)}")
    assert candidate_ports(system=False) == [emulator.port]
    assert list_readers([emulator.port], budget=0.2) == [(emulator.port, 115200)]


def test_nothing_answers_is_a_clear_chinese_message(dead_pty, monkeypatch):
    monkeypatch.delenv(ENV_PORTS, raising=False)
    with pytest.raises(errors.ReaderNotFound) as caught:
        open_reader(f"serial://auto?ports={dead_pty},/dev/ttyLAIQU-none&scan=0")
    message = str(caught.value)
    assert "未找到身份证读卡器" in message
    assert f"{dead_pty}（无应答）" in message and "/dev/ttyLAIQU-none（无法打开" in message
    assert "读SAM编号（12 FF）" in message and "115200/57600/38400/19200/9600" in message
    assert "dialout" in message and ENV_PORTS in message
    with pytest.raises(errors.ReaderNotFound, match="没有可探测的串口"):
        find_reader([], system=False)


def test_cli_read_and_list_through_auto(emulator, deck, monkeypatch):
    monkeypatch.setenv(ENV_PORTS, emulator.port)
    emulator.present(2)
    result = CliRunner().invoke(reader_cli, ["read", "serial://auto", "--json", "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["number"] == deck[2].card.masked_number
    listed = CliRunner().invoke(reader_cli, ["list", "--json"])
    assert listed.exit_code == 0, listed.output
    urls = [r["url"] for r in json.loads(listed.stdout)["readers"]]
    assert f"serial://{emulator.port}?baud=115200" in urls
