"""The ``--json`` help lines point to docs/cli-json.md: it exists and names every command
that has ``--json`` (walked from the command tree, so a new command must be added)."""

from __future__ import annotations

import re
from pathlib import Path

import click
from laiqu_helpers import Laiqu

from cli.corrections import WithActions
from cli.main import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli-json.md"


def json_commands(command: click.Command, path: tuple[str, ...] = ()) -> list[str]:
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        return [
            name
            for sub in command.list_commands(ctx)
            for name in json_commands(command.get_command(ctx, sub), (*path, sub))  # type: ignore[arg-type]
        ]
    actions: list[str] = []
    if isinstance(command, WithActions):  # `checkin cancel`: an action named by the first word
        for sub, action in command.actions().items():
            actions += json_commands(action, (*path, sub))
    own = [" ".join(path)] if any(p.name == "as_json" for p in command.params) else []
    return own + actions


def test_every_json_command_is_documented() -> None:
    rows = re.findall(r"^\| (.+?) \|", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    documented: set[str] = set()
    for cell in rows:
        for name in re.findall(r"`([^`]+)`", cell):
            head, _, tail = name.rpartition(" ")
            alternatives = tail.replace("\\|", "|").split("|")
            documented |= {f"{head} {alt}".strip() for alt in alternatives}
    commands = json_commands(cli)
    assert {"report monthly", "sync export", "person search"} <= set(commands)
    assert sorted(set(commands) - documented) == []


def test_the_help_points_to_the_document() -> None:
    from cli.output import json_option

    @json_option
    def probe(as_json: bool) -> None: ...

    assert "docs/cli-json.md" in probe.__click_params__[0].help  # type: ignore[attr-defined]


def documented_keys(command: str) -> set[str]:
    row = next(
        line
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| `{command}` |")
    )
    return set(re.findall(r"`([a-z_]+)`", row.split(" | ", 1)[1]))


def test_report_monthly_and_sync_export_print_the_documented_json(
    laiqu: Laiqu, city: dict[str, str], tmp_path: Path
) -> None:
    report = laiqu.json(
        "report",
        "monthly",
        "--month",
        "2026-05",
        "--jurisdiction",
        "310100",
        "--out",
        str(tmp_path / "m.pdf"),
    )
    assert set(report) == documented_keys("report monthly")
    assert report["file"] == str(tmp_path / "m.pdf") and (tmp_path / "m.pdf").exists()
    assert report["month"] == "2026-05" and report["jurisdiction"] == "310100"
    exported = laiqu.json("sync", "export", "--out", str(tmp_path / "up.json"))
    assert set(exported) == documented_keys("sync export")
    assert exported["items"] >= 0 and (tmp_path / "up.json").exists()
