"""A ``laiqu import persons`` killed (SIGKILL) in the middle leaves the database as before.

Real processes on both engines: the import runs as ``python -m cli.main``; it is killed once
it is inside its transaction and has written (PostgreSQL: its backend holds a transaction id;
SQLite: the write-ahead log grew past what opening the database writes), before it could
finish. (No progress bar reaches a pipe, so stderr says nothing of it.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from dbtools import table_counts
from laiqu_helpers import NOW_ENV, Laiqu

from registry.identity.ids import ric_check_digit

ROOT = Path(__file__).resolve().parents[2]
ROWS = 30_000


def big_csv(path: Path, rows: int, region: str = "510107", seq_from: int = 0) -> Path:
    """``rows`` synthetic persons with valid, distinct numbers."""
    lines = ["id_number,name,phone"]
    day = date(1960, 1, 1)
    for i in range(rows):
        born = day + timedelta(days=i // 400)
        first17 = f"{region}{born:%Y%m%d}{(seq_from + i % 400) % 1000:03d}"
        name = "测试" + chr(0x4E00 + i % 20000)  # names hold no digits
        lines.append(f"{first17 + ric_check_digit(first17)},{name},1380000{i % 10000:04d}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def in_transaction(url: str) -> bool:
    """Whether the import has begun writing inside its transaction."""
    if url.startswith("sqlite"):
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        return wal.exists() and wal.stat().st_size > 256 * 1024
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                    )
                ).scalar()
            )
    finally:
        engine.dispose()


def test_killed_import_changes_nothing(db_url: str, engine, tmp_path: Path) -> None:
    path = big_csv(tmp_path / "BIG.csv", ROWS)
    before = table_counts(engine)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LAIQU_NOW": NOW_ENV}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "--db", db_url, "import", "persons", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.extend(iter(proc.stderr.readline, b"")))  # type: ignore[union-attr]
    reader.start()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if in_transaction(db_url):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the import finished before it could be killed"
        assert in_transaction(db_url), b"".join(stderr).decode(errors="replace")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        reader.join(timeout=10)
        proc.stderr.close()  # type: ignore[union-attr]
    assert proc.returncode == -signal.SIGKILL
    if db_url.startswith("postgresql"):  # the server ends the dead client's backend
        for _ in range(100):
            if not in_transaction(db_url):
                break
            time.sleep(0.1)
    assert table_counts(engine) == before
    # The database still works: a later import succeeds.
    small = big_csv(tmp_path / "small.csv", 3, region="440106")
    data = Laiqu(db_url).json("import", "persons", str(small))
    assert data["imported"] == 3
    assert table_counts(engine)["persons"] == before["persons"] + 3
