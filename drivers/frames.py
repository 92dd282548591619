"""GA 467 SAM frames as pure functions: build, find in a byte stream, verify, decode.

No I/O here (style practice 6): the serial driver and the emulator both feed bytes in and get
values out, and the tests use the byte literals of protocol doc §1.4/§1.6.

A frame is ``AA AA AA 96 69`` + LEN (2, big-endian) + body + CHK, where LEN counts body and
CHK, and CHK is the XOR of LEN and body.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import BadChecksum, BadLength, FrameError

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER = len(PREAMBLE) + 2  # preamble + LEN
MAX_LEN = 0x1000  # largest LEN we accept: a read with two fingerprints is 0x090A

# Request commands (cmd, para), protocol doc §1.4.
RESET = (0x10, 0xFF)
STATUS = (0x11, 0xFF)
SAM_ID = (0x12, 0xFF)
FIND = (0x20, 0x01)
SELECT = (0x20, 0x02)
READ = (0x30, 0x01)
READ_FP = (0x30, 0x10)
READ_APPEND = (0x30, 0x03)
SET_RF_MAX = (0x61, 0xFF)
BAUD_PARA = {115200: 0x00, 57600: 0x01, 38400: 0x02, 19200: 0x03, 9600: 0x04}
BAUDS = tuple(BAUD_PARA)  # probing order: 115200 first

# SW3 success codes, §1.5.
OK = 0x90
FOUND = 0x9F

TEXT_LEN = 256
PHOTO_LEN = 1024
FP_LEN = 512


@dataclass(frozen=True)
class Request:
    cmd: int
    para: int
    data: bytes = b""


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return self.sw3 in (OK, FOUND)


@dataclass(frozen=True)
class BaseMessage:
    """DATA of a 30 01 / 30 10 answer: text, photo and fingerprints, all still raw."""

    text: bytes
    photo: bytes
    fingerprints: bytes | None = None


def checksum(data: bytes) -> int:
    """XOR of every byte (callers pass LEN..DATA)."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def _frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([checksum(length + body)])


def build_request(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A host -> reader frame.

    >>> build_request(0x20, 0x01).hex(" ")
    'aa aa aa 96 69 00 03 20 01 22'
    """
    return _frame(bytes([cmd, para]) + data)


def build_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A reader -> host frame.

    >>> build_response(0x90).hex(" ")
    'aa aa aa 96 69 00 04 00 00 90 94'
    """
    return _frame(bytes([sw1, sw2, sw3]) + data)


def frame_length(len_field: int) -> int:
    """Bytes on the wire of a frame whose LEN field is ``len_field``."""
    return HEADER + len_field


def preamble_tail(buffer: bytes) -> int:
    """Length of a preamble prefix ending ``buffer``: bytes to keep for the next chunk."""
    return next((k for k in range(len(PREAMBLE) - 1, 0, -1)
                 if buffer.endswith(PREAMBLE[:k])), 0)


def find_frame(buffer: bytes, min_len: int = 3, max_len: int = MAX_LEN) -> tuple[bytes | None, int]:
    """Find the next complete frame candidate in ``buffer`` (``scan`` also resynchronises).

    Returns ``(frame, consumed)``: the raw frame (checksum *not* verified) and how many bytes
    of ``buffer`` it and any garbage before it take; ``(None, consumed)`` when no complete frame
    is there yet, ``consumed`` then being the garbage that can be dropped. A preamble followed
    by an impossible LEN is garbage: slide one byte and rescan.
    """
    start = 0
    while True:
        index = buffer.find(PREAMBLE, start)
        if index < 0:
            return None, max(start, len(buffer) - preamble_tail(buffer))
        if len(buffer) < index + HEADER:
            return None, index
        length = int.from_bytes(buffer[index + 5:index + 7], "big")
        if not min_len <= length <= max_len:
            start = index + 1
            continue
        end = index + HEADER + length
        if len(buffer) < end:
            return None, index
        return bytes(buffer[index:end]), end


@dataclass(frozen=True)
class Scan:
    """What ``scan`` found: a verified frame, the bytes it used, and what it dropped."""

    frame: bytes | None  # a complete frame whose LEN and CHK are right, else None (wait)
    consumed: int  # bytes of the buffer to delete: the frame and everything before it
    dropped: tuple[FrameError, ...] = ()  # cut or corrupt frames skipped (``raw`` kept)


_WAIT, _FRAME, _BAD, _SKIP = range(4)


def _preambles(buffer: bytes) -> list[int]:
    starts, index = [], buffer.find(PREAMBLE)
    while index >= 0:
        starts.append(index)
        index = buffer.find(PREAMBLE, index + 1)
    return starts


def scan(buffer: bytes, min_len: int = 4, max_len: int = MAX_LEN, final: bool = False) -> Scan:
    """Find the next verified frame in a byte stream, resynchronising on every preamble.

    A reader may stop an answer half-way and send another (GA 467 SW3 41 when the card leaves
    the field, protocol doc §1.5/§1.7), so a frame's LEN is a claim, not a promise: when a
    later preamble ``AA AA AA 96 69`` inside the claimed span starts a complete frame whose
    checksum is right, the earlier frame was cut and is dropped (``BadLength``) — the answer
    is not lost waiting for bytes that never come. A complete frame with a wrong CHK is
    dropped (``BadChecksum``) and the scan goes on from its next byte. While a later frame
    inside the span is still incomplete, the scan waits; ``final=True`` (the deadline has
    passed) gives up on incomplete frames instead. Garbage before a preamble is consumed.
    The 8-bit XOR checksum is weak: a cut frame whose bytes run up to a later preamble that
    has not arrived yet can pass it by chance (1 in 256); nothing in the framing tells.
    """
    starts = _preambles(buffer)
    verdicts: list[tuple[int, int]] = [(_SKIP, 0)] * len(starts)  # (kind, frame's index)
    ends: list[int] = [0] * len(starts)
    for k in range(len(starts) - 1, -1, -1):  # a frame's verdict depends on later ones only
        at = starts[k]
        if len(buffer) < at + HEADER:
            verdicts[k] = (_BAD if final else _WAIT, k)
            continue
        length = int.from_bytes(buffer[at + 5:at + 7], "big")
        if not min_len <= length <= max_len:
            continue  # an impossible LEN: this preamble was data, not a frame
        ends[k] = end = at + HEADER + length
        inner = next((verdicts[m] for m in range(k + 1, len(starts))
                      if starts[m] < end and verdicts[m][0] in (_FRAME, _WAIT)), None)
        if inner is not None:
            verdicts[k] = inner if inner[0] == _FRAME else (_WAIT, k)
        elif end > len(buffer):
            verdicts[k] = (_BAD if final else _WAIT, k)
        else:
            good = checksum(buffer[at + 5:end - 1]) == buffer[end - 1]
            verdicts[k] = (_FRAME if good else _BAD, k)
    dropped: list[FrameError] = []
    for k, at in enumerate(starts):
        kind, which = verdicts[k]
        if kind == _WAIT:
            return Scan(None, at, tuple(dropped))
        if kind == _FRAME:
            if which != k:
                dropped.append(BadLength("数据帧不完整（被截断）", raw=buffer[at:starts[which]]))
            start, end = starts[which], ends[which]
            return Scan(bytes(buffer[start:end]), end, tuple(dropped))
        if kind == _BAD and ends[k]:
            raw = bytes(buffer[at:min(ends[k], len(buffer))])
            dropped.append(BadLength("数据帧不完整（被截断）", raw=raw) if ends[k] > len(buffer)
                           else BadChecksum(raw=raw))
    return Scan(None, len(buffer) - (0 if final else preamble_tail(buffer)), tuple(dropped))


def verify(frame: bytes, min_len: int = 3) -> bytes:
    """Check preamble, LEN and CHK of one frame; return its body (between LEN and CHK)."""
    if not frame.startswith(PREAMBLE) or len(frame) < HEADER + min_len:
        raise BadLength(f"数据帧过短或帧头错误 ({len(frame)} 字节)", raw=frame)
    length = int.from_bytes(frame[5:7], "big")
    if length < min_len or len(frame) != HEADER + length:
        raise BadLength(f"数据帧长度字段 {length} 与实际 {len(frame) - HEADER} 不符", raw=frame)
    if checksum(frame[5:-1]) != frame[-1]:
        raise BadChecksum(raw=frame)
    return frame[HEADER:-1]


def decode_request(frame: bytes) -> Request:
    body = verify(frame, min_len=3)
    return Request(body[0], body[1], bytes(body[2:]))


def decode_response(frame: bytes) -> Response:
    body = verify(frame, min_len=4)
    return Response(body[0], body[1], body[2], bytes(body[3:]))


def decode_base(data: bytes) -> BaseMessage:
    """Split the DATA of a read answer (with or without the fingerprint length)."""
    if len(data) < 4:
        raise BadLength("读卡数据过短", raw=data)
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    for header in (4, 6):
        fp_len = int.from_bytes(data[4:6], "big") if header == 6 else 0
        if len(data) >= header and header + text_len + photo_len + fp_len == len(data):
            break
    else:
        raise BadLength("读卡数据的长度字段与实际长度不符", raw=data)
    text = data[header:header + text_len]
    photo = data[header + text_len:header + text_len + photo_len]
    fingerprints = data[header + text_len + photo_len:] if header == 6 else None
    if len(text) != TEXT_LEN:
        raise FrameError(f"文字信息应为 {TEXT_LEN} 字节，实为 {len(text)}", raw=data)
    return BaseMessage(bytes(text), bytes(photo), bytes(fingerprints) if fingerprints else None)


def encode_base(message: BaseMessage, with_fp: bool = False) -> bytes:
    """DATA of a read answer: ``with_fp`` adds the fingerprint length (command 30 10)."""
    fp = message.fingerprints or b""
    head = len(message.text).to_bytes(2, "big") + len(message.photo).to_bytes(2, "big")
    if with_fp:
        return head + len(fp).to_bytes(2, "big") + message.text + message.photo + fp
    return head + message.text + message.photo


def format_sam_id(data: bytes) -> str:
    """SAM management info as ``05.01-20101209-0000000001-0000000002`` (libid2 style, §1.6)."""
    if len(data) != 16:
        raise BadLength("SAM编号应为16字节", raw=data)
    part1 = int.from_bytes(data[0:2], "little")
    part2 = int.from_bytes(data[2:4], "little")
    a, b, c = (int.from_bytes(data[i:i + 4], "little") for i in (4, 8, 12))
    return f"{part1:02d}.{part2:02d}-{a:08d}-{b:010d}-{c:010d}"
