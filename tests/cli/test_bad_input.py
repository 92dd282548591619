"""No traceback reaches a user: every command of the tree, with bad input, says ``错误：…`` and
exits 1 or 2.

The tree is walked as ``laiqu --help`` sees it (``list_commands``/``get_command``), so a command
added to ``cli.commands.COMMANDS`` is covered without touching this file. For each command:
an unknown option; each typed option or argument with a value its type refuses; the command
without its required parameters (when it has any); and every required parameter given (a
valid value for typed ones, a reference that names nothing for the others) on a migrated
database with a small city: the command may refuse or succeed, never fail with a traceback.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import Result
from dbtools import ENGINES, _drop_pg, _fresh_pg
from laiqu_helpers import NOW_ENV, Laiqu, build_city, number

from cli.corrections import WithActions
from cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
NOWHERE = "ZZ不存在9"  # a reference that names nothing (and is no valid number or code)
UNKNOWN = number("110105", "19700101", 999)  # a valid ID number nobody registered
# Commands that serve or wait until stopped (a server, a reader loop, the whole demo): they
# get the bad-option and bad-value cases, not a run with every required parameter.
LONG_RUNNING = {
    "demo", "serve", "desk", "frontdesk", "reader watch", "reader emulate", "reader read",
    "reader list", "checkin",
}


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(path), command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            yield from walk(sub, (*path, name))
    if isinstance(command, WithActions):  # `checkin cancel`: an action named by the first word
        for name, sub in command.actions().items():
            yield from walk(sub, (*path, name))


COMMANDS = {name: command for name, command in walk(cli) if name}


@pytest.fixture(scope="module", params=ENGINES)
def city_db(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Laiqu]:
    """A migrated database with a small city, on each engine, shared by the module's tests."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("bad-input") / "laiqu.sqlite"
        shutil.copy(sqlite_template, path)
        run = Laiqu(f"sqlite:///{path}")
        build_city(run)
        yield run
        return
    server = request.getfixturevalue("pg_server")
    name, url = _fresh_pg(server, request.getfixturevalue("pg_template"))
    run = Laiqu(url)
    build_city(run)
    yield run
    _drop_pg(server, name)


@pytest.fixture(scope="module")
def junk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file of nonsense: an existing path for parameters that read one."""
    path = tmp_path_factory.mktemp("junk") / "junk.csv"
    path.write_text("这不是,要的文件\n1,2\n", encoding="utf-8")
    return path


def refused(result: Result, *codes: int) -> None:
    """Exit 1 or 2 with a ``错误：`` line and no traceback."""
    assert result.exit_code in (codes or (1, 2)), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {result.exception!r}\n{result.output}"
    )
    lines = result.output.splitlines()
    assert any(line.startswith("错误：") for line in lines), result.output
    assert "Traceback" not in result.output and "Error:" not in result.output, result.output


def invoke(run: Laiqu, args: list[str]) -> Result:
    return run.runner.invoke(cli, ["--db", run.url, *args], input="")


def a_bad_value(param: click.Parameter) -> str | None:
    """A value the parameter's type refuses, or None when its type takes any text."""
    for candidate in ("不是值", "-1", "2026-13-45", "/nonexistent/dir/x"):
        try:
            param.type.convert(candidate, param, None)
        except click.BadParameter:
            return candidate
        except Exception:
            continue
    return None


def a_good_value(param: click.Parameter, junk: Path, reference: str = NOWHERE) -> str:
    """A value the parameter's type takes; free text gets a reference that names nothing."""
    if isinstance(param.type, click.Choice):
        return str(param.type.choices[0])
    if isinstance(param.type, click.Path):
        return str(junk if not param.type.dir_okay or param.type.file_okay else junk.parent)
    if isinstance(param.type, click.types.StringParamType):
        return reference
    for candidate in ("2026-06-01", "2026-06-01T10:00:00+08:00", "2026-06", "1", NOWHERE):
        try:
            param.type.convert(candidate, param, None)
        except Exception:
            continue
        return candidate
    return NOWHERE


def given(param: click.Parameter, value: str) -> list[str]:
    if isinstance(param, click.Argument):
        return [value] * (param.nargs if param.nargs > 0 else 1)
    return [param.opts[0], value]


def required(command: click.Command) -> list[click.Parameter]:
    return [p for p in command.params if p.required]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_unknown_option_is_refused(city_db: Laiqu, name: str) -> None:
    refused(invoke(city_db, [*name.split(), "--no-such-option"]), 2)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_bad_values_are_refused(city_db: Laiqu, junk: Path, name: str) -> None:
    command = COMMANDS[name]
    for param in command.params:
        if not isinstance(param, click.Option | click.Argument) or getattr(param, "is_flag", 0):
            continue
        bad = a_bad_value(param)
        if bad is None:
            continue
        args = [*name.split()]
        for other in required(command):
            if other is not param:
                args += given(other, a_good_value(other, junk))
        refused(invoke(city_db, [*args, *given(param, bad)]), 2)


@pytest.mark.parametrize(
    "name", sorted(n for n, c in COMMANDS.items() if required(c) or isinstance(c, click.Group))
)
def test_missing_parameters_are_refused(city_db: Laiqu, name: str) -> None:
    refused(invoke(city_db, name.split()), 2)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("reference", [NOWHERE, UNKNOWN])
@pytest.mark.parametrize(
    "name",
    sorted(n for n, c in COMMANDS.items() if required(c) and n not in LONG_RUNNING),
)
def test_a_wrong_reference_is_refused_or_done(
    city_db: Laiqu, junk: Path, name: str, reference: str
) -> None:
    command = COMMANDS[name]
    args = [*name.split()]
    for param in required(command):
        args += given(param, a_good_value(param, junk, reference))
    result = invoke(city_db, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"laiqu {' '.join(args)}: {result.exception!r}\n{result.output}"
    )
    assert "Traceback" not in result.output and "Error:" not in result.output
    if result.exit_code != 0:
        refused(result)


def test_every_command_is_covered() -> None:
    assert {"person search", "report monthly", "sync export", "reader read"} <= set(COMMANDS)


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option"],
        ["person", "show"],
        ["report", "monthly", "--month", "2026-13", "--jurisdiction", NOWHERE, "--out", "x.pdf"],
        ["checkout", "--venue", NOWHERE, "--room", "101"],
        ["reader", "read", "serial:///dev/nonexistent-reader"],
    ],
)
def test_as_a_process(tmp_path: Path, sqlite_template: Path, args: list[str]) -> None:
    """The console entry point as a real process: one ``错误：`` line, no traceback."""
    db = tmp_path / "laiqu.sqlite"
    shutil.copy(sqlite_template, db)
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "--db", f"sqlite:///{db}", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LAIQU_NOW": NOW_ENV, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode in (1, 2), done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert any(line.startswith("错误：") for line in done.stderr.splitlines()), done.stderr
