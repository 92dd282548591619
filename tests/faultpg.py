"""A PostgreSQL server of its own that a fault test may stop and start again (data kept).

Unlike the session's server it runs with fsync and synchronous_commit on: an immediate stop
is a crash, and a station must not lose a commit it has acknowledged.
"""

from __future__ import annotations

import time

from pgserver import PgServer


class StoppablePg(PgServer):
    def start(self) -> StoppablePg:
        if self.user:
            import os
            import pwd

            pw = pwd.getpwnam(self.user)
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        init = self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth=trust",
            "-U",
            "postgres",
        )
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr or init.stdout}")
        self.resume()
        return self

    def halt(self) -> None:
        """Stop at once, as a crash or a pulled cable would (the data directory stays)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def resume(self) -> None:
        opts = (
            f"-c listen_addresses='' -c unix_socket_directories={self.sock} -p {self.port} "
            "-c fsync=on -c synchronous_commit=on"
        )
        done = self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.base / "log"),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "start",
        )
        if done.returncode:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr}")
        deadline = time.monotonic() + 30
        while not (self.sock / f".s.PGSQL.{self.port}").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL socket did not come back")
            time.sleep(0.05)
