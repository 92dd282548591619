"""Start-up of the ``laiqu`` command: wall time against ``python -c pass`` in the same run.

Measured, each as a fresh process, in rounds that alternate the cases (so a busy machine
disturbs all of them alike), median of the rounds:

- ``python -c pass``: the interpreter alone (the floor);
- ``laiqu --version`` and ``laiqu --help``: no command module, no SQLAlchemy (goal ≤ 0.15 s);
- ``laiqu person search 张``: a real command on a small SQLite database this script creates
  (a city, a station, 20 persons), including the audit entry it writes (goal ≤ 0.35 s).

The command runs as ``python -m cli.main`` from this checkout (what the ``laiqu`` console script
runs, without depending on where the package was installed from).

    python bench/bench_cli.py                # 15 rounds
    python bench/bench_cli.py --rounds 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"laiqu --version": 0.15, "laiqu person search 张": 0.35}


def run(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one process; raises when it fails."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr}")
    return elapsed


def ric(first17: str) -> str:
    """A valid resident ID number from its first 17 digits (GB 11643 MOD 11-2)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def make_database(folder: Path, env: dict[str, str]) -> None:
    """A small registry: a city, a station and 20 persons named 张…/李… (synthetic numbers)."""
    laiqu = [sys.executable, "-m", "cli.main"]
    steps = [
        ["init"],
        ["jurisdiction", "add", "310100", "上海市", "--level", "city"],
        ["jurisdiction", "add", "310104", "徐汇区", "--level", "district", "--parent", "310100"],
    ]
    for i in range(20):
        number = ric(f"11010519880314{i:02d}1")
        name = ("张" if i % 2 else "李") + "三四五六七八九十"[i % 8] + "明"
        steps.append(["person", "add", "--id", number, "--name", name])
    for step in steps:
        run([*laiqu, *step], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "LAIQU_DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
            "LAIQU_AUDIT_KEY_FILE": str(Path(tmp) / "audit.key"),
        }
        make_database(Path(tmp), env)
        laiqu = [sys.executable, "-m", "cli.main"]
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "laiqu --version": [*laiqu, "--version"],
            "laiqu --help": [*laiqu, "--help"],
            "laiqu person search 张": [*laiqu, "person", "search", "张"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, argv in cases.items():
                times[name].append(run(argv, env))
    floor = statistics.median(times["python -c pass"])
    load = os.getloadavg()[0]
    print(f"laiqu start-up, {args.rounds} rounds, median wall seconds (load average {load:.2f})")
    print(f"{'case':<28}{'median':>8}{'min':>8}{'× pass':>8}{'− pass':>8}  goal")
    for name, xs in times.items():
        median = statistics.median(xs)
        goal = GOALS.get(name)
        verdict = "" if goal is None else f"≤ {goal:.2f} {'ok' if median <= goal else 'MISSED'}"
        print(
            f"{name:<28}{median:8.3f}{min(xs):8.3f}{median / floor:8.1f}"
            f"{median - floor:8.3f}  {verdict}"
        )


if __name__ == "__main__":
    main()
