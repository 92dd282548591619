"""The main commands on both engines (``db_url``: SQLite and the test run's PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from laiqu_helpers import A, B, Laiqu, build_city


def test_desk_and_check_on_each_engine(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    data = run.json(
        "checkin",
        "--venue",
        city["hotel"],
        "--room",
        "101",
        "--id",
        A,
        "--name",
        "张三",
        "--with",
        f"{B}:李四",
    )
    assert len(data["guests"]) == 2
    assert [p["name"] for p in run.json("person", "search", "zs")["persons"]] == ["张三"]
    assert run.json("checkout", "--venue", "天平宾馆", "--room", "101")["stays"]
    check = run.json("check", "--jurisdiction", "310100")
    assert "PC-MANUAL" in {f["code"] for f in check["findings"]}


def test_import_is_all_or_nothing_on_each_engine(db_url: str, tmp_path: Path) -> None:
    run = Laiqu(db_url)
    path = tmp_path / "p.csv"
    path.write_text(f"id_number,name\n{A},张三\n12345,坏号\n", encoding="utf-8")
    assert run("import", "persons", str(path), ok=False).exit_code == 1
    assert run.json("person", "search", "zs")["count"] == 0
    assert run.json("import", "persons", str(path), "--skip-bad")["imported"] == 1
    assert run.json("person", "search", "zs")["count"] == 1
