"""On SQLite the registry identity is the operating-system account of the process (its uid),
never $LOGNAME or $USER: ``LOGNAME=root laiqu user list`` used to act as the admin root."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from cli.app import App, make_context, os_account

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("LOGNAME", "USER", "LNAME", "USERNAME")


def _laiqu(db: Path, *args: str, claim: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in NAMES}
    env.update(LAIQU_DATABASE_URL=f"sqlite:///{db}", PYTHONPATH=str(ROOT))
    if claim:
        env.update(dict.fromkeys(NAMES, claim))
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_claiming_another_account_in_the_environment_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "desk.sqlite"
    me = pwd.getpwuid(os.getuid()).pw_name
    assert _laiqu(db, "init").returncode == 0  # the real account becomes the admin
    assert _laiqu(db, "user", "add", "boss", "--role", "admin").returncode == 0
    listed = _laiqu(db, "user", "list", "--json", claim="boss")
    assert listed.returncode == 0, listed.stderr  # still the real account, an admin
    assert _laiqu(db, "user", "disable", me).returncode == 0
    # Now only "boss" is an active admin: claiming it through the environment is refused.
    for claim in ("boss", "root"):
        refused = _laiqu(db, "user", "list", claim=claim)
        assert refused.returncode == 1, refused.stdout
        assert "不是来去系统的用户或已被停用" in refused.stderr and me in refused.stderr
        assert "Traceback" not in refused.stderr


def test_logname_root_is_not_the_identity(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    nobody = pwd.getpwnam("nobody")
    monkeypatch.setattr(os, "getuid", lambda: nobody.pw_uid)
    for name in NAMES:
        monkeypatch.setenv(name, "root")
    assert os_account() == "nobody"
    ctx = make_context()
    assert ctx.actor == "nobody"
    app = App(f"sqlite:///{tmp_path / 'x.sqlite'}", ctx)
    try:
        assert app.login() == "nobody"
    finally:
        app.close()
