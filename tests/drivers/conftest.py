"""Fixtures for the driver tests: the emulator on a real pty, and the opt-in hardware tier.

``--reader URL`` (or ``LAIQU_TEST_READER``) runs the tests marked ``hardware`` against a
physical reader; without it they are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from drivers.emulator import SerialEmulator, start_emulator
from drivers.emulator.deck import DeckCard, default_deck


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reader", default=None, help="URL of a physical reader for hardware tests")


def reader_url(config: pytest.Config) -> str | None:
    try:
        url = config.getoption("--reader")
    except ValueError:  # option not registered when this conftest is not an initial one
        url = None
    return url or os.environ.get("LAIQU_TEST_READER")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if reader_url(config):
        return
    skip = pytest.mark.skip(reason="needs a physical reader: --reader URL")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def hardware_url(request: pytest.FixtureRequest) -> str:
    url = reader_url(request.config)
    assert url
    return url


@pytest.fixture
def deck() -> list[DeckCard]:
    return default_deck()


@pytest.fixture
def emulator() -> Iterator[SerialEmulator]:
    """The emulator in its own process on a kernel pty, 115200 baud, no extra latency."""
    with start_emulator(process=True) as emu:
        yield emu
