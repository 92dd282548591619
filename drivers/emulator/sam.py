"""The GA 467 reader as a pure state machine: request bytes in, response frames out.

Transport-free so the pty server, the in-process emulator and unit tests share it. Every
behaviour of protocol doc §1.7/§8 that real readers disagree on is a switch in
``SamOptions``; answers are built with ``frames`` (LEN and CHK computed, never hard-coded).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from drivers import frames as f
from drivers.emulator.deck import DeckCard
from drivers.errors import BadChecksum, BadLength
from drivers.layouts import encode_text

MAX_REQUEST_LEN = 0x100
SAM_INFO = bytes.fromhex("05000100") + (20101209).to_bytes(4, "little") + \
    (1).to_bytes(4, "little") + (4670001).to_bytes(4, "little")


@dataclass
class SamOptions:
    """Switchable behaviours (protocol doc §8)."""

    read_once: bool = True  # after a read, find fails until the card leaves the field
    move_next_read: bool = False  # the next read fails with 41 and the card leaves the field
    select_fails: int = 0  # the next N selects fail with 81 (card still moving in)
    sam_fault: int | None = None  # 0x60 (cleared by reset 10 FF) or 0x66 (permanent)
    hung: bool = False  # chip hang: find fails until a SAM reset
    latency: dict[str, float] = field(default_factory=dict)  # extra seconds per command name
    # (a latency longer than the host's deadline makes a late answer: it arrives after the
    # host has sent its next command, as from a slow SAM)
    cut_next_read: int = 0  # the next read answer stops after N bytes, a SW3 41 frame follows
    # and the card leaves the field (moved while the answer was on the wire)
    corrupt_next: str | None = None  # the next answer to this command name has a wrong CHK
    silent: bool = False  # the module answers nothing (a hung reader; timeouts on the host)


class Phase(enum.Enum):
    IDLE = "idle"
    FOUND = "found"
    SELECTED = "selected"
    READ = "read"


@dataclass(frozen=True)
class Reply:
    """One answer: the frame, the command it answers, and a baud switch to apply after it."""

    frame: bytes
    command: str
    new_baud: int | None = None


class SamEmulator:
    """A reader with at most one card in its field."""

    def __init__(self, options: SamOptions | None = None, baud: int = 115200) -> None:
        self.options = options or SamOptions()
        self.baud = baud
        self.card: DeckCard | None = None
        self.phase = Phase.IDLE
        self.read_done = False
        self.reads = 0
        self._buffer = bytearray()
        self._handlers: dict[tuple[int, int], tuple[str, int, Callable[[bytes], Reply]]] = {
            f.RESET: ("reset", 0, self._reset), f.STATUS: ("status", 0, self._status),
            f.SAM_ID: ("sam_id", 0, self._sam_id), f.FIND: ("find", 0, self._find),
            f.SELECT: ("select", 0, self._select), f.READ: ("read", 0, self._read),
            f.READ_FP: ("read_fp", 0, self._read_fp),
            f.READ_APPEND: ("append", 0, self._append),
            f.SET_RF_MAX: ("rf_max", 1, lambda _d: self._ok("rf_max")),
        }
        for baud_value, para in f.BAUD_PARA.items():
            self._handlers[(0x60, para)] = ("baud", 0, self._baud_handler(baud_value))

    # --- card movements --------------------------------------------------------------------

    def present(self, card: DeckCard) -> None:
        self.card, self.phase, self.read_done = card, Phase.IDLE, False

    def remove(self) -> None:
        self.card, self.phase, self.read_done = None, Phase.IDLE, False

    # --- byte stream -----------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Reply]:
        """Take received bytes; return the answers to every complete request in them."""
        self._buffer += data
        if self.options.silent:
            self._buffer.clear()
            return []
        replies: list[Reply] = []
        while True:
            index = self._buffer.find(f.PREAMBLE)
            if index < 0:
                del self._buffer[:len(self._buffer) - f.preamble_tail(bytes(self._buffer))]
                return replies
            del self._buffer[:index]
            if len(self._buffer) < f.HEADER:
                return replies
            length = int.from_bytes(self._buffer[5:7], "big")
            if not 3 <= length <= MAX_REQUEST_LEN:
                del self._buffer[:f.HEADER]
                replies.append(self._error(0x11, "bad_length"))
                continue
            end = f.HEADER + length
            if len(self._buffer) < end:
                return replies
            frame = bytes(self._buffer[:end])
            del self._buffer[:end]
            replies.append(self.handle(frame))

    @property
    def pending(self) -> bool:
        """Whether bytes of an unfinished frame are waiting."""
        return bool(self._buffer)

    def flush_partial(self) -> Reply | None:
        """Called after an idle gap: a started frame that never completed is a length error."""
        if self._buffer.startswith(f.PREAMBLE):
            self._buffer.clear()
            return self._error(0x11, "bad_length")
        self._buffer.clear()
        return None

    def handle(self, frame: bytes) -> Reply:
        reply = self._handle(frame)
        if reply.command == self.options.corrupt_next:
            self.options.corrupt_next = None
            wrong = bytes([reply.frame[-1] ^ 0xFF])
            reply = Reply(reply.frame[:-1] + wrong, reply.command, reply.new_baud)
        return reply

    def _handle(self, frame: bytes) -> Reply:
        try:
            request = f.decode_request(frame)
        except BadChecksum:
            return self._error(0x10, "bad_checksum")
        except BadLength:
            return self._error(0x11, "bad_length")
        entry = self._handlers.get((request.cmd, request.para))
        if entry is None:
            return self._error(0x21, "bad_command")
        name, data_len, handler = entry
        if len(request.data) != data_len:
            return self._error(0x11, name)
        fault = self.options.sam_fault
        if fault is not None and (fault == 0x66 or name != "reset"):
            return self._error(fault, name)
        return handler(request.data)

    # --- commands --------------------------------------------------------------------------

    def _ok(self, name: str, data: bytes = b"", sw3: int = f.OK) -> Reply:
        return Reply(f.build_response(sw3, data), name)

    def _error(self, sw3: int, name: str) -> Reply:
        return Reply(f.build_response(sw3), name)

    def _reset(self, _data: bytes) -> Reply:
        if self.options.sam_fault == 0x60:
            self.options.sam_fault = None
        self.options.hung = False
        self.phase = Phase.IDLE
        return self._ok("reset")

    def _status(self, _data: bytes) -> Reply:
        return self._ok("status")

    def _sam_id(self, _data: bytes) -> Reply:
        return self._ok("sam_id", SAM_INFO)

    def _find(self, _data: bytes) -> Reply:
        blocked = self.options.hung or (self.read_done and self.options.read_once)
        if self.card is None or blocked:
            self.phase = Phase.IDLE
            return self._error(0x80, "find")
        self.phase = Phase.FOUND
        return self._ok("find", bytes(4), sw3=f.FOUND)

    def _select(self, _data: bytes) -> Reply:
        if self.phase is not Phase.FOUND:
            return self._error(0x21, "select")
        if self.card is None or self.options.select_fails > 0:
            self.options.select_fails = max(0, self.options.select_fails - 1)
            self.phase = Phase.IDLE
            return self._error(0x81, "select")
        self.phase = Phase.SELECTED
        return self._ok("select", bytes(8))

    def _read_common(self, name: str, with_fp: bool) -> Reply:
        if self.phase is not Phase.SELECTED:
            return self._error(0x21, name)
        if self.card is None or self.options.move_next_read:
            self.options.move_next_read = False
            self.remove()
            return self._error(0x41, name)
        card = self.card.card
        message = f.BaseMessage(encode_text(card), card.photo or bytes(f.PHOTO_LEN),
                                card.fingerprints if with_fp else None)
        answer = self._ok(name, f.encode_base(message, with_fp=with_fp))
        if self.options.cut_next_read > 0:
            cut, self.options.cut_next_read = self.options.cut_next_read, 0
            self.remove()
            return Reply(answer.frame[:cut] + f.build_response(0x41), name)
        self.phase, self.read_done = Phase.READ, True
        self.reads += 1
        return answer

    def _read(self, _data: bytes) -> Reply:
        return self._read_common("read", with_fp=False)

    def _read_fp(self, _data: bytes) -> Reply:
        return self._read_common("read_fp", with_fp=True)

    def _append(self, _data: bytes) -> Reply:
        if self.phase not in (Phase.SELECTED, Phase.READ) or self.card is None:
            return self._error(0x21, "append")
        text = self.card.append_address
        if not text:
            return self._error(0x91, "append")
        raw = text.encode("utf-16-le")[:70]
        return self._ok("append", raw + " ".encode("utf-16-le") * ((70 - len(raw)) // 2))

    def _baud_handler(self, baud: int) -> Callable[[bytes], Reply]:
        def handler(_data: bytes) -> Reply:
            # Answered at the old rate, then switched ([uncertain] in the doc; our choice).
            return Reply(f.build_response(f.OK), "baud", new_baud=baud)
        return handler
