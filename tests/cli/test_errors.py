"""The edge: the core's refusals become one Chinese line and exit 1; bugs keep a traceback."""

from __future__ import annotations

import click
import pytest
from laiqu_helpers import Laiqu

from cli import errors
from cli.main import cli
from registry.errors import InvalidNumber, NotFound, Refused
from registry.identity import ids


def test_known_messages_are_phrased_in_chinese() -> None:
    exc = errors.translate(NotFound("jurisdiction 404 is not registered"))
    assert isinstance(exc, click.ClickException)
    assert exc.message == "找不到：辖区 404 尚未登记。请检查编号或名称，或先登记。"


def test_unknown_messages_keep_the_detail() -> None:
    exc = errors.translate(Refused("something new"))
    assert exc is not None and exc.message == "登记被拒绝：something new。未做任何更改。"


def test_value_error_from_the_core_is_input_but_from_elsewhere_a_bug() -> None:
    try:
        ids.parse("X", "no-such-type")
    except ValueError as exc:
        assert errors.translate(exc) is not None
    assert errors.translate(ValueError("a bug in the CLI")) is None
    assert errors.translate(KeyError("x")) is None
    assert errors.translate(InvalidNumber()) is not None


def test_a_bug_keeps_its_traceback(laiqu: Laiqu, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("not input: a bug")

    monkeypatch.setattr("cli.places.jurisdictions.add_jurisdiction", broken)
    result = laiqu.runner.invoke(
        cli, ["--db", laiqu.url, "jurisdiction", "add", "1", "x", "--level", "city"]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, ValueError)  # not a ClickException: a traceback


def test_database_unreachable_is_one_line(tmp_path) -> None:
    run = Laiqu("postgresql+psycopg2://nobody@/nodb?host=" + str(tmp_path))
    result = run("check", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：无法连接数据库") and len(result.stderr.splitlines()) == 1
