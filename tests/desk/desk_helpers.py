"""Helpers of the desk page tests: ``laiqu desk`` as a real process, chromium's options."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from laiqu_helpers import NOW_ENV

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("LAIQU_TEST_ARTIFACTS", ROOT / "tests" / "artifacts")) / "desk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DeskProcess:
    url: str
    process: subprocess.Popen[str]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_desk(db_url: str, reader: str, tmp_path: Path, *extra: str, port: int = 0,
               wait: bool = True) -> DeskProcess:
    """``laiqu desk`` on ``port`` (a free one by default); ``wait``: until it listens."""
    port = port or free_port()
    log = tmp_path / f"desk-{port}-{time.monotonic_ns()}.log"
    env = {**os.environ, "LAIQU_NOW": NOW_ENV, "PYTHONPATH": str(ROOT),
           "LAIQU_TERMINAL": "desk-page-test"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "--db", db_url, "desk", "--venue", "天平宾馆",
             "--reader", reader, "--port", str(port), *extra],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    started = DeskProcess(f"http://127.0.0.1:{port}", process, log)
    if not wait:
        return started
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"laiqu desk exited: {started.output()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return started
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"laiqu desk did not listen: {started.output()}")


def stop_desk(desk: DeskProcess) -> None:
    desk.process.terminate()
    try:
        desk.process.wait(15)
    except subprocess.TimeoutExpired:
        desk.process.kill()
        desk.process.wait(5)
