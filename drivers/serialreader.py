"""GA 467 SAM readers on a serial line (pyserial): commands, baud probing, the reading loop.

``SamPort`` speaks the command set of protocol doc §1.4 with a deadline per command (never a
fixed read size: USB bridges deliver frames in chunks). ``SerialReader`` is the
``CardReader``: find → select → read once per presentation, recovers from unplug/replug.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

import serial
import serial.tools.list_ports

from drivers import frames as f
from drivers.errors import (
    CardMoved,
    FrameError,
    NoCard,
    NoContent,
    ReaderDisconnected,
    ReaderError,
    ReaderNotFound,
    ReadTimeout,
    SamFault,
    SelectFailed,
    sam_error,
)
from drivers.layouts import decode_text
from registry.cards import CardRead

log = logging.getLogger(__name__)

try:  # termios errors (EIO on an unplugged tty) are not OSError subclasses
    import termios

    PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError,
                                                    termios.error)
except ImportError:  # pragma: no cover - Windows
    PORT_ERRORS = (serial.SerialException, OSError)

# Seconds the SAM may think before answering (host code of §1.8), plus the wire time of the
# longest answer at the current baud, doubled.
BUDGETS: dict[tuple[int, int], tuple[float, int]] = {
    f.RESET: (3.0, 11), f.STATUS: (1.0, 11), f.SAM_ID: (1.0, 27), f.FIND: (0.5, 15),
    f.SELECT: (0.5, 19), f.READ: (2.0, 1295), f.READ_FP: (3.0, 2321),
    f.READ_APPEND: (1.5, 81), f.SET_RF_MAX: (1.0, 11),
}
WIRE_BITS = 10  # 8N1


def wire_time(nbytes: int, baud: int) -> float:
    """Seconds ``nbytes`` take on the wire at ``baud`` (8N1)."""
    return nbytes * WIRE_BITS / baud


class SamPort:
    """The GA 467 command set over one open pyserial port."""

    def __init__(self, port: serial.SerialBase, name: str) -> None:
        self.port, self.name = port, name

    def transact(self, cmd: int, para: int, data: bytes = b"",
                 budget: float | None = None) -> f.Response:
        """Send one request, wait for its answer until the command's deadline; raise on SW3."""
        base, longest = BUDGETS.get((cmd, para), (1.0, 11))
        budget = budget if budget is not None else base + 2 * wire_time(longest, self.port.baudrate)
        try:
            self.port.reset_input_buffer()
            self.port.write(f.build_request(cmd, para, data))
            response = self._receive(time.monotonic() + budget, cmd, para, budget)
        except PORT_ERRORS as exc:
            raise ReaderDisconnected(f"读卡器 {self.name} 已断开: {exc}") from exc
        if not response.ok:
            raise sam_error(response.sw3, response.sw1, response.sw2)
        return response

    def _receive(self, deadline: float, cmd: int, para: int, budget: float) -> f.Response:
        buffer = bytearray()
        last_error: FrameError | None = None
        while (remaining := deadline - time.monotonic()) > 0:
            self.port.timeout = remaining
            buffer += self.port.read(max(1, self.port.in_waiting))
            while True:
                frame, consumed = f.find_frame(bytes(buffer), min_len=4)
                if frame is None:
                    del buffer[:consumed]
                    break
                try:
                    return f.decode_response(frame)
                except FrameError as exc:  # garbage that looked like a frame: slide one byte
                    last_error = exc
                    del buffer[:consumed - len(frame) + 1]
        if last_error is not None:
            raise last_error
        raise ReadTimeout(f"读卡器 {self.name} 在 {budget:.2f} 秒内未应答命令 {cmd:02X} {para:02X}")

    # The command set, protocol doc §1.4.
    def reset(self) -> None:
        self.transact(*f.RESET)

    def status(self, budget: float | None = None) -> None:
        self.transact(*f.STATUS, budget=budget)

    def sam_id(self) -> str:
        return f.format_sam_id(self.transact(*f.SAM_ID).data)

    def find(self) -> bytes:
        return self.transact(*f.FIND).data

    def select(self) -> bytes:
        return self.transact(*f.SELECT).data

    def read_base(self, fingerprints: bool = False) -> f.BaseMessage:
        return f.decode_base(self.transact(*(f.READ_FP if fingerprints else f.READ)).data)

    def read_append_address(self) -> str | None:
        try:
            data = self.transact(*f.READ_APPEND).data
        except NoContent:
            return None
        return data.decode("utf-16-le", errors="replace").rstrip(" \x00") or None

    def set_baud(self, baud: int) -> None:
        """Ask the reader to switch rate (answered at the old rate), then follow it."""
        self.transact(0x60, f.BAUD_PARA[baud])
        self.port.baudrate = baud


def open_port(url: str, baud: int) -> serial.SerialBase:
    """Open a pyserial URL or device path; a missing device is ``ReaderNotFound``."""
    try:
        return serial.serial_for_url(url, baudrate=baud, timeout=0.1, exclusive=None)
    except (*PORT_ERRORS, ValueError) as exc:
        raise ReaderNotFound(f"无法打开串口 {url}: {exc}") from exc


def probe(port: serial.SerialBase, name: str, bauds: tuple[int, ...] = f.BAUDS,
          budget: float = 0.5) -> int:
    """The baud at which a reader answers the status command (11 FF); 115200 first."""
    sam = SamPort(port, name)
    for baud in bauds:
        port.baudrate = baud
        try:
            sam.status(budget=budget + 2 * wire_time(11, baud))
            return baud
        except ReaderDisconnected:
            raise
        except ReaderError:
            continue
    tried = "/".join(str(b) for b in bauds)
    raise ReaderNotFound(f"{name} 上没有读卡器应答状态查询 (11 FF)，已尝试波特率 {tried}")


def list_readers(ports: list[str] | None = None, budget: float = 0.5) -> list[tuple[str, int]]:
    """(port, baud) of every serial port where a GA 467 reader answers 11 FF."""
    found = []
    for device in ports if ports is not None else [p.device for p in
                                                   serial.tools.list_ports.comports()]:
        try:
            port = open_port(device, f.BAUDS[0])
        except ReaderNotFound:
            continue
        try:
            found.append((device, probe(port, device, budget=budget)))
        except ReaderError:
            pass
        finally:
            port.close()
    return found


class SerialReader:
    """A desk reader on a serial line: one ``CardRead`` per card presentation."""

    def __init__(self, url: str, *, baud: int | None = None, reader_id: str | None = None,
                 fingerprints: bool = False, append_address: bool = False,
                 poll: float = 0.2, probe_baud: bool = True,
                 on_error: Callable[[ReaderError], None] | None = None) -> None:
        self.url, self.fingerprints, self.append_address = url, fingerprints, append_address
        self.reader_id = reader_id or url
        self.poll, self.on_error = poll, on_error or self._log_error
        self.baud = baud
        self.sam_id: str | None = None
        self._armed = True  # a found card will be read (False after a read until the card left)
        self._closed = False
        self._sam: SamPort | None = None
        self._connect(probe_baud or baud is None)

    @staticmethod
    def _log_error(error: ReaderError) -> None:
        log.warning("%s", error)

    def _connect(self, check: bool = True) -> None:
        port = open_port(self.url, self.baud or f.BAUDS[0])
        try:
            if self.baud is None:
                self.baud = probe(port, self.url)
            elif check:
                probe(port, self.url, bauds=(self.baud,))
            sam = SamPort(port, self.url)
            if check:
                try:
                    self.sam_id = sam.sam_id()
                except (ReaderError, FrameError) as exc:
                    log.info("SAM id unavailable on %s: %s", self.url, exc)
        except BaseException:
            port.close()
            raise
        self._sam = sam

    def _port(self) -> SamPort:
        if self._sam is None:
            self._connect()
        assert self._sam is not None
        return self._sam

    def _drop(self) -> None:
        if self._sam is not None:
            self._sam.port.close()
            self._sam = None

    def _read_selected(self) -> CardRead:
        sam = self._port()
        message = sam.read_base(self.fingerprints)
        extras = dict[str, str]()
        if self.append_address and (text := sam.read_append_address()):
            extras["append_address"] = text
        card = decode_text(message.text, photo=message.photo or None,
                           fingerprints=message.fingerprints, reader_id=self.reader_id,
                           sam_id=self.sam_id, read_at=datetime.now(UTC))
        if extras:
            card = replace(card, extras=MappingProxyType({**card.extras, **extras}))
        return card

    def read_card(self) -> CardRead:
        """One find → select → read cycle on the card in the field (no read-once logic)."""
        sam = self._port()
        sam.find()
        sam.select()
        return self._read_selected()

    def poll_once(self) -> CardRead | None:
        """One poll: the card newly presented since the last read, else None."""
        sam = self._port()
        try:
            sam.find()
        except NoCard:
            self._armed = True
            return None
        except SamFault as exc:
            if exc.code == 0x60:
                sam.reset()  # self-test failure: a SAM reset is the host's only lever
            raise
        if not self._armed:
            return None
        try:
            sam.select()
        except SelectFailed:
            return None  # card still moving into the field: next poll
        card = self._read_selected()  # CardMoved propagates and the reader stays armed
        self._armed = self._enforces_read_once(sam)
        return card

    @staticmethod
    def _enforces_read_once(sam: SamPort) -> bool:
        """Find again at once: a reader that now says "no card" protects against re-reads
        itself, so the next card found is a new presentation (even a fast swap); a reader that
        still finds the card needs us to wait until it has left the field."""
        try:
            sam.find()
        except NoCard:
            return True
        except ReaderError:
            return False
        return False

    def read(self, timeout: float | None = None) -> CardRead | None:
        """Wait up to ``timeout`` seconds for a newly presented card (None: wait forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        outage: ReaderError | None = None
        while not self._closed:
            try:
                card = self.poll_once()
                outage = None
                if card is not None:
                    return card
            except (ReaderDisconnected, ReaderNotFound) as exc:
                self._drop()
                if outage is None:
                    self.on_error(exc)
                outage = exc
            except ReadTimeout as exc:
                self.on_error(exc)
            if deadline is not None and time.monotonic() >= deadline:
                if outage is not None:
                    raise outage
                return None
            time.sleep(self.poll)
        return None

    def watch(self) -> Iterator[CardRead]:
        """Yield each presented card once; errors go to ``on_error`` and the loop goes on."""
        while not self._closed:
            try:
                card = self.read(timeout=1.0)
            except ReaderError as exc:
                self.on_error(exc)
                continue
            if card is not None:
                yield card

    def close(self) -> None:
        self._closed = True
        self._drop()

    def __enter__(self) -> SerialReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["CardMoved", "SamPort", "SerialReader", "list_readers", "open_port", "probe"]
