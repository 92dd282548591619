"""Fixtures for the driver tests: the emulator on a real pty, and the opt-in hardware tier.

``--reader URL`` (or ``LAIQU_TEST_READER``) runs the tests marked ``hardware`` against a
physical reader; without it they are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.emulator import SerialEmulator, start_emulator
from drivers.emulator.deck import DeckCard, default_deck


@pytest.fixture
def deck() -> list[DeckCard]:
    return default_deck()


@pytest.fixture
def emulator() -> Iterator[SerialEmulator]:
    """The emulator in its own process on a kernel pty, 115200 baud, no extra latency."""
    with start_emulator(process=True) as emu:
        yield emu
