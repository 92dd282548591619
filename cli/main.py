"""The root ``laiqu`` group: database and actor options, error translation, registration.

Commands live in small modules (``places``, ``people``, ``desk``, ``housing``, ``findings``,
``transfer``, ``demo``); the groups other engineers write (``reader``, ``report``,
``permit``, ``rule``) are registered when their module exists. Errors the core raises on
purpose become one Chinese line on stderr and exit 1 (``errors.translate``); a bug keeps its
traceback.
"""

from __future__ import annotations

import importlib
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from cli.app import App, heads, make_context
from cli.errors import Refusal, translate
from registry.db import engine as db_engine

OPTIONAL_GROUPS = {
    "reader": "reader",
    "report": "report",
    "permit": "permit",
    "rules": "rule",
    "overdue": "overdue",
    "users": "user",
    "audit": "audit",
    "purge": "purge",
    "sync": "sync",
}


# Groups whose module exists but could not be imported (a dependency not there yet): why.
UNAVAILABLE: dict[str, str] = {}


class LaiquGroup(click.Group):
    """The root group: turns the core's refusals into ``ClickException`` for every command."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in UNAVAILABLE and cmd_name not in self.commands:
            raise Refusal(f"laiqu {cmd_name} 暂不可用（{UNAVAILABLE[cmd_name]}）。")
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            translated = translate(exc)
            if translated is None:
                raise
            raise translated from exc


@click.group(cls=LaiquGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "url",
    envvar=db_engine.ENV_URL,
    metavar="URL",
    help="数据库地址（SQLAlchemy URL）；默认读取 LAIQU_DATABASE_URL，再默认为本机 SQLite 文件。",
)
@click.version_option(package_name="laiqu", message="laiqu %(version)s", help="显示版本并退出。")
@click.pass_context
def cli(click_ctx: click.Context, url: str | None) -> None:
    """来去（laiqu）：流动人口与出租房屋登记。

    旅馆前台刷身份证登记入住、退房；中介和服务站登记租客迁入迁出、房东房屋、单位从业人员；
    派出所协管员查人、查房、查单位，处理人证、人房、人岗三个比对发现的问题。

    第一次使用先运行 laiqu init 创建数据库；laiqu demo 演示一个完整的样例城市。
    """
    app = App(db_engine.resolve_url(url), make_context())
    click_ctx.obj = app
    click_ctx.call_on_close(app.close)


@cli.command("init")
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

    try:
        upgrade(app.engine)
    except OperationalError as exc:
        raise Refusal(
            f"无法连接或创建数据库 {app.shown_url}：{exc.orig}。请检查 --db 或 LAIQU_DATABASE_URL。"
        ) from exc
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


def _register_commands() -> None:
    from cli import (
        demo,
        desk,
        deskpage,
        finding,
        findings,
        group,
        guests,
        housing,
        people,
        places,
        serve,
        transfer,
    )

    for module in (
        places, people, desk, deskpage, group, housing, findings, transfer, demo, serve,
        finding, guests,
    ):
        for command in module.COMMANDS:
            cli.add_command(command)
    for module_name, group_name in OPTIONAL_GROUPS.items():
        group = _optional_group(module_name, group_name)
        if group is not None:
            cli.add_command(group, group_name)


def _optional_group(module_name: str, group_name: str) -> click.Command | None:
    """The group another engineer's module defines, or None while the module does not exist."""
    try:
        module = importlib.import_module(f"cli.{module_name}")
    except ImportError as exc:
        if not (isinstance(exc, ModuleNotFoundError) and exc.name == f"cli.{module_name}"):
            UNAVAILABLE[group_name] = f"cli/{module_name}.py 无法导入：{exc}"
        return None
    found = getattr(module, group_name, None)
    if isinstance(found, click.Command):
        return found
    for value in vars(module).values():
        if isinstance(value, click.Group) and value.name == group_name:
            return value
    return None


_register_commands()


def main() -> None:
    """Entry point of the ``laiqu`` console script."""
    cli(prog_name="laiqu")


if __name__ == "__main__":
    main()
