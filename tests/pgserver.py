"""A throw-away PostgreSQL server for the test run and the benchmarks.

Runs Debian's ``initdb``/``pg_ctl`` in a temporary directory with a UTF-8 locale (C.UTF-8:
with LC_CTYPE=C pg_trgm gives Chinese text no trigrams), listening only on a Unix socket in
that directory. PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` user the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def _bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    for path in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(path, "initdb").exists():
            return Path(path)
    raise RuntimeError("PostgreSQL server binaries not found: apt-get install -y postgresql")


class PgServer:
    """Start with ``start()``, get URLs with ``url(dbname)``, stop with ``stop()``."""

    def __init__(self, base: Path | None = None, options: str = "") -> None:
        self.options = options  # more ``-c name=value`` server settings (a bench's)
        self.base = Path(base or tempfile.mkdtemp(prefix="laiqu-pg-"))
        self.data = self.base / "data"
        self.sock = self.base
        self.bin = _bindir()
        self.user: str | None = "postgres" if os.geteuid() == 0 else None
        self.port = 5432

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd="/")

    def start(self) -> PgServer:
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        init = self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-E", "UTF8",
            "--locale=C.UTF-8", "--auth=trust", "-U", "postgres",
        )
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr or init.stdout}")
        opts = (
            f"-c listen_addresses='' -c unix_socket_directories={self.sock} -p {self.port} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 -c shared_buffers=256MB"
        )
        if self.options:
            opts = f"{opts} {self.options}"
        started = self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "log"),
            "-o", opts, "-w", "-t", "60", "start",
        )
        if started.returncode:
            log = (self.base / "log").read_text() if (self.base / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr}{log}")
        deadline = time.monotonic() + 30
        while not (self.sock / f".s.PGSQL.{self.port}").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL socket did not appear")
            time.sleep(0.05)
        return self

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql+psycopg2://{user}@/{dbname}?host={self.sock}&port={self.port}"

    def dsn(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"dbname={dbname} user={user} host={self.sock} port={self.port}"

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.base, ignore_errors=True)
