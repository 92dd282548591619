"""What ``laiqu person search`` imports to start (issue 19): what it uses, not the matchings,
the place use cases, Alembic, the web framework, reportlab or pydantic. Module lists, not
timings: the timings are ``bench/bench_cli.py``'s.

The command runs as the console script does (``main()``, through ``runpy``), in a fresh
process, against a migrated SQLite file with a person and a house; the probe then lists the
modules loaded. It also checks that the start-up's hold on the garbage collector
(``cli.main.started``) is released, and that a ``CliRunner`` never has its collector touched.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from laiqu_helpers import NOW_ENV, A, Laiqu

ROOT = Path(__file__).resolve().parents[2]

# Third-party packages no search needs (the web framework, PDFs, schema migrations, card
# readers, the message compiler, pinyin and number tables only other commands use).
NOT_THIRD_PARTY = (
    "alembic",
    "reportlab",
    "pydantic",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "babel",
    "serial",
    "smartcard",
    "pypinyin",
    "stdnum",
)
# Parts of laiqu a search does not run: the matchings and their rules, place and movement use
# cases, the place lists, and every adapter but the command line.
NOT_OURS = (
    "registry.matching",
    "registry.places",
    "registry.movements",
    "registry.permits",
    "registry.exchange",
    "registry.sync",
    "registry.retention",
    "registry.lookup.places",
    "registry.db.rules_models",
    "registry.db.refcache",
    "reports",
    "drivers",
    "service",
    "desk",
)
# The command line modules a search goes through.
CLI_PATH = {
    "cli",
    "cli.main",
    "cli.commands",
    "cli.i18n",
    "cli.app",
    "cli.errors",
    "cli.output",
    "cli.params",
    "cli.correct",
    "cli.people",
}

PROBE = """
import gc, json, runpy, sys
sys.argv = ["laiqu", *sys.argv[1:]]
try:
    runpy.run_module("cli.main", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "gc": gc.isenabled(), "modules": sorted(sys.modules)}),
      file=sys.stderr)
"""


def search(url: str, text: str) -> tuple[str, dict[str, object]]:
    """``laiqu person search TEXT`` as a console script; its output and what the probe saw."""
    env = {**os.environ, "LAIQU_DATABASE_URL": url, "LAIQU_NOW": NOW_ENV, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "person", "search", text],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    seen = json.loads(done.stderr.strip().splitlines()[-1])
    assert seen["code"] in (0, None), done.stderr
    return done.stdout, seen


def unwanted(modules: list[str]) -> list[str]:
    def under(name: str, package: str) -> bool:
        return name == package or name.startswith(package + ".")

    return [
        m
        for m in modules
        if any(under(m, p) for p in (*NOT_THIRD_PARTY, *NOT_OURS))
        or (under(m, "cli") and m not in CLI_PATH)
    ]


@pytest.fixture
def registered(laiqu: Laiqu, city: dict[str, str]) -> Laiqu:
    laiqu("person", "add", "--id", A, "--name", "张三")
    laiqu("movein", "--id", A, "--house", city["house"], "--on", "2026-06-01")
    return laiqu


def test_person_search_imports_only_what_it_uses(registered: Laiqu) -> None:
    for text, shown in (("张三", "张三"), ("天平路", "天平路 88 弄 3 号 201 室")):
        output, seen = search(registered.url, text)
        assert shown in output and "张三" in output  # the person, or the house with its tenant
        modules = seen["modules"]
        assert isinstance(modules, list)
        assert "registry.lookup.placesearch" in modules  # the probe did see the search run
        assert unwanted(modules) == []


def test_the_console_script_collects_garbage_again_once_started(registered: Laiqu) -> None:
    _, seen = search(registered.url, "张三")
    assert seen["gc"] is True


def test_a_cli_runner_keeps_its_collector_as_it_is(registered: Laiqu) -> None:
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    registered("person", "search", "张三")
    assert gc.isenabled() and gc.get_freeze_count() == frozen
