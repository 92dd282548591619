"""Long work shows a progress bar on a terminal (stderr), nothing on a pipe or with --json.

The command runs as a real process; "a terminal" is a pseudo-terminal (pty) given as its
stderr, read to the end."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from laiqu_helpers import NOW_ENV, number

ROOT = Path(__file__).resolve().parents[2]
ROWS = 1500
REDRAW = re.compile("\r(?!\n)")  # a carriage return of a redrawn line (a pty ends lines \r\n)


def _persons_csv(path: Path, rows: int) -> Path:
    lines = ["证件号码,姓名,性别"]
    for i in range(rows):
        seq = 100 + i % 800
        born = f"19{60 + i // 800 % 40:02d}0{1 + i % 9}1{i % 10}"
        name = "人" + "".join("甲乙丙丁戊己庚辛壬癸"[int(d)] for d in str(i))
        lines.append(f"{number('110105', born, seq)},{name},{'男' if seq % 2 else '女'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "LAIQU_DATABASE_URL": f"sqlite:///{tmp_path / 'laiqu.sqlite'}",
        "LAIQU_NOW": NOW_ENV,
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "100",
    }
    subprocess.run([sys.executable, "-m", "cli.main", "init"], env=env, check=True, timeout=120)
    return env


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run with stderr on a pty (stdout a pipe): exit code, stdout, what the terminal got."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=follower,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 180)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.stdout is not None
    with proc.stdout:
        out = proc.stdout.read().decode()
    code = proc.wait(timeout=60)
    os.close(leader)
    return code, out, seen.decode(errors="replace")


def test_import_shows_a_bar_on_a_terminal_only(env: dict[str, str], tmp_path: Path) -> None:
    path = _persons_csv(tmp_path / "persons.csv", ROWS)
    code, out, terminal = _on_a_terminal(["import", "persons", str(path)], env)
    assert code == 0, terminal
    assert f"已导入人员 {ROWS} 条" in out
    assert "导入人员" in terminal and "%" in terminal
    assert f"{ROWS}/{ROWS}" in terminal and "100%" in terminal
    assert len(REDRAW.findall(terminal)) >= 3  # redrawn as it goes, not printed once at the end
    # a pipe: the line about the file, no bar and no label
    again = _persons_csv(tmp_path / "again.csv", 300)
    piped = subprocess.run(
        [sys.executable, "-m", "cli.main", "import", "persons", str(again), "--skip-bad"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
    )
    assert piped.returncode == 0, piped.stderr
    assert "导入人员" not in piped.stderr and "%" not in piped.stderr and "\r" not in piped.stderr
    # --json on a terminal: the JSON document, and nothing drawn
    more = tmp_path / "more.csv"
    more.write_text("证件号码,姓名\n" + number("440106", "19900101", 22) + ",李四\n", "utf-8")
    code, out, terminal = _on_a_terminal(["import", "persons", str(more), "--json"], env)
    assert code == 0 and json.loads(out)["imported"] == 1
    assert "%" not in terminal and "导入人员" not in terminal and not REDRAW.search(terminal)


def test_export_and_check_draw_on_a_terminal_only(env: dict[str, str], tmp_path: Path) -> None:
    path = _persons_csv(tmp_path / "persons.csv", 400)
    subprocess.run(
        [sys.executable, "-m", "cli.main", "import", "persons", str(path), "--json"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=180,
    )
    out = tmp_path / "out.csv"
    code, text, terminal = _on_a_terminal(["export", "persons", "--out", str(out)], env)
    assert code == 0 and "已导出人员 400 条" in text
    assert "导出人员" in terminal and "400/400" in terminal and REDRAW.search(terminal)
    code, text, terminal = _on_a_terminal(["check"], env)
    assert code == 0, terminal
    assert "比对" in terminal and "100%" in terminal
    code, text, terminal = _on_a_terminal(["check", "--json"], env)
    assert code == 0 and "count" in json.loads(text)
    assert "%" not in terminal and not REDRAW.search(terminal)
    piped = subprocess.run(
        [sys.executable, "-m", "cli.main", "export", "persons", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
    )
    assert piped.returncode == 0 and piped.stderr == ""


def test_report_draws_on_a_terminal_only(env: dict[str, str], tmp_path: Path) -> None:
    add = ["jurisdiction", "add", "310100", "上海市", "--level", "city"]
    subprocess.run([sys.executable, "-m", "cli.main", *add], env=env, cwd=ROOT, check=True)
    args = ["report", "monthly", "--month", "2026-05", "--jurisdiction", "310100"]
    code, text, terminal = _on_a_terminal([*args, "--out", str(tmp_path / "a.pdf")], env)
    assert code == 0, terminal
    assert "统计月报数据" in terminal and "绘制月报 PDF" in terminal and "100%" in terminal
    code, text, terminal = _on_a_terminal([*args, "--out", str(tmp_path / "b.pdf"), "--json"], env)
    assert code == 0 and json.loads(text)
    assert "%" not in terminal and not REDRAW.search(terminal)
