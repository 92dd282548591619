"""Remote control of a serial emulator running in a subprocess or a thread.

``start_emulator()`` returns a ``SerialEmulator`` whose ``port`` pyserial can open and whose
methods move cards: the tests, the bench and ``laiqu demo`` swipe through it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from drivers.emulator.deck import DeckCard, card_to_dict, deck_to_json, load_deck
from drivers.emulator.ptyserver import PtyServer
from drivers.emulator.sam import SamOptions
from drivers.errors import ReaderError
from registry.identity.cards import CardRead

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0  # generous: a cold interpreter on a loaded CI machine


class EmulatorError(ReaderError):
    default = "读卡器模拟器错误"


class SerialEmulator:
    """Handle on a running pty emulator: ``port`` plus card movements."""

    def __init__(self, port: str, control: int, answers: int,
                 process: subprocess.Popen[bytes] | None = None,
                 thread: threading.Thread | None = None) -> None:
        self.port = port
        self._control, self._answers = control, answers
        self._process, self._thread = process, thread
        self._pending = b""
        self._lock = threading.Lock()

    def _call(self, command: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        with self._lock:
            os.write(self._control, (json.dumps(command, ensure_ascii=False) + "\n").encode())
            while b"\n" not in self._pending:
                ready, _, _ = select.select([self._answers], [], [], timeout)
                chunk = os.read(self._answers, 65536) if ready else b""
                if not chunk:
                    raise EmulatorError(f"模拟器未应答控制命令 {command.get('op')}")
                self._pending += chunk
            line, self._pending = self._pending.split(b"\n", 1)
        answer = json.loads(line)
        if not answer.get("ok"):
            raise EmulatorError(answer.get("error"))
        return answer

    def present(self, card: int | CardRead | DeckCard) -> None:
        """Put a card into the field: a deck index, a ``CardRead`` or a ``DeckCard``."""
        if isinstance(card, int):
            self._call({"op": "present", "card": card})
            return
        entry = card if isinstance(card, DeckCard) else DeckCard(card)
        data = card_to_dict(entry.card)
        if entry.append_address:
            data["append_address"] = entry.append_address
        self._call({"op": "present", "card": data})

    def remove(self) -> None:
        self._call({"op": "remove"})

    def unplug(self) -> None:
        self._call({"op": "unplug"})

    def replug(self) -> None:
        self._call({"op": "replug"})

    def configure(self, **options: Any) -> None:
        """Change ``SamOptions`` switches, e.g. ``move_next_read=True``, ``sam_fault=0x60``."""
        self._call({"op": "configure", "options": options})

    def state(self) -> dict[str, Any]:
        """``present``, ``reads`` (successful reads so far), ``baud``, ``plugged``."""
        return self._call({"op": "state"})

    def close(self) -> None:
        with contextlib.suppress(EmulatorError, OSError):
            self._call({"op": "close"}, timeout=5.0)
        for fd in (self._control, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SerialEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_emulator(cards: str | Path | list[DeckCard] | None = None, *, process: bool = True,
                   baud: int = 115200, options: dict[str, Any] | None = None,
                   link: str | None = None, swipe: float = 0.0) -> SerialEmulator:
    """Start the pty emulator in a subprocess (default) or a thread; return its handle."""
    if process:
        return _start_process(cards, baud, options or {}, link, swipe)
    deck = cards if isinstance(cards, list) else load_deck(cards)
    server = PtyServer(deck, SamOptions(**(options or {})), baud=baud, link=link, swipe=swipe)
    control_r, control_w = os.pipe()
    answers_r, answers_w = os.pipe()

    def run() -> None:
        try:
            server.serve(control_r, answers_w)
        finally:
            os.close(control_r)
            os.close(answers_w)

    thread = threading.Thread(target=run, name="laiqu-emulator", daemon=True)
    thread.start()
    return SerialEmulator(server.link, control_w, answers_r, thread=thread)


def _start_process(cards: str | Path | list[DeckCard] | None, baud: int,
                   options: dict[str, Any], link: str | None, swipe: float) -> SerialEmulator:
    argv = [sys.executable, "-c", "from drivers.emulator.ptyserver import main; main()",
            "--baud", str(baud),
            "--options", json.dumps(options), "--swipe", str(swipe)]
    if isinstance(cards, list):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False,
                                         encoding="utf-8") as handle:
            handle.write(deck_to_json(cards))
        cards = handle.name
    if cards is not None:
        argv += ["--cards", str(cards)]
    if link:
        argv += ["--link", link]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    out = proc.stdout.fileno()
    ready, _, _ = select.select([out], [], [], START_TIMEOUT)
    first = b""
    while ready and not first.endswith(b"\n"):
        chunk = os.read(out, 1)
        if not chunk:
            break
        first += chunk
    if not first.endswith(b"\n"):
        proc.kill()
        proc.wait()
        raise EmulatorError("模拟器进程未能启动")
    control = os.dup(proc.stdin.fileno())
    answers = os.dup(out)
    proc.stdin.close()
    proc.stdout.close()
    return SerialEmulator(first.decode().strip(), control, answers, process=proc)
