"""``emulator://``: an in-process emulator on a pty, read through the real serial driver."""

from __future__ import annotations

from typing import Any

from drivers.emulator.handle import SerialEmulator, start_emulator
from drivers.serialreader import SerialReader


class EmulatorReader(SerialReader):
    """A ``SerialReader`` that owns its emulator (``self.emulator``) and stops it on close."""

    def __init__(self, cards: str | None = None, *, baud: int = 115200, swipe: float = 1.0,
                 **options: Any) -> None:
        self.emulator: SerialEmulator = start_emulator(cards, process=False, baud=baud,
                                                       swipe=swipe)
        options.setdefault("reader_id", "emulator")
        try:
            super().__init__(self.emulator.port, baud=baud, **options)
        except BaseException:
            self.emulator.close()
            raise

    def close(self) -> None:
        super().close()
        self.emulator.close()
