"""Helpers of the CLI tests: valid synthetic numbers, a CliRunner wrapper, a small city."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from cli.main import cli
from registry.identity.ids import ric_check_digit

NOW_ENV = "2026-06-15T10:00:00+08:00"  # the fixed instant of tests/conftest.py, local time


def number(region: str = "110105", born: str = "19880314", seq: int = 11) -> str:
    """A valid resident ID number (synthetic)."""
    first17 = f"{region}{born}{seq:03d}"
    return first17 + ric_check_digit(first17)


A = number("110105", "19880314", 11)  # 张三, male
B = number("440106", "19900101", 22)  # 李四, female
C = number("310104", "19750505", 33)  # 王五, local to the test city


class Laiqu:
    """Invoke ``laiqu --db URL …`` through CliRunner; ``json`` parses stdout."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner(env={"LAIQU_NOW": NOW_ENV, "LAIQU_TERMINAL": "test-desk"})

    def __call__(self, *args: str, input: str | None = None, ok: bool = True) -> Result:
        result = self.runner.invoke(cli, ["--db", self.url, *args], input=input)
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"laiqu {' '.join(args)} → {result.exit_code}\n{result.output}",
            ) from result.exception
        return result

    def json(self, *args: str, input: str | None = None) -> Any:
        return json.loads(self(*args, "--json", input=input).stdout)


def build_city(run: Laiqu) -> dict[str, str]:
    """A city, a district, a station, a grid, a hotel with rooms, a house, an employer."""
    run("jurisdiction", "add", "310100", "上海市", "--level", "city")
    run("jurisdiction", "add", "310104", "徐汇区", "--level", "district", "--parent", "310100")
    run(
        "jurisdiction",
        "add",
        "31010401",
        "天平路派出所",
        "--level",
        "station",
        "--parent",
        "310104",
    )
    run(
        "jurisdiction",
        "add",
        "310104010101",
        "天平第一网格",
        "--level",
        "grid",
        "--parent",
        "31010401",
    )
    hotel = run.json(
        "venue",
        "add",
        "天平宾馆",
        "--kind",
        "hotel",
        "--jurisdiction",
        "31010401",
        "--rooms",
        "101-103,201",
    )
    house = run.json(
        "house",
        "add",
        "--address",
        "天平路 88 弄 3 号 201 室",
        "--jurisdiction",
        "310104010101",
        "--capacity",
        "2",
        "--door-plate",
        "TP-88-3-201",
    )
    employer = run.json(
        "employer",
        "add",
        "迅达快递",
        "--uscc",
        "91310104MA1FL0001Q",
        "--jurisdiction",
        "310104010101",
        "--headcount",
        "1",
    )
    return {"hotel": hotel["id"], "house": house["id"], "employer": employer["id"]}
