"""``laiqu init --station``: a station's own registrations are not queued for upload."""

from __future__ import annotations

from click.testing import CliRunner
from world import count

from cli.main import cli
from registry.db.engine import make_engine


def _run(url: str, *args: str):
    return CliRunner().invoke(cli, ["--db", url, *args])


def test_init_station_queues_nothing(tmp_path):
    desk, station = f"sqlite:///{tmp_path / 'desk.sqlite'}", f"sqlite:///{tmp_path / 'st.sqlite'}"
    assert _run(desk, "init").exit_code == 0
    done = _run(station, "init", "--station")
    assert done.exit_code == 0 and "派出所数据库" in done.output
    for url in (desk, station):
        made = _run(url, "jurisdiction", "add", "4403", "深圳市", "--level", "city")
        assert made.exit_code == 0, made.output
        added = _run(url, "person", "add", "--id", "110105199001010010", "--name", "张三")
        assert added.exit_code == 0, added.output
    queued = {}
    for name, url in (("desk", desk), ("station", station)):
        engine = make_engine(url)
        queued[name] = count(engine, "outbox")
        engine.dispose()
    assert queued["desk"] > 0 and queued["station"] == 0
    assert _run(station, "init", "--station").exit_code == 0  # again: no change, no error
