"""GA 467 commands over one pyserial port: deadlines per command, answer matching, baud probing.

``SamPort`` speaks the command set of protocol doc §1.4 with a deadline per command (never a
fixed read size: USB bridges deliver frames in chunks, §1.9). Incoming bytes go through
``frames.scan``, which resynchronises on the next preamble after a cut or corrupt frame, and
each verified frame is checked against the command sent (``answers.mismatch``, §1.5/§1.6): a
late answer to an earlier command is discarded and the wait goes on until the deadline.
"""

from __future__ import annotations

import logging
import os
import time

import serial

from drivers import answers
from drivers import frames as f
from drivers.errors import (
    FrameError,
    NoContent,
    ReaderDisconnected,
    ReaderError,
    ReaderNotFound,
    ReadTimeout,
    StatusError,
    UnexpectedAnswer,
    sam_error,
)

try:  # termios errors (EIO on an unplugged tty) are not OSError subclasses
    import termios

    PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError,
                                                    termios.error)
except ImportError:  # pragma: no cover - Windows
    PORT_ERRORS = (serial.SerialException, OSError)

log = logging.getLogger(__name__)

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
        self.discarded = 0  # answers that fitted no command sent (late ones), for diagnostics

    def transact(self, cmd: int, para: int, data: bytes = b"",
                 budget: float | None = None) -> f.Response:
        """Send one request, wait for its answer until the command's deadline; raise on SW3."""
        base, longest = BUDGETS.get((cmd, para), (1.0, 11))
        budget = budget if budget is not None else base + 2 * wire_time(longest, self.port.baudrate)
        try:
            self.port.reset_input_buffer()
            self.port.write(f.build_request(cmd, para, data))
            response = self._receive(time.monotonic() + budget, (cmd, para), budget)
        except PORT_ERRORS as exc:
            raise ReaderDisconnected(f"读卡器 {self.name} 已断开: {exc}") from exc
        if not response.ok:
            raise sam_error(response.sw3, response.sw1, response.sw2)
        return response

    def _receive(self, deadline: float, command: tuple[int, int], budget: float) -> f.Response:
        buffer = bytearray()
        problems: list[FrameError] = []  # frames cut or corrupt on the way
        stale: list[str] = []  # why the well-formed frames that came did not fit
        final = False
        while not final:
            remaining = deadline - time.monotonic()
            final = remaining <= 0
            if not final:
                self.port.timeout = remaining
                buffer += self.port.read(max(1, self.port.in_waiting))
            while True:
                found = f.scan(bytes(buffer), min_len=4, final=final)
                problems += found.dropped
                del buffer[:found.consumed]
                if found.frame is None:
                    break
                response = f.decode_response(found.frame)
                reason = answers.mismatch(command, response)
                if reason is None:
                    return response
                self.discarded += 1
                stale.append(reason)
                log.debug("%s: discarded an answer that does not fit %s: %s", self.name,
                          answers.describe(command), reason)
        name = answers.describe(command)
        if problems:
            raise problems[-1]
        if stale:
            raise UnexpectedAnswer(f"读卡器 {self.name} 的应答与{name}命令不符：{stale[-1]}")
        raise ReadTimeout(f"读卡器 {self.name} 在 {budget:.2f} 秒内未应答{name}命令")

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
    # Exclusively (a flock on POSIX): a second program must not talk to the same reader.
    exclusive = True if os.name == "posix" else None
    try:
        return serial.serial_for_url(url, baudrate=baud, timeout=0.1, exclusive=exclusive)
    except (*PORT_ERRORS, ValueError) as exc:
        if "exclusively lock" in str(exc):
            raise ReaderNotFound(
                f"读卡器 {url} 正被其他程序使用（如另一个前台页面或前台程序）："
                "请先关闭那个程序，或改用另一台读卡器") from exc
        raise ReaderNotFound(f"无法打开串口 {url}: {exc}") from exc


def probe(port: serial.SerialBase, name: str, bauds: tuple[int, ...] = f.BAUDS,
          budget: float = 0.5, command: tuple[int, int] = f.STATUS) -> int:
    """The baud at which a reader answers ``command`` (status 11 FF); 115200 first (§1.2).

    Any answer that fits the command is proof of a reader, a failure code included (a SAM
    whose self-test failed still answers, at the right rate)."""
    sam = SamPort(port, name)
    longest = BUDGETS.get(command, (1.0, 11))[1]
    for baud in bauds:
        port.baudrate = baud
        try:
            sam.transact(*command, budget=budget + 2 * wire_time(longest, baud))
            return baud
        except ReaderDisconnected:
            raise
        except StatusError:
            return baud
        except ReaderError:
            continue
    tried = "/".join(str(b) for b in bauds)
    raise ReaderNotFound(f"{name} 上没有读卡器应答{answers.describe(command)}命令，"
                         f"已尝试波特率 {tried}")
