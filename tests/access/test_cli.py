"""``laiqu user`` and ``laiqu audit`` through the command line (SQLite: the OS account)."""

from __future__ import annotations

import getpass
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))

from laiqu_helpers import A, Laiqu, build_city


def test_init_bootstraps_admin_then_users_and_audit(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    run = Laiqu(f"sqlite:///{db}")
    me = getpass.getuser()
    assert "管理员" in run("init").stdout
    city = build_city(run)
    run("person", "add", "--id", A, "--name", "张三")
    assert run.json("user", "list")[0]["login"] == me
    run("user", "add", "desk1", "--role", "desk", "--venue", city["hotel"])
    assert "--create-login 只适用于 PostgreSQL" in run(
        "user", "add", "d2", "--role", "admin", "--create-login", ok=False
    ).stderr
    run("person", "show", A, "--reveal", "--reason", "核查")
    seen = run.json("audit", "who-viewed", "--id", A)
    assert {e["kind"] for e in seen["entries"]} >= {"reveal", "write"}
    assert seen["id_number"] != A and A not in run("audit", "who-viewed", "--id", A).stdout
    assert "完好" in run("audit", "verify").stdout
    # Tamper with raw sqlite (no triggers): verify fails with exit 1 and says where.
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq = 4")
    conn.commit()
    conn.close()
    failed = run("audit", "verify", ok=False)
    assert failed.exit_code == 1 and "第 4 条记录缺失" in failed.stderr


def test_a_disabled_or_unknown_identity_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    run = Laiqu(f"sqlite:///{db}")
    run("init")
    me = getpass.getuser()
    run("user", "add", "other", "--role", "admin")
    run("user", "disable", me)
    refused = run("user", "list", ok=False)
    assert refused.exit_code == 1 and "不是来去系统的用户或已被停用" in refused.stderr
