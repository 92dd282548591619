"""``user add|list|disable``: who may use the registry, with which role and scope (admin)."""

from __future__ import annotations

import os

import click

from cli.app import App
from cli.errors import Refusal
from cli.output import emit, json_option, table
from registry.accounts import users
from registry.db.access_models import RegistryUser
from registry.privacy import access

ROLE_NAMES = {
    "admin": "管理员",
    "coordinator": "协管员",
    "desk": "旅馆前台",
    "intermediary": "中介",
    "analyst": "分析员",
}


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
@click.option("--venue", metavar="V", help="旅馆前台、中介所属的场所（编号或名称）。")
@click.option("--name", help="姓名或说明。")
@click.option(
    "--create-login",
    is_flag=True,
    help="PostgreSQL：同时创建数据库登录名并授予 laiqu_user 权限（密码取自 LAIQU_NEW_PASSWORD）。",
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
    data = _data(added) | {"login_created": created}
    emit(
        as_json,
        data,
        lambda: (
            f"已登记用户 {added.login}：{ROLE_NAMES[added.role]}"
            + (f"，辖区 {added.jurisdiction_code}" if added.jurisdiction_code else "")
            + (f"，场所 {added.venue_id}" if added.venue_id else "")
            + ("；已创建数据库登录名" if created else "")
        ),
    )


@user.command("list")
@json_option
@click.pass_obj
def user_list(app: App, as_json: bool) -> None:
    """列出全部用户。"""
    with app.sessions.begin() as session:
        listed = [_data(u) for u in users.list_users(session, app.ctx)]
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
                    u["venue"],
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


def _data(u: RegistryUser) -> dict[str, object]:
    return {
        "id": u.id,
        "login": u.login,
        "role": u.role,
        "jurisdiction": u.jurisdiction_code,
        "venue": u.venue_id,
        "name": u.name,
        "active": u.active,
    }
