"""``laiqu purge`` through CliRunner on both engines and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from dbtools import table_counts
from retention_town import GUESTS, P2, S2, build_closed

from cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
LATER = "2036-06-15T10:00:00+08:00"


def run(url: str, *args: str) -> object:
    runner = CliRunner(env={"LAIQU_NOW": LATER, "LAIQU_TERMINAL": "test-desk"})
    return runner.invoke(cli, ["--db", url, *args])


def test_dry_run_then_purge(db_url, sf, ctx, engine):
    build_closed(sf, ctx)
    before = table_counts(engine)
    dry = run(db_url, "purge", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert table_counts(engine) == before
    planned = json.loads(dry.stdout)
    assert planned["dry_run"] is True and planned["totals"]["stays"] == 4
    for who in (P2, *GUESTS):
        assert who.number not in dry.stdout
    text = run(db_url, "purge", "--dry-run")
    assert "这是预演" in text.stdout and "旅馆住宿" in text.stdout
    done = run(db_url, "purge", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["totals"] == planned["totals"]
    after = table_counts(engine)
    assert after["employments"] == before["employments"] - 1
    assert after["stays"] == before["stays"]  # de-identified, not deleted
    again = run(db_url, "purge")
    assert again.exit_code == 0 and "没有到期的记录" in again.stdout


def test_refusal_is_one_line_and_changes_nothing(db_url, sf, ctx, engine):
    build_closed(sf, ctx)
    before = table_counts(engine)
    result = run(db_url, "purge", "--jurisdiction", "999")
    assert result.exit_code == 1
    assert "错误：" in result.stderr and "999" in result.stderr
    assert "Traceback" not in result.output
    assert table_counts(engine) == before
    assert run(db_url, "purge", "--samples", "-1").exit_code == 2


def test_purge_as_a_process(tmp_path, sqlite_template, ctx):
    import shutil

    from registry.db.engine import make_engine, session_factory

    path = tmp_path / "laiqu.sqlite"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    build_closed(session_factory(engine), ctx)
    engine.dispose()
    env = {**os.environ, "LAIQU_DATABASE_URL": f"sqlite:///{path}", "LAIQU_NOW": LATER}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "purge", "--jurisdiction", S2, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)["records"]["residences"]) == {S2}
