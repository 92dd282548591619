"""click's own texts come from the Chinese catalogue (cli/locale), compiled by Babel."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

import click
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner

from cli import i18n
from cli.main import cli

PO = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "laiqu.po"
MO = PO.with_suffix(".mo")


def test_the_compiled_catalogue_is_up_to_date() -> None:
    """The shipped .mo is what ``pybabel compile -D laiqu -d cli/locale -l zh_CN`` makes."""
    with PO.open("rb") as file:
        catalog = read_po(file, locale="zh_CN", domain="laiqu")
    built = io.BytesIO()
    write_mo(built, catalog)
    built.seek(0)

    def messages(file: BinaryIO) -> dict[object, object]:  # the header (id "") left out
        return {str(m.id): str(m.string) for m in read_mo(file) if m.id}

    with MO.open("rb") as shipped:
        assert messages(shipped) == messages(built), (
            "run: pybabel compile -D laiqu -d cli/locale -l zh_CN"
        )


def test_every_text_of_click_is_translated() -> None:
    with PO.open("rb") as file:
        catalog = read_po(file, locale="zh_CN", domain="laiqu")
    source = Path(os.path.dirname(click.__file__))
    missing = []
    for _file, _line, message, _comments, _context in extract_from_dir(
        source, keywords={"_": None, "ngettext": (1, 2)}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        if msgid in ("d", "Windows error: {error}") or "defined twice" in msgid:
            continue  # not shown to a user of laiqu (Windows, programming errors)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(msgid)
    for msgid in missing[:]:
        if any(w in msgid for w in ("declaration", "Boolean option", "No options defined")):
            missing.remove(msgid)  # errors in the code of a command, not in its use
    assert missing == []


def test_click_speaks_chinese() -> None:
    result = CliRunner().invoke(cli, ["person", "search"])
    assert result.exit_code == 2
    assert "用法：laiqu person search" in result.output
    assert "错误：缺少参数 'TEXT'" in result.output or "错误：缺少" in result.output
    result = CliRunner().invoke(cli, ["--no-such"])
    assert "错误：没有选项 '--no-such'。" in result.output
    result = CliRunner().invoke(cli, ["--help"])
    assert "显示本帮助并退出。" in result.output and "Show this message" not in result.output
    result = CliRunner().invoke(cli, ["checkin", "--help"])
    assert "[必填]" in result.output and "required" not in result.output
    assert "[默认：60.0" in result.output


def test_version_and_help_import_no_database_layer() -> None:
    """``laiqu --version``/``--help`` import no SQLAlchemy, no registry, no Alembic."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    probe = (
        "import sys, runpy; sys.argv = ['laiqu', '{}']\n"
        "try:\n    runpy.run_module('cli.main', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = ('sqlalchemy', 'registry', 'alembic')\n"
        "light = ('cli', 'cli.main', 'cli.commands', 'cli.i18n')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in heavy\n"
        "       or (m.split('.')[0] == 'cli' and m not in light)]\n"
        "print(bad, file=sys.stderr)\n"
    )
    for flag in ("--version", "--help"):
        done = subprocess.run(
            [sys.executable, "-c", probe.format(flag)], cwd=root, capture_output=True, text=True
        )
        assert done.stderr.strip() == "[]", done.stderr


def test_a_bug_under_the_console_script_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``main()``: a bug is one ``错误：`` line and exit 1 (``LAIQU_DEBUG=1`` re-raises it)."""
    from cli import main as entry

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug carrying 110105198803140011")

    monkeypatch.setattr("cli.app.make_context", broken)
    monkeypatch.setattr("sys.argv", ["laiqu", "check"])
    monkeypatch.delenv(entry.ENV_DEBUG, raising=False)
    with pytest.raises(SystemExit) as done:
        entry.main()
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：程序内部错误（RuntimeError）") and len(err.splitlines()) == 1
    assert "110105" not in err  # the bug's text is not shown: it may carry a number
    monkeypatch.setenv(entry.ENV_DEBUG, "1")
    with pytest.raises(RuntimeError):
        entry.main()


def test_a_bad_clock_override_is_refused(tmp_path: Path) -> None:
    result = CliRunner(env={"LAIQU_NOW": "not-a-time"}).invoke(
        cli, ["--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "check"]
    )
    assert result.exit_code == 2
    assert "错误：LAIQU_NOW 不是 ISO 8601 时刻" in result.output


def test_a_command_whose_module_cannot_load_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.main import LazyGroup

    group = LazyGroup("probe", lazy={"gone": ("cli.no_such_module:gone", "不存在的命令。")})
    monkeypatch.setitem(cli.commands, "probe", group)
    result = CliRunner().invoke(cli, ["probe", "gone"])
    assert result.exit_code == 1
    assert result.output.startswith("错误：laiqu gone 暂不可用")
    assert "gone" in CliRunner().invoke(cli, ["probe", "--help"]).output
