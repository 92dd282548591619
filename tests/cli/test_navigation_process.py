"""From a list row to the record in real processes (``python -m cli.main``): search, then
``person show`` by the printed reference, ``house show`` by its prefix, ``guests``, and an
ambiguous reference refused with one ``错误：`` line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from laiqu_helpers import NOW_ENV, A, B

ROOT = Path(__file__).resolve().parents[2]


def test_references_between_processes(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LAIQU_DATABASE_URL": f"sqlite:///{tmp_path / 'laiqu.sqlite'}",
        "LAIQU_NOW": NOW_ENV,
        "PYTHONPATH": str(ROOT),
    }

    def laiqu(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=str(ROOT),
            timeout=120,
            check=False,
        )
        assert (done.returncode == 0) == ok, done.stderr
        return done

    laiqu("init")
    laiqu("jurisdiction", "add", "310100", "上海市", "--level", "city")
    laiqu("jurisdiction", "add", "310104", "徐汇区", "--level", "district", "--parent", "310100")
    # Houses and venues belong to a station or below (a district is an area, not a place).
    station = "31010401"
    laiqu("jurisdiction", "add", station, "天平派出所", "--level", "station", "--parent", "310104")
    laiqu("venue", "add", "华师宾馆", "--kind", "hotel", "--jurisdiction", station, "--rooms", "1")
    house = json.loads(
        laiqu(
            "house", "add", "--address", "华师路 9 号", "--jurisdiction", station, "--json"
        ).stdout
    )
    laiqu("movein", "--house", house["id"], "--id", A, "--name", "张三", "--on", "2026-06-01")
    laiqu("checkin", "--venue", "华师宾馆", "--room", "1", "--id", B, "--name", "李四")
    found = laiqu("person", "search", "华师路").stdout
    assert "华师路 9 号" in found and "张三" in found and A not in found
    ref = re.search(r"张三 \S+ \[([0-9a-f]{8})\]", found)
    assert ref is not None
    shown = laiqu("person", "show", ref.group(1)).stdout
    assert "张三" in shown and A not in shown
    assert "现住人员（1）" in laiqu("house", "show", house["id"][:8]).stdout
    guests = laiqu("guests", "--venue", "华师宾馆").stdout
    assert "李四" in guests and B not in guests
    refused = laiqu("person", "show", "123", ok=False)
    assert refused.returncode == 1 and refused.stderr.startswith("错误：")
    assert "Traceback" not in refused.stderr
