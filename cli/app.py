"""``App``, the object every command gets as ``ctx.obj``: database URL, sessions, actor.

The actor is an identity of the registry (``registry.privacy.access``): the database login
(``current_user``) on PostgreSQL, the local account on SQLite. Every session the App hands out
is bound to that user's role and scope, so the core refuses what lies outside it.
"""

from __future__ import annotations

import os
import pwd
import socket
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cli.errors import BUSY, Refusal
from registry.accounts import users
from registry.context import Context
from registry.db import engine as db_engine
from registry.privacy import access


class NotInitialised(Refusal):
    def __init__(self, url: str, option: str = "--db") -> None:
        super().__init__(
            f"数据库 {url} 尚未初始化：请先运行 laiqu init（或用 {option} 指定已初始化的数据库）。"
        )


class App:
    """What every command gets as ``ctx.obj``: the database URL, sessions, and who acts."""

    def __init__(self, url: str, ctx: Context) -> None:
        self.url = url
        self.ctx = ctx
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None

    @property
    def shown_url(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = db_engine.make_engine(self.url)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        """Sessions on an initialised database (``laiqu init`` ran), bound to the acting user;
        else a clear refusal (not initialised, or not a registry user)."""
        if self._sessions is None:
            self._check_initialised()
            self.ctx = self.identify()
            self._sessions = sessionmaker(
                self.engine, expire_on_commit=False, info={access.KEY: self.ctx}
            )
        return self._sessions

    def login(self) -> str:
        """The identity: ``current_user`` on PostgreSQL, the OS account of the process on
        SQLite (``os_account``: the real uid, not the environment)."""
        if self.engine.dialect.name == "postgresql":
            with db_engine.session_factory(self.engine)() as session:
                return users.database_login(session)
        return os_account()

    def identify(self) -> Context:
        """The context acting as the registry user of this identity.

        A read-only database login (``laiqu_reader``, migration 0009) is refused: every read
        of the command line is audited, and such a login cannot write the audit log.
        """
        login = self.login()
        with db_engine.session_factory(self.engine)() as session:
            principal = access.principal_for(session, login)
            if not users.writes_audit(session):
                raise Refusal(
                    f"数据库登录 {login} 是只读的（laiqu_reader）：只能用 SQL 查询本辖区的数据。"
                    "laiqu 命令的每次查看都要记入审计日志，请通过派出所服务使用。"
                )
        return self.ctx.acting_as(principal)

    def ensure_audit_key(self) -> None:
        """Create the audit chain's key file if missing (``laiqu init``) and say where it is.

        Only while the log is empty: a database whose log has entries keeps its key, and a
        missing or foreign key file is refused (``audit.writing_key``), never replaced."""
        from registry.privacy import audit, auditkey

        with self.engine.connect() as conn:
            audit.writing_key(conn)
        path = auditkey.key_path(self.engine.url)
        if path is not None:
            click.echo(f"审计密钥文件：{path}（权限 600；请单独备份，勿与数据库放在同一备份中）")

    def _check_initialised(self) -> None:
        url = make_url(self.url)
        file = url.database if url.get_backend_name() == "sqlite" else None
        if file and file != ":memory:" and not Path(file).exists():
            raise NotInitialised(self.shown_url)
        try:
            revision = heads(self.engine)
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "连接失败"
            if "locked" in reason.lower() or "busy" in reason.lower():
                raise Refusal(BUSY) from exc
            raise Refusal(
                f"无法连接数据库 {self.shown_url}：{reason}。请检查 --db 或 LAIQU_DATABASE_URL。"
            ) from exc
        if not revision:
            raise NotInitialised(self.shown_url)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._sessions = None


def os_account() -> str:
    """The operating-system account the process runs as (its real uid), never $LOGNAME or
    $USER, which anybody sets: on SQLite this is the registry identity."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a uid without a passwd entry (a container)
        return f"uid{os.getuid()}"


def make_context() -> Context:
    """Who acts and from where: the OS account (``os_account``), and $LAIQU_TERMINAL or the
    host name.

    ``LAIQU_NOW`` (an ISO 8601 instant with zone) fixes the clock for tests and replays.
    """
    actor = os_account()
    terminal = os.environ.get("LAIQU_TERMINAL") or socket.gethostname()
    now = os.environ.get("LAIQU_NOW")
    try:
        fixed = datetime.fromisoformat(now) if now else None
    except ValueError:
        raise click.UsageError(
            f"LAIQU_NOW 不是 ISO 8601 时刻（收到 {now!r}），例如 2026-06-15T10:00:00+08:00"
        ) from None
    if fixed is not None and fixed.tzinfo is None:
        raise click.UsageError("LAIQU_NOW 必须带时区，例如 2026-06-15T10:00:00+08:00")
    return Context(actor=actor[:64], terminal=terminal[:64], now_fixed=fixed)


def heads(engine: Engine) -> tuple[str, ...]:
    """The migration revisions the database is at (empty: never initialised).

    Read from Alembic's ``alembic_version`` table directly: importing Alembic costs a tenth of
    a second and only ``laiqu init`` (which migrates) needs it.
    """
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return ()
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return tuple(rows)
