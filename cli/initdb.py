"""``laiqu init``: create or upgrade the database, the first command on a new machine."""

from __future__ import annotations

import click
from sqlalchemy.exc import OperationalError

from cli.app import App, heads
from cli.errors import Refusal


@click.command("init")
@click.option(
    "--station",
    is_flag=True,
    help="这是派出所（接收上报的）数据库：本库的登记不再排队向上级上报。",
)
@click.pass_obj
def init(app: App, station: bool) -> None:
    """创建或升级数据库（执行全部迁移，alembic upgrade head）。

    可重复运行：已是最新版本时不做改动。前台（旅馆）数据库默认把每条登记排队上报；
    派出所数据库请加 --station。
    """
    from registry.db.schema import upgrade
    from registry.errors import Refused
    from registry.messages import phrase

    try:
        upgrade(app.engine)
    except OperationalError as exc:
        raise Refusal(
            f"无法连接或创建数据库 {app.shown_url}：{exc.orig}。请检查 --db 或 LAIQU_DATABASE_URL。"
        ) from exc
    except Refused as exc:  # a database the registry cannot work in (issue 18: LC_CTYPE)
        raise Refusal(f"数据库不可用：{phrase(str(exc))}。未做任何更改。") from exc
    version = "、".join(heads(app.engine))
    click.echo(f"数据库已就绪：{app.shown_url}（版本 {version}）")
    app.ensure_audit_key()
    admin = _bootstrap_admin(app)
    if admin:
        click.echo(f"已将 {admin} 登记为管理员（admin）：用 laiqu user add 添加其他用户。")
    if station:
        from registry.db.engine import session_factory
        from registry.sync.station import become_station

        with session_factory(app.engine).begin() as session:
            become_station(session)
        click.echo("已设为派出所数据库：本库的登记不再排队上报。")


def _bootstrap_admin(app: App) -> str | None:
    """Register the identity running ``init`` as admin while the registry has no user."""
    from registry.accounts import users
    from registry.db.engine import session_factory

    login = app.login()
    with session_factory(app.engine).begin() as session:
        return login if users.bootstrap_admin(session, app.ctx, login) else None
