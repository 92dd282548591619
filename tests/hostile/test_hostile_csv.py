"""Hostile and broken input never crashes ``laiqu`` nor changes data partially (both engines).

One database per engine serves the whole corpus: every refused case must leave every table's
count as it was, so the next case starts from the same state.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from corpus import FORMULAS, SQL, imported, refused
from dbtools import table_counts
from laiqu_helpers import NOW_ENV, Laiqu, build_city

from cli.main import cli
from registry.exchange import csvfiles

SEARCHES = (
    *SQL,
    "' OR '1'='1",
    "%%%",
    "____",
    "\\\\%",
    "张_",
    "110105%",
    "*",
    "(",
    "[a-z]",
    "'\"",
    "-1",
    "--",
    "9" * 500,
    "张" * 300,
    "x" * 5000,
    " ",
    "\t",
    "NULL",
    "1e309",
    "1102" + "\u200b" + "3",
    "\ufeff张三",
)


def invoke(url: str, *args: str) -> Result:
    runner = CliRunner(env={"LAIQU_NOW": NOW_ENV, "LAIQU_TERMINAL": "test-desk"})
    return runner.invoke(cli, ["--db", url, *args])


def clean_failure(result: Result) -> str | None:
    """Why a refused command was not a clean refusal (None when it was)."""
    if result.exit_code != 1:
        return f"exit {result.exit_code}: {result.output[-300:]}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"raised {type(result.exception).__name__}: {result.exception}"
    if "Traceback" in result.output or not result.stderr.strip().splitlines()[-1].startswith(
        "错误："
    ):
        return f"no clear message: {result.stderr[-300:]}"
    return None


@pytest.fixture
def city_db(db_url: str, engine) -> str:
    build_city(Laiqu(db_url))
    return db_url


def test_corpus_is_refused_and_changes_nothing(city_db, engine, tmp_path: Path):
    before = table_counts(engine)
    problems = {}
    for name, (kind, data) in refused().items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data)
        result = invoke(city_db, "import", kind, str(path))
        why = clean_failure(result)
        if why is None and table_counts(engine) != before:
            why = "the database changed"
        if why is not None:
            problems[name] = why
    assert problems == {}
    # --skip-bad imports the good row of a mixed file, and the rejects file is neutralised.
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(refused()["one_bad_row_of_two"][1])
    rejects = tmp_path / "rejects.csv"
    result = invoke(
        city_db, "import", "persons", str(mixed), "--skip-bad", "--rejects", str(rejects)
    )
    assert result.exit_code == 0, result.output
    assert table_counts(engine)["persons"] == before["persons"] + 1


def test_odd_but_valid_files_import_whole(city_db, engine, tmp_path: Path):
    for name, (kind, data, rows) in imported().items():
        before = table_counts(engine)
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data)
        result = invoke(city_db, "import", kind, str(path), "--json")
        assert result.exit_code == 0, (name, result.output)
        assert json.loads(result.stdout)["imported"] == rows
        if name == "formula_and_sql_names":
            assert table_counts(engine)["persons"] == before["persons"] + rows
            # Names come back exactly, and the export does not let a spreadsheet run them.
            out = tmp_path / "export.csv"
            assert (
                invoke(city_db, "export", "persons", "--out", str(out), "--full-ids").exit_code == 0
            )
            cells = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
            exported = [row[2] for row in cells[1:]]
            for cell in (c for row in cells for c in row):
                assert not cell.startswith(csvfiles.FORMULA_STARTS), cell
            stored = {n.strip() for n in (*FORMULAS, *SQL)}  # import strips the blanks around
            assert {csvfiles.unquote(c) for c in exported} >= stored
            # Round trip: the export imported into an empty registry gives the same names.
            fresh = tmp_path / "fresh.db"
            fresh_url = f"sqlite:///{fresh}"
            assert invoke(fresh_url, "init").exit_code == 0
            again = invoke(fresh_url, "import", "persons", str(out), "--json")
            assert again.exit_code == 0, again.output
            out2 = tmp_path / "export2.csv"
            assert (
                invoke(fresh_url, "export", "persons", "--out", str(out2), "--full-ids").exit_code
                == 0
            )
            assert out2.read_bytes() == out.read_bytes()


def test_hostile_searches(city_db, engine):
    invoke(city_db, "person", "add", "--id", "110105198803140111", "--name", "张三")
    before = table_counts(engine)
    problems = {}
    for text in SEARCHES:
        result = invoke(city_db, "person", "search", "--json", "--", text)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems[text[:20]] = f"raised {type(result.exception).__name__}: {result.exception}"
        elif result.exit_code == 0:
            found = json.loads(result.stdout).get("persons", [])
            if text in SQL[1:4] and found:  # a LIKE metacharacter must not match everyone
                problems[text] = f"matched {len(found)} persons"
        elif result.exit_code == 2 and not text.strip():  # a usage error by contract
            assert "查找内容不能为空" in result.output
        elif clean_failure(result) is not None:
            problems[text[:20]] = clean_failure(result)
    assert problems == {}
    assert data_counts(table_counts(engine)) == data_counts(before)


def data_counts(table_counts: dict[str, int]) -> dict[str, int]:
    """Counts of the registry's data: a search is journaled and audited, nothing else."""
    return {k: v for k, v in table_counts.items() if k != "events" and not k.startswith("audit")}


def test_neutralise_round_trip_is_exact():
    for text in (*FORMULAS, *SQL, "'=1", "''", "'", "'abc", "=", "张三", ""):
        assert csvfiles.unquote(csvfiles.neutralise(text)) == text
        assert not csvfiles.neutralise(text).startswith(csvfiles.FORMULA_STARTS)
