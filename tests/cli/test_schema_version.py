"""The schema version is read from ``alembic_version`` directly (no Alembic import on every
command) and agrees with what Alembic itself reads, on each engine."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from cli.app import heads
from cli.main import cli
from registry.db.engine import make_engine
from registry.db.schema import current


def test_heads_agree_with_alembic(engine: Engine) -> None:
    revision = current(engine)
    assert revision is not None
    assert heads(engine) == (revision,)


def test_a_database_never_initialised_has_no_version(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE other (x INTEGER)")
        assert heads(engine) == ()
    finally:
        engine.dispose()
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{path}", "check"])
    assert result.exit_code == 1
    assert result.output.startswith("错误：数据库") and "尚未初始化" in result.output
