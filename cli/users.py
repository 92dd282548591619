"""``user add|list|disable|password|token|revoke-token``: who may use the registry, with which
role and scope, and their credentials for the station service (admin)."""

from __future__ import annotations

import os

import click

from cli.app import App
from cli.errors import Refusal
from cli.output import emit, json_option, table
from cli.params import VENUE_HELP
from registry.accounts import credentials, users
from registry.db.access_models import RegistryUser
from registry.db.idrefs import short
from registry.db.models import Venue
from registry.messages import WORDS
from registry.places import venues
from registry.privacy import access

ROLE_NAMES = {role: WORDS[role] for role in access.ROLES}  # intermediary: 租房中介


@click.group("user")
def user() -> None:
    """登记来去系统的用户：身份（PostgreSQL 登录名或本机账户）、角色和权限范围（管理员）。"""


@user.command("add")
@click.argument("login")
@click.option(
    "--role",
    required=True,
    type=click.Choice(access.ROLES),
    help="角色：admin、coordinator、desk、intermediary、analyst。",
)
@click.option("--jurisdiction", metavar="CODE", help="协管员、分析员的辖区（含下级）。")
@click.option("--venue", metavar="V", help="旅馆前台、中介所属的" + VENUE_HELP)
@click.option("--name", help="姓名或说明。")
@click.option(
    "--create-login",
    is_flag=True,
    help=(
        "PostgreSQL：同时创建数据库登录名（密码取自 LAIQU_NEW_PASSWORD）：协管员和分析员加入只读的"
        " laiqu_reader 组，管理员加入 laiqu_service 组；前台和中介不能有数据库登录。"
    ),
)
@json_option
@click.pass_obj
def user_add(
    app: App,
    login: str,
    role: str,
    jurisdiction: str | None,
    venue: str | None,
    name: str | None,
    create_login: bool,
    as_json: bool,
) -> None:
    """登记一个用户及其角色和权限范围。"""
    with app.sessions.begin() as session:
        added = users.add_user(
            session, app.ctx, login, role, jurisdiction=jurisdiction, venue=venue, name=name
        )
        created = False
        if create_login:
            created = users.create_login(
                session, app.ctx, added.login, os.environ.get("LAIQU_NEW_PASSWORD")
            )
            if not created:
                raise Refusal("--create-login 只适用于 PostgreSQL；SQLite 的身份是本机账户。")
        place = venues.venue_by_ref(session, str(added.venue_id)) if added.venue_id else None
        data = _data(added, place) | {"login_created": created}
    emit(
        as_json,
        data,
        lambda: (
            f"已登记用户 {added.login}：{ROLE_NAMES[added.role]}"
            + (f"，辖区 {added.jurisdiction_code}" if added.jurisdiction_code else "")
            + (f"，场所 {data['venue_name']} [{data['venue_ref']}]" if added.venue_id else "")
            + ("；已创建数据库登录名" if created else "")
        ),
    )


@user.command("list")
@json_option
@click.pass_obj
def user_list(app: App, as_json: bool) -> None:
    """列出全部用户。"""
    with app.sessions.begin() as session:
        listed = [_data(u, v) for u, v in users.list_users(session, app.ctx)]
    emit(
        as_json,
        listed,
        lambda: table(
            ["身份", "角色", "辖区", "场所", "状态", "姓名"],
            [
                [
                    u["login"],
                    ROLE_NAMES[u["role"]],
                    u["jurisdiction"],
                    f"{u['venue_name']} [{u['venue_ref']}]" if u["venue"] else "",
                    "在用" if u["active"] else "已停用",
                    u["name"],
                ]
                for u in listed
            ],
        ),
    )


@user.command("disable")
@click.argument("login")
@click.pass_obj
def user_disable(app: App, login: str) -> None:
    """停用一个用户（记录和审计日志保留）。"""
    with app.sessions.begin() as session:
        users.disable_user(session, app.ctx, login)
    click.echo(f"已停用用户 {login}。")


@user.command("enable")
@click.argument("login")
@click.pass_obj
def user_enable(app: App, login: str) -> None:
    """重新启用一个已停用的用户（管理员；记入变更日志）。"""
    with app.sessions.begin() as session:
        users.enable_user(session, app.ctx, login)
    click.echo(f"已重新启用用户 {login}。")


@user.command("password")
@click.argument("login")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="从标准输入读取密码（一行），用于脚本；否则在终端提示输入两次。",
)
@click.pass_obj
def user_password(app: App, login: str, password_stdin: bool) -> None:
    """设置用户访问派出所服务的密码（HTTP Basic 登录；只保存 argon2 散列）。"""
    if password_stdin:
        password = click.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "新密码", hide_input=True, confirmation_prompt="再输入一次", err=True
        )
    with app.sessions.begin() as session:
        credentials.set_password(session, app.ctx, login, password)
    click.echo(f"已设置用户 {login} 的服务密码。")


@user.command("token")
@click.argument("login")
@click.option("--device", required=True, metavar="NAME", help="设备名称，例如 前台1号机。")
@click.pass_obj
def user_token(app: App, login: str, device: str) -> None:
    """为用户的一台设备签发访问令牌（只显示这一次，库中只存其散列）。"""
    with app.sessions.begin() as session:
        token = credentials.issue_token(session, app.ctx, login, device)
    click.echo(
        f"已为用户 {login} 的设备“{device.strip()}”签发令牌（只显示这一次，请妥善保存）：",
        err=True,
    )
    click.echo(token)


@user.command("revoke-token")
@click.argument("login")
@click.option("--device", required=True, metavar="NAME", help="要吊销令牌的设备名称。")
@click.pass_obj
def user_revoke_token(app: App, login: str, device: str) -> None:
    """吊销用户某台设备的访问令牌：从下一次请求起拒绝。"""
    with app.sessions.begin() as session:
        count = credentials.revoke_token(session, app.ctx, login, device)
    click.echo(f"已吊销用户 {login} 设备“{device.strip()}”的 {count} 个令牌。")


def _data(u: RegistryUser, venue: Venue | None = None) -> dict[str, object]:
    """A user as ``--json`` gives it; ``venue_ref`` is the reference ``venue show|update`` and
    ``--venue`` take (the first 8 characters of the venue's id), with the venue's name."""
    return {
        "id": u.id,
        "login": u.login,
        "role": u.role,
        "jurisdiction": u.jurisdiction_code,
        "venue": u.venue_id,
        "venue_ref": short(u.venue_id) if u.venue_id else None,
        "venue_name": venue.name if venue else None,
        "name": u.name,
        "active": u.active,
    }
