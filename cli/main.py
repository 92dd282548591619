"""The root ``laiqu`` group: database and actor options, error translation, lazy commands.

The commands are listed in one table (``cli.commands.COMMANDS``: name → ``"module:attr"`` and
short help); a command's module is imported when that command runs, so ``laiqu --version`` and
``laiqu --help`` import neither SQLAlchemy nor the registry. Errors the core raises on purpose
become one Chinese line on stderr and exit 1 (``errors.translate``); click's own refusals (an
unknown option, a bad value) are in Chinese too (``cli.i18n``) and exit 2. Under ``main()``, the
console script, a bug is one ``错误：`` line as well (``LAIQU_DEBUG=1`` shows its traceback);
through ``CliRunner`` it keeps its traceback for the tests.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Mapping
from typing import Any

import click

from cli import i18n
from cli.commands import COMMANDS

i18n.install()

ENV_URL = "LAIQU_DATABASE_URL"  # registry.db.engine.ENV_URL, without importing SQLAlchemy
ENV_DEBUG = "LAIQU_DEBUG"


class LazyGroup(click.Group):
    """A group whose commands are imported on first use from a table of ``"module:attr"``.

    ``lazy`` maps a command name to ``(target, short help)``; the listing of ``--help`` uses
    the short help of the table for a command not imported yet.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self._load(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def _load(self, name: str) -> click.Command:
        target = self.lazy[name][0]
        module_name, _, attribute = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:  # a dependency that is not installed here
            from cli.errors import Refusal

            raise Refusal(f"laiqu {name} 暂不可用（{module_name} 无法导入：{exc}）。") from exc
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if name in self.lazy:  # the same listing whether the command was loaded or not
                rows.append((name, self.lazy[name][1]))
            elif command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(200)))
        if rows:
            with formatter.section(i18n.catalogue().gettext("Commands")):
                formatter.write_dl(rows)


class MissingSubcommand(click.UsageError):
    """A group run without its subcommand: its help, then one ``错误：`` line; exit 2."""

    def show(self, file: Any = None) -> None:
        if self.ctx is not None:
            click.echo(self.ctx.get_help(), file=file, err=True)
        click.echo("\n错误：缺少子命令：请从上面列出的命令中选一个。", file=file, err=True)


class LaiquGroup(LazyGroup):
    """The root group: turns the core's refusals into ``ClickException`` for every command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError as exc:
            raise MissingSubcommand("", exc.ctx) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError as exc:
            raise MissingSubcommand("", exc.ctx) from None
        except click.MissingParameter as exc:
            # click ends this one with an ASCII full stop of its own: "缺少选项 '--id'."
            said = exc.format_message()
            said = said[:-1] + "。" if said.endswith(".") else said
            raise click.UsageError(said, exc.ctx) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            from cli.errors import translate

            translated = translate(exc)
            if translated is None:
                raise
            raise translated from exc


@click.group(
    "laiqu",
    cls=LaiquGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--db",
    "url",
    envvar=ENV_URL,
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
    from cli.app import App, make_context
    from registry.db import engine as db_engine

    started()
    app = App(db_engine.resolve_url(url), make_context())
    click_ctx.obj = app
    click_ctx.call_on_close(app.close)


_STARTING = False  # main() runs the start-up without the cyclic garbage collector


def started() -> None:
    """The command's modules are imported: the collector runs again, without the objects of
    the start-up (``gc.freeze``) when ``main`` held it off.

    Importing a command creates some 100,000 objects that live as long as the process
    (modules, functions, classes, SQLAlchemy's tables and mappers); each 700 of them start a
    collection that finds nothing to free: about 140 collections, some 30 ms of every
    command's start-up (issue 19). Only the console script does this: a process that runs the
    group more than once (the tests' ``CliRunner``) keeps its collector as it is.
    """
    global _STARTING
    if _STARTING:
        _STARTING = False
        gc.freeze()
        gc.enable()


def main() -> None:
    """Entry point of the ``laiqu`` console script: no traceback reaches the user."""
    global _STARTING
    if gc.isenabled():
        _STARTING = True
        gc.disable()  # until started(): the start-up's objects are not garbage
    try:
        cli(prog_name="laiqu", standalone_mode=True)
    except Exception as exc:  # a bug: click's standalone mode let it through
        if os.environ.get(ENV_DEBUG, "0") not in ("", "0"):
            raise
        click.echo(
            f"错误：程序内部错误（{type(exc).__name__}），操作可能没有完成。"
            f"请设置环境变量 {ENV_DEBUG}=1 重新运行，把输出交给系统管理员。",
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
