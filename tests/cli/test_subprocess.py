"""The main commands as a real process (``python -m cli.main``), and the demo end to end."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from laiqu_helpers import NOW_ENV, A

ROOT = Path(__file__).resolve().parents[2]


def laiqu(*args: str, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=env.get("CWD", str(ROOT)),
        timeout=180,
        check=False,
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LAIQU_DATABASE_URL": f"sqlite:///{tmp_path / 'laiqu.sqlite'}",
        "LAIQU_NOW": NOW_ENV,
        "PYTHONPATH": str(ROOT),
    }


def test_desk_day_in_real_processes(env: dict[str, str]) -> None:
    first = laiqu("check", env=env, ok=False)
    assert first.returncode == 1 and "laiqu init" in first.stderr
    assert "Traceback" not in first.stderr
    laiqu("init", env=env)
    laiqu("jurisdiction", "add", "310100", "上海市", "--level", "city", env=env)
    laiqu(
        "jurisdiction",
        "add",
        "310104",
        "徐汇区",
        "--level",
        "district",
        "--parent",
        "310100",
        env=env,
    )
    # A venue belongs to a station or below (issue 19): not to the district itself.
    laiqu(
        "jurisdiction",
        "add",
        "31010401",
        "天平路派出所",
        "--level",
        "station",
        "--parent",
        "310104",
        env=env,
    )
    laiqu(
        "venue",
        "add",
        "天平宾馆",
        "--kind",
        "hotel",
        "--jurisdiction",
        "31010401",
        "--rooms",
        "101-102",
        env=env,
    )
    checkin = laiqu(
        "checkin", "--venue", "天平宾馆", "--room", "101", "--id", A, "--name", "张三", env=env
    )
    assert "已入住：天平宾馆 101 房" in checkin.stdout and "PC-MANUAL" in checkin.stdout
    found = json.loads(laiqu("person", "search", "zs", "--json", env=env).stdout)
    assert [p["id_number"] for p in found["persons"]] == ["110105********0111"]
    refused = laiqu("checkout", "--venue", "天平宾馆", "--room", "102", env=env, ok=False)
    assert refused.returncode == 1 and refused.stderr.startswith("错误：")
    assert len(refused.stderr.strip().splitlines()) == 1
    laiqu("checkout", "--venue", "天平宾馆", "--id", A, env=env)
    check = json.loads(laiqu("check", "--json", env=env).stdout)
    assert {f["code"] for f in check["findings"]} == {"PC-MANUAL"}


def test_demo_on_a_fresh_machine(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    no_fonts = tmp_path / "no-fonts"  # no Debian font package either: only pip install ran
    no_fonts.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAIQU_")}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT), CWD=str(tmp_path),
               LAIQU_FONT_DIRS=str(no_fonts))
    started = time.monotonic()
    done = laiqu("demo", "--out", str(tmp_path / "demo"), "--json", env=env)
    assert time.monotonic() - started < 120
    data = json.loads(done.stdout)
    codes = set(data["counts"])
    assert {
        "PC-EXPIRED",
        "PC-MANUAL",
        "PC-DISAGREE",
        "PH-UNFILED",
        "PH-LATE",
        "PJ-NO-RESIDENCE",
    } <= codes
    assert "PC-TWO-PLACES" not in codes  # resolved by the check-out at the first hotel
    assert "PC-TWO-PLACES" in done.stderr  # but shown at the desk when it happened
    assert (tmp_path / "demo" / "laiqu.sqlite").exists()
    if data["report"]:
        assert Path(data["report"]).read_bytes().startswith(b"%PDF")
        if shutil.which("pdffonts"):  # the shipped font, embedded; no STSong-Light, no warning
            fonts = subprocess.run(["pdffonts", data["report"]], capture_output=True,
                                   text=True, check=True).stdout.splitlines()[2:]
            assert fonts and all(
                " yes yes " in line and "WenQuanYiMicroHeiGB2312Subset" in line for line in fonts
            ), fonts
            text = subprocess.run(["pdftotext", data["report"], "-"], capture_output=True,
                                  text=True, check=True).stdout
            assert "流动人口居住登记月报" in "".join(text.split())
        assert "Warning" not in done.stderr and "警告" not in done.stderr, done.stderr
    assert not re.search(r"\d{17}[\dX]", done.stdout + done.stderr)  # every number masked
    # issue 19: the operator of the demo is its admin, so a first coordinator locks nobody out
    db = f"sqlite:///{tmp_path / 'demo' / 'laiqu.sqlite'}"
    laiqu("--db", db, "user", "add", "uid4242", "--role", "coordinator",
          "--jurisdiction", "31010401", env=env)  # fmt: skip
    users = laiqu("--db", db, "user", "list", env=env).stdout
    assert "管理员" in users and "uid4242" in users


def test_checkin_cancel_in_a_real_process(env: dict[str, str]) -> None:
    laiqu("init", env=env)
    laiqu("jurisdiction", "add", "310100", "上海市", "--level", "city", env=env)
    laiqu("jurisdiction", "add", "31010401", "天平路派出所", "--level", "station",
          "--parent", "310100", env=env)  # fmt: skip
    laiqu("venue", "add", "天平宾馆", "--kind", "hotel", "--jurisdiction", "31010401",
          "--rooms", "101-102", env=env)  # fmt: skip
    laiqu("checkin", "--venue", "天平宾馆", "--room", "101", "--id", A, "--name", "张三", env=env)
    bad = laiqu("checkin", "cancel", "--venue", "天平宾馆", "--id", A, "--reason", "", env=env,
                ok=False)  # fmt: skip
    assert bad.returncode == 1 and bad.stderr.startswith("错误：")
    assert "Traceback" not in bad.stderr
    done = laiqu("checkin", "cancel", "--venue", "天平宾馆", "--id", A, "--reason", "重复登记",
                 "--json", env=env)  # fmt: skip
    assert json.loads(done.stdout)["reason"] == "重复登记"
    assert A not in done.stdout
