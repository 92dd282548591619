"""pyscard through a real pcscd (started here) with the vpcd driver and the emulator as card."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import replace

import pytest
from click.testing import CliRunner

from cli.reader import reader as reader_cli
from drivers import errors
from drivers.events import EventKind

smartcard = pytest.importorskip("smartcard", reason="pyscard is not installed")

from drivers.emulator.vpcd import VPCD_PORT, VpcdCard, type_b_atr  # noqa: E402
from drivers.pcsc import GUID, PcscReader, reader_names  # noqa: E402

START = 30.0  # pcscd start-up on a loaded CI machine


def _listening(port: int) -> bool:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            if int(local.rsplit(":", 1)[1], 16) == port and state == "0A":
                return True
    return False


def _wait(what: str, check, timeout: float = START) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def pcscd(tmp_path_factory):
    """A pcscd of our own in the foreground; reuses one already serving vpcd."""
    if shutil.which("pcscd") is None:
        pytest.skip("pcscd is not installed")
    if not os.path.exists("/etc/reader.conf.d/vpcd"):
        pytest.skip("vsmartcard-vpcd is not installed")
    proc = log = None
    if not _listening(VPCD_PORT):
        log = open(tmp_path_factory.mktemp("pcscd") / "pcscd.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(["pcscd", "--foreground"], stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait("vpcd to listen on port 35963", lambda: _listening(VPCD_PORT)
                  or proc.poll() is not None)
            if proc.poll() is not None:
                pytest.fail(f"pcscd exited with {proc.returncode}: see {log.name}")
        except BaseException:
            proc.kill()
            proc.wait()
            log.close()
            raise
    _wait("pyscard to list the Virtual PCD", lambda: any("Virtual PCD" in n
                                                          for n in _names()))
    yield next(n for n in _names() if "Virtual PCD" in n)
    if proc is not None:
        log.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _names() -> list[str]:
    try:
        return reader_names()
    except errors.ReaderNotFound:
        return []


@pytest.fixture
def reader(pcscd):
    rd = PcscReader("Virtual PCD", poll=0.05)
    yield rd
    rd.close()


def _insert(entry, sam: bool, reader: PcscReader) -> VpcdCard:
    card = VpcdCard(entry, sam=sam)
    _wait("pcscd to see the card", lambda: reader.chip_serial() is not None, timeout=10)
    return card


def test_opens_the_first_reader_or_by_name(pcscd):
    assert PcscReader().name == reader_names()[0]
    assert PcscReader(pcscd).name == pcscd
    with pytest.raises(errors.ReaderNotFound, match="Virtual PCD"):
        PcscReader("No Such Reader")


def test_chip_serial_apdu_and_atr(pcscd, deck):
    from smartcard.System import readers

    card = VpcdCard(deck[0])
    try:
        connection = next(r for r in readers() if str(r) == pcscd).createConnection()
        _wait("the card", lambda: _try_connect(connection), timeout=10)
        assert bytes(connection.getATR()) == type_b_atr()
        data, sw1, sw2 = connection.transmit(GUID)
        assert (sw1, sw2) == (0x90, 0x00)
        assert bytes(data).hex().upper() == deck[0].card.chip_serial
        connection.component.release()
    finally:
        card.remove()


def _try_connect(connection) -> bool:
    try:
        connection.connect()
    except smartcard.Exceptions.SmartcardException:
        return False
    return True


def test_plain_reader_gives_only_the_chip_serial(reader, deck):
    card = _insert(deck[1], sam=False, reader=reader)
    try:
        with pytest.raises(errors.NoSamData) as caught:
            reader.read(timeout=5)
        assert caught.value.chip_serial == deck[1].card.chip_serial
        assert isinstance(caught.value.__cause__, errors.NotSupported)
        assert caught.value.__cause__.code == 0x6D00
        assert reader.read(timeout=0.5) is None  # reported once per presentation
    finally:
        card.remove()


def test_cli_read_on_a_plain_reader_prints_the_chip_serial(reader, deck):
    card = _insert(deck[1], sam=False, reader=reader)
    try:
        url = f"pcsc://{reader.name}"
        result = CliRunner().invoke(reader_cli, ["read", url, "--timeout", "5"])
        assert result.exit_code == 0, result.output
        assert result.stdout == f"芯片序列号 {deck[1].card.chip_serial}\n"
        assert "不能读取证件信息" in result.stderr
        as_json = CliRunner().invoke(reader_cli, ["read", url, "--timeout", "5", "--json"])
        assert as_json.exit_code == 0, as_json.output
        data = json.loads(as_json.stdout)
        assert data["chip_serial"] == deck[1].card.chip_serial and data["sam_data"] is False
        assert deck[1].card.number not in result.output + as_json.output
    finally:
        card.remove()


def test_watch_reports_no_sam_data_once_per_presentation(reader, deck):
    events = []
    reader.on_event = events.append
    thread = threading.Thread(target=lambda: list(reader.watch()), daemon=True)
    thread.start()
    card = _insert(deck[2], sam=False, reader=reader)
    try:
        _wait("the event", lambda: events, timeout=10)
        time.sleep(0.5)  # ten more polls with the card on the reader
        assert [e.kind for e in events] == [EventKind.NO_SAM_DATA]
        assert deck[2].card.chip_serial in events[0].message
    finally:
        reader.close()  # stop polling before the card goes: no exchange is cut by vpcd
        thread.join(timeout=5)
        card.remove()
    assert not thread.is_alive()


def test_sam_reader_reads_every_field_once_per_presentation(reader, deck):
    for index in (0, 6, 9):
        entry = deck[index]
        card = _insert(entry, sam=True, reader=reader)
        try:
            got = reader.read(timeout=10)
            assert got is not None
            blank = dict(reader_id=None, read_at=None, fingerprints=None)
            assert replace(got, **blank) == replace(entry.card, **blank)
            assert got.photo_sha256 == entry.card.photo_sha256
            assert reader.read(timeout=0.5) is None  # card left on the reader
        finally:
            card.remove()
        _wait("the card to leave", lambda: reader.chip_serial() is None, timeout=10)
        assert reader.read(timeout=0.3) is None


def test_status_words_map_through_the_table():
    assert isinstance(errors.card_error(0x6D, 0x00), errors.NotSupported)
    assert isinstance(errors.card_error(0x69, 0x82), errors.SecurityStatus)
    error = errors.card_error(0x69, 0x99)  # not in the exact table: by SW1
    assert isinstance(error, errors.SecurityStatus) and error.code == 0x6999
    assert type(errors.card_error(0x12, 0x34)) is errors.CardStatus
