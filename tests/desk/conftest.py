"""Fixtures of the desk page: a migrated SQLite desk file with a small city, the emulator on a
real pty, Debian's chromium through Playwright (``desk_helpers`` starts ``laiqu desk``)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from desk_helpers import CHROMIUM, CHROMIUM_ARGS
from laiqu_helpers import Laiqu, build_city

from drivers.emulator import SerialEmulator, start_emulator


@pytest.fixture
def desk_db(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "desk.sqlite"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    build_city(Laiqu(url))
    return url


@pytest.fixture
def emulator() -> Iterator[SerialEmulator]:
    emu = start_emulator(process=True)
    yield emu
    emu.close()


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
