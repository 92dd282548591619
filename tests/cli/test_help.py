"""Every command has Chinese help, every option says what it is for (like sqlite-utils'
test_docs.py), and every command of the table (``cli.commands``) loads, with the short help
the table shows for it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from cli.commands import COMMANDS as TABLE
from cli.corrections import WithActions
from cli.i18n import width_of
from cli.main import cli

CJK = re.compile(r"[\u4e00-\u9fff]")
CONTRACT = [
    "init",
    "demo",
    "jurisdiction add",
    "venue add",
    "house add",
    "house update",
    "employer add",
    "person add",
    "person show",
    "person history",
    "person search",
    "checkin",
    "checkout",
    "frontdesk",
    "movein",
    "moveout",
    "job start",
    "job end",
    "check",
    "import persons",
    "import houses",
    "import employers",
    "export persons",
    "export houses",
    "export employers",
]


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """Every command under ``command``, the lazy ones loaded (``get_command``)."""
    yield " ".join(path), command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"laiqu {' '.join((*path, name))} does not load"
            yield from walk(sub, (*path, name))
    if isinstance(command, WithActions):  # `checkin cancel`: an action named by the first word
        for name, sub in command.actions().items():
            yield from walk(sub, (*path, name))


COMMANDS = dict(walk(cli))


def test_the_contract_commands_exist() -> None:
    missing = [name for name in CONTRACT if name not in COMMANDS]
    assert missing == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_has_chinese_help(name: str) -> None:
    command = COMMANDS[name]
    assert command.help and CJK.search(command.help), f"laiqu {name} has no Chinese help"
    assert command.get_short_help_str().strip()
    for param in command.params:
        if isinstance(param, click.Option) and "--help" not in param.opts:
            assert param.help and param.help.strip(), f"laiqu {name} {param.opts[0]} has no help"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_prints(name: str) -> None:
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "用法：laiqu" in result.output  # click's texts come from the Chinese catalogue
    assert "Usage" not in result.output and "Show this message" not in result.output
    narrow = CliRunner().invoke(cli, [*name.split(), "--help"], terminal_width=80)
    for line in narrow.output.splitlines():  # a Chinese character takes two columns
        if CJK.search(line):
            assert width_of(line) <= 80 + 4, f"laiqu {name} --help, too wide: {line}"


def test_the_table_lists_every_command_with_its_short_help() -> None:
    """``laiqu --help`` shows the table's short help without importing the command: it must
    be the first sentence of the command's own help."""
    for name, (_target, short) in TABLE.items():
        command = COMMANDS[name]
        first = (command.short_help or (command.help or "").split("\n\n")[0]).strip()
        first = " ".join(first.split())
        assert short == first[: len(short)] and short.endswith("。"), f"laiqu {name}: {first}"
    assert set(TABLE) == {name for name in COMMANDS if name and " " not in name}


def test_every_command_written_in_cli_is_in_the_table() -> None:
    """A command defined in a module of ``cli`` but missing from ``cli/commands.py`` would be
    unreachable: every top-level command object must be one the table loads."""
    import importlib
    import pkgutil

    import cli as package

    defined: dict[int, str] = {}
    nested: set[int] = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"cli.{info.name}")
        for attribute, value in vars(module).items():
            callback = getattr(value, "callback", None)
            if isinstance(value, click.Command) and callback is not None and (
                callback.__module__ == module.__name__
            ):
                defined[id(value)] = f"cli.{info.name}:{attribute}"
            if isinstance(value, click.Group):
                nested |= {id(sub) for sub in value.commands.values()}
    reachable = {id(command) for command in COMMANDS.values()}
    missing = sorted(where for key, where in defined.items() if key not in reachable | nested)
    assert missing == [], "add these to cli/commands.py"
