"""Where a desk's uploads go: the station service over HTTP(S), or (admin only) the station's
database itself. Shared by ``laiqu sync push`` and ``laiqu frontdesk --station``.

The HTTP client (``service.client``, httpx) is imported only when an ``https://`` station is
used; a database URL is accepted only when the identity it connects as is a registry admin
there (design.md "Deployment": field devices never hold a database login).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import text

from cli.app import App, NotInitialised, heads
from cli.errors import Refusal
from registry.db.engine import make_engine, session_factory
from registry.errors import NotFound
from registry.privacy import access
from registry.sync.push import Transport

PASSWORD_ENV = "LAIQU_STATION_PASSWORD"
F = TypeVar("F", bound=Callable[..., Any])


def station_options(f: F) -> F:
    """``--user``, ``--token-file`` and ``--ca-file`` for an HTTP(S) station."""
    f = click.option(
        "--ca-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        metavar="FILE",
        help="派出所服务的 CA 证书（PEM），用于校验其 HTTPS 证书（默认系统信任的 CA）。",
    )(f)
    f = click.option(
        "--token-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        metavar="FILE",
        help="保存设备令牌（laiqu user token 签发）的文件。",
    )(f)
    f = click.option(
        "--user",
        "station_user",
        metavar="LOGIN",
        help=f"派出所服务的登录名；密码取自环境变量 {PASSWORD_ENV}。",
    )(f)
    return f


def is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def open_station(
    app: App,
    url: str,
    user: str | None,
    token_file: Path | None,
    ca_file: Path | None,
) -> str | Transport:
    """The transport for ``url``: ``HttpStation`` for http(s), else the database URL itself
    after checking that its identity is an admin of that registry."""
    if not is_http(url):
        _require_station_database(url)
        _require_admin(app, url)
        return url
    from service.client import HttpStation

    token = _token(token_file) if token_file else None
    password = os.environ.get(PASSWORD_ENV)
    if not token and not (user and password):
        raise Refusal(
            f"经派出所服务上报需要凭据：请用 --token-file 给出设备令牌文件，"
            f"或用 --user 给出登录名并在环境变量 {PASSWORD_ENV} 中给出密码。"
        )
    return HttpStation(
        url, user=user, password=password, token=token, ca_file=str(ca_file) if ca_file else None
    )


def _token(path: Path) -> str:
    """The device token in ``path`` (``laiqu user token --out``); refused when the file
    cannot be read or holds no token."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "不是文本文件"
        raise Refusal(f"无法读取设备令牌文件 {path}：{reason}。请检查 --token-file。") from exc
    if not token:
        raise Refusal(
            f"设备令牌文件 {path} 是空的：请放入管理员签发的设备令牌（laiqu user token）。"
        )
    return token


def _require_station_database(url: str) -> None:
    """A usage error (exit 2) for an empty or malformed ``--to``; a refusal for a database
    that was never initialised, before anything connects (SQLite would create the file).

    Raises ``click.BadParameter`` or ``NotInitialised``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not url.strip():
        raise click.BadParameter(
            "不能为空：请给出派出所服务地址（https://主机:端口）或派出所数据库地址。",
            param_hint="--to",
        )
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise click.BadParameter(
            f"{url} 既不是服务地址（https://主机:端口）也不是数据库地址。", param_hint="--to"
        ) from exc
    shown = parsed.render_as_string(hide_password=True)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if parsed.get_backend_name() == "sqlite" and (
        not file or (file != ":memory:" and not Path(file).exists())
    ):
        raise NotInitialised(shown, "--to")


def _require_admin(app: App, url: str) -> None:
    engine = make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                login = str(conn.execute(text("SELECT current_user")).scalar_one())
        else:
            login = app.ctx.actor
        if not heads(engine):
            raise NotInitialised(engine.url.render_as_string(hide_password=True), "--to")
        with session_factory(engine)() as session:
            principal = access.principal_for(session, login)
    except NotFound:
        principal = None
    except Exception as exc:  # unreachable, not initialised: the push reports it as usual
        if type(exc).__module__.startswith("sqlalchemy"):
            return
        raise
    finally:
        engine.dispose()
    if principal is None or not principal.unrestricted:
        raise Refusal(
            "直接写入派出所数据库只限派出所管理员：请改用 --to https://派出所服务地址，"
            "并用 --user 或 --token-file 登录派出所服务。未做任何更改。"
        )
