"""A virtual card for pcscd's vpcd driver (Debian ``vsmartcard-vpcd``).

vpcd listens on localhost:35963; the card connects as a client. Each message is a 2-byte
big-endian length plus payload; a 1-byte payload is a control (00 power off, 01 power on,
02 reset, 04 get ATR, answered with the ATR), anything else is an APDU answered with the
response APDU. Connecting is inserting the card; closing the socket is removing it.

Answers (protocol doc §5.1): GUID ``00 36 00 00 08`` gives the 8-byte chip serial; with
``sam=True`` (a reader that exposes SAM-decoded data) ``FF B0 P1 00 Le`` returns page P1 of
text-len, photo-len, text and photo in 256-byte pages; otherwise ``6D 00``.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import struct
import threading

from drivers import frames as f
from drivers.emulator.deck import DeckCard, load_deck
from drivers.layouts import encode_text

VPCD_PORT = 35963
PAGE = 256


def type_b_atr(app_data: bytes = bytes.fromhex("D103860C"),
               protocol: bytes = bytes.fromhex("008080")) -> bytes:
    """PC/SC part 3 ATR of an ISO 14443-B card, from the ATQB of protocol doc §5.1."""
    body = bytes([0x88, 0x80, 0x01]) + app_data + protocol + b"\x00"
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3b" + body + bytes([tck])


class IdCardApplet:
    """APDU handling of a resident ID card (optionally behind a SAM-exposing reader)."""

    def __init__(self, entry: DeckCard, sam: bool = False) -> None:
        self.entry, self.sam = entry, sam
        card = entry.card
        self.serial = bytes.fromhex(card.chip_serial or "00" * 8)
        self.blob = f.encode_base(f.BaseMessage(encode_text(card), card.photo or bytes(1024)))

    def answer(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return b"\x67\x00"
        cla, ins, p1, _p2 = apdu[:4]
        if (cla, ins) == (0x00, 0x36):
            return self.serial + b"\x90\x00"
        if (cla, ins) == (0xFF, 0xB0):
            if not self.sam:
                return b"\x6d\x00"
            page = self.blob[p1 * PAGE:(p1 + 1) * PAGE]
            return page + b"\x90\x00" if page else b"\x6b\x00"
        if cla == 0xFF:
            return b"\x6d\x00"
        return b"\x6e\x00" if cla not in (0x00, 0x80) else b"\x6d\x00"


class VpcdCard:
    """One card inserted into vpcd for as long as the socket stays open."""

    def __init__(self, entry: DeckCard, sam: bool = False, host: str = "127.0.0.1",
                 port: int = VPCD_PORT, timeout: float = 10.0) -> None:
        self.applet = IdCardApplet(entry, sam)
        self.atr = type_b_atr()
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(None)
        self.apdus: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, name="laiqu-vpcd", daemon=True)
        self._thread.start()

    def _recv(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("vpcd closed the connection")
            data += chunk
        return data

    def _serve(self) -> None:
        try:
            while True:
                (length,) = struct.unpack(">H", self._recv(2))
                payload = self._recv(length)
                if length == 1:
                    if payload[0] == 0x04:
                        self._send(self.atr)
                    continue  # power off/on, reset: no answer
                self.apdus.append(payload)
                self._send(self.applet.answer(payload))
        except (OSError, ConnectionError, struct.error):
            return

    def _send(self, data: bytes) -> None:
        self.sock.sendall(struct.pack(">H", len(data)) + data)

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(timeout=5)


def main(argv: list[str] | None = None) -> None:
    """``laiqu reader emulate pcsc``: insert deck cards into vpcd, Enter for the next one."""
    parser = argparse.ArgumentParser(description="virtual ID card for vpcd")
    parser.add_argument("--cards", default=None)
    parser.add_argument("--sam", action="store_true", help="expose SAM-decoded data (FF B0)")
    parser.add_argument("--port", type=int, default=VPCD_PORT)
    args = parser.parse_args(argv)
    serve_deck(load_deck(args.cards), sam=args.sam, port=args.port)


def serve_deck(deck: list[DeckCard], sam: bool = False, port: int = VPCD_PORT) -> None:
    """Insert each card in turn; a line on stdin swaps to the next, end of input stops."""
    import sys

    index = 0
    while True:
        card = VpcdCard(deck[index % len(deck)], sam=sam, port=port)
        print(f"card {index % len(deck)}: {card.applet.entry.card!r}", flush=True)
        line = sys.stdin.readline()
        card.remove()
        if not line:
            return
        index += 1


if __name__ == "__main__":
    main()
