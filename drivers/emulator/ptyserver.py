"""The emulated reader on a kernel pseudo-terminal, with wire timing, plus its remote control.

The server owns the pty master; pyserial opens the slave through a stable symlink (``port``),
as udev's by-id links do, so an unplug/replug keeps the path. Answers are paced at the
configured baud (10 bits a byte) and written in chunks, like a USB bridge; a host that set
another baud on the tty gets no answer, as on a real UART. Control is one JSON object (or a
plain ``present 3`` / ``remove`` / ``unplug`` / ``replug`` line) per line, acknowledged with
one JSON line. See ``drivers.emulator`` for the Python API.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import sys
import tempfile
import termios
import time
import tty
from dataclasses import fields
from typing import Any

from drivers.emulator.deck import DeckCard, card_from_dict, load_deck
from drivers.emulator.sam import Reply, SamEmulator, SamOptions

WIRE_BITS = 10
PATIENCE = 30.0  # auto-swipe keeps an unread card this long in the field
_SPEEDS = {getattr(termios, f"B{b}"): b for b in (9600, 19200, 38400, 57600, 115200)}


class PtyServer:
    """Serves one ``SamEmulator`` on a pty until told to close or its control input ends."""

    def __init__(self, deck: list[DeckCard], options: SamOptions | None = None,
                 baud: int = 115200, link: str | None = None, chunk: int = 64,
                 idle_gap: float = 0.2, swipe: float = 0.0) -> None:
        self.deck, self.sam = deck, SamEmulator(options, baud)
        self.chunk, self.idle_gap, self.swipe = chunk, idle_gap, swipe
        self._tmpdir = None if link else tempfile.mkdtemp(prefix="laiqu-emu-")
        self.link = link or os.path.join(self._tmpdir or "", "ttyGA467")
        self.master: int | None = None
        self.slave: int | None = None
        self._swipe_index, self._next_swipe = 0, time.monotonic() if swipe else None
        self._presented = 0.0
        self.plug()

    # --- the device ------------------------------------------------------------------------

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        attrs = termios.tcgetattr(self.slave)
        speed = next(k for k, v in _SPEEDS.items() if v == self.sam.baud)
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
        tmp = self.link + ".new"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.ttyname(self.slave), tmp)
        os.replace(tmp, self.link)

    def unplug(self) -> None:
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None
        if os.path.lexists(self.link):
            os.unlink(self.link)

    def host_baud(self) -> int | None:
        """The rate the host set on its end of the line (None: not a standard rate)."""
        assert self.slave is not None
        return _SPEEDS.get(termios.tcgetattr(self.slave)[5])

    # --- the wire --------------------------------------------------------------------------

    def _send(self, reply: Reply) -> None:
        if self.master is None or self.host_baud() != self.sam.baud:
            return  # framing garbage on a real UART: the host hears nothing it can parse
        delay = self.sam.options.latency.get(reply.command, 0.0)
        start = time.monotonic() + delay
        per_byte = WIRE_BITS / self.sam.baud
        data = reply.frame
        for offset in range(0, len(data), self.chunk):
            piece = data[offset:offset + self.chunk]
            due = start + (offset + len(piece)) * per_byte
            if (pause := due - time.monotonic()) > 0:
                time.sleep(pause)
            os.write(self.master, piece)
        if reply.new_baud:
            self.sam.baud = reply.new_baud

    def _receive(self) -> None:
        assert self.master is not None
        try:
            data = os.read(self.master, 4096)
        except OSError:
            return
        time.sleep(len(data) * WIRE_BITS / self.sam.baud)  # the request's own wire time
        for reply in self.sam.feed(data):
            self._send(reply)

    # --- control ---------------------------------------------------------------------------

    def control(self, line: str) -> dict[str, Any]:
        """Apply one control command; the answer is what the caller gets back."""
        line = line.strip()
        if line.startswith("{"):
            cmd = json.loads(line)
        else:
            op, *args = line.split() or ["state"]
            cmd = {"op": op, "card": int(args[0])} if args else {"op": op}
        op = cmd.get("op")
        if op == "present":
            card = cmd.get("card", 0)
            if isinstance(card, int):
                self.sam.present(self.deck[card % len(self.deck)])
            else:
                self.sam.present(DeckCard(card_from_dict(card), card.get("append_address")))
        elif op == "remove":
            self.sam.remove()
        elif op == "unplug":
            self.unplug()
        elif op == "replug":
            if self.master is None:
                self.plug()
        elif op == "configure":
            names = {f.name for f in fields(SamOptions)}
            for key, value in cmd.get("options", {}).items():
                if key not in names:
                    raise ValueError(f"unknown emulator option {key}")
                setattr(self.sam.options, key, value)
        elif op not in ("state", "close"):
            raise ValueError(f"unknown control command {op!r}")
        return {"ok": True, "port": self.link, "present": self.sam.card is not None,
                "reads": self.sam.reads, "baud": self.sam.baud, "plugged": self.master is not None}

    def _autoswipe(self) -> float | None:
        """Present the deck's cards in turn: each stays ``swipe`` s and until it was read (up
        to ``PATIENCE``), then the field stays empty for half of ``swipe``."""
        if self._next_swipe is None:
            return None
        now = time.monotonic()
        if now >= self._next_swipe:
            if self.sam.card is None:
                self.sam.present(self.deck[self._swipe_index % len(self.deck)])
                self._swipe_index += 1
                self._presented = now
                self._next_swipe = now + self.swipe
            elif not self.sam.read_done and now < self._presented + PATIENCE:
                self._next_swipe = now + 0.05  # let a slow host read it first
            else:
                self.sam.remove()
                self._next_swipe = now + self.swipe / 2
        return max(0.0, self._next_swipe - time.monotonic())

    def serve(self, control_in: int, control_out: int | None) -> None:
        """Run until a ``close`` command or end of the control input."""
        pending = b""
        try:
            while True:
                fds = [control_in] + ([self.master] if self.master is not None else [])
                timeout = self._autoswipe()
                if self.sam.pending:
                    timeout = min(timeout or self.idle_gap, self.idle_gap)
                ready, _, _ = select.select(fds, [], [], timeout)
                if not ready and self.sam.pending and (reply := self.sam.flush_partial()):
                    self._send(reply)
                if self.master is not None and self.master in ready:
                    self._receive()
                if control_in in ready:
                    chunk = os.read(control_in, 65536)
                    if not chunk:
                        return
                    pending += chunk
                    while b"\n" in pending:
                        raw, pending = pending.split(b"\n", 1)
                        if not raw.strip():
                            continue
                        try:
                            answer = self.control(raw.decode())
                        except (ValueError, KeyError, IndexError, TypeError) as exc:
                            answer = {"ok": False, "error": str(exc)}
                        if control_out is not None:
                            os.write(control_out, (json.dumps(answer) + "\n").encode())
                        if raw.strip() in (b"close", b'{"op": "close"}'):
                            return
        finally:
            self.unplug()
            if self._tmpdir:
                shutil.rmtree(self._tmpdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """``python -m drivers.emulator.ptyserver``: print the port, serve, control on stdin."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", default=None, help="deck JSON file (default: built-in)")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--link", default=None, help="path of the port symlink")
    parser.add_argument("--options", default="{}", help="SamOptions as JSON")
    parser.add_argument("--swipe", type=float, default=0.0, help="auto-present every N s")
    args = parser.parse_args(argv)
    server = PtyServer(load_deck(args.cards), SamOptions(**json.loads(args.options)),
                       baud=args.baud, link=args.link, swipe=args.swipe)
    sys.stdout.write(server.link + "\n")
    sys.stdout.flush()
    server.serve(sys.stdin.fileno(), sys.stdout.fileno())


if __name__ == "__main__":
    main()

