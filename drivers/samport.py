"""GA 467 commands over one pyserial port: deadlines per command, baud probing, discovery.

``SamPort`` speaks the command set of protocol doc §1.4 with a deadline per command (never a
fixed read size: USB bridges deliver frames in chunks), sliding past garbage and bad frames.
"""

from __future__ import annotations

import time

import serial
import serial.tools.list_ports

from drivers import frames as f
from drivers.errors import (
    FrameError,
    NoContent,
    ReaderDisconnected,
    ReaderError,
    ReaderNotFound,
    ReadTimeout,
    sam_error,
)

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
