"""The benchmark suite runs end to end on a tiny city and writes its results (no figures judged:
timings belong to bench runs, not to tests)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.run import main


def test_a_tiny_full_run_writes_every_measure(tmp_path: Path) -> None:
    args = ["--persons", "1500", "--rounds", "1", "--checkins", "12", "--desks", "2",
            "--batch", "4", "--bulk-rows", "300", "--out", str(tmp_path)]
    assert main(args) == 0
    (data,) = tmp_path.glob("*-1500.json")
    results = json.loads(data.read_text())
    assert [r["engine"] for r in results] == ["sqlite", "postgresql"]
    for r in results:
        names = [m["name"] for m in r["measures"]]
        assert any(n.startswith("ID look-up") for n in names), names
        assert any("one check-in per transaction" in n for n in names), names
        assert any("4 check-ins per transaction" in n for n in names), names
        assert any(n.startswith("bulk import") for n in names), names
        for m in r["measures"]:
            assert m["a"]["n"] > 0 and m["b"]["n"] > 0 and m["ratio"] > 0, m
    assert "| measure |" in next(tmp_path.glob("*-1500.md")).read_text()
