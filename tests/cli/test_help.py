"""Every command has Chinese help, every option says what it is for (like sqlite-utils'
test_docs.py), and the groups of the other CLI modules are registered when they exist."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from cli.main import OPTIONAL_GROUPS, cli

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
    yield " ".join(path), command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
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
    assert "Usage: " in result.output


def test_existing_optional_groups_are_registered() -> None:
    for module, group in OPTIONAL_GROUPS.items():
        if importlib.util.find_spec(f"cli.{module}") is not None:
            assert group in cli.commands, f"cli/{module}.py exists but laiqu {group} is missing"
