"""Registry users (the identities that act: database logins, OS accounts; API credentials in
``credentials``): adding, disabling and listing them, and read-only database logins; admin only."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.access_models import RegistryUser
from registry.db.models import Jurisdiction, Venue
from registry.errors import InvalidInput, NotFound, Refused
from registry.identity.text import fields
from registry.privacy import journal
from registry.privacy.access import PLACE_ROLES, ROLES, VENUE_ROLES, require, users_exist

_LOGIN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def add_user(
    session: Session,
    ctx: Context,
    login: str,
    role: str,
    *,
    jurisdiction: str | None = None,
    venue: str | None = None,
    name: str | None = None,
) -> RegistryUser:
    """Register an identity (database login or OS account) with a role and a scope."""
    from registry.places.venues import venue_by_ref
    ctx = require(session, ctx, "user.admin")
    fields(login=(login, RegistryUser.login), user_name=(name, RegistryUser.name))
    login = login.strip()
    if not login or len(login) > 64:
        raise InvalidInput("a user needs a login of at most 64 characters")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "coordinator" and not jurisdiction:
        raise InvalidInput("a coordinator needs a jurisdiction")
    if role in VENUE_ROLES and not venue:
        raise InvalidInput(f"a {role} user needs a venue")
    if session.scalar(select(RegistryUser.id).where(RegistryUser.login == login)) is not None:
        raise Refused(f"user {login} already exists")
    if jurisdiction and session.get(Jurisdiction, jurisdiction) is None:
        raise NotFound(f"jurisdiction {jurisdiction} is not registered")
    venue_id = venue_by_ref(session, venue).id if venue and role in VENUE_ROLES else None
    user = RegistryUser(
        id=uuid.uuid4(),
        login=login,
        role=role,
        jurisdiction_code=jurisdiction if role in PLACE_ROLES else None,
        venue_id=venue_id,
        name=name,
        active=True,
        created_at=ctx.now(),
        created_by=ctx.actor,
    )
    session.add(user)
    journal.record(
        session, ctx, "user.added", "user", user.id, login=login, role=role, venue=venue_id
    )
    return user


def disable_user(session: Session, ctx: Context, login: str) -> RegistryUser:
    """Disable a user: the identity is refused from now on; the record and audit stay."""
    return _switch(session, ctx, login, active=False)


def enable_user(session: Session, ctx: Context, login: str) -> RegistryUser:
    """Enable a disabled user again: the identity is accepted from now on (journaled)."""
    return _switch(session, ctx, login, active=True)


def _switch(session: Session, ctx: Context, login: str, *, active: bool) -> RegistryUser:
    """Set a user active or not (admin only, journaled); ``NotFound``, or ``Refused`` when
    the user is in that state already."""
    ctx = require(session, ctx, "user.admin")
    user = session.scalar(select(RegistryUser).where(RegistryUser.login == login.strip()))
    if user is None:
        raise NotFound(f"user {login} is not registered")
    if user.active == active:
        raise Refused(f"user {login} is already {'enabled' if active else 'disabled'}")
    user.active, user.disabled_at = active, None if active else ctx.now()
    action = "user.enabled" if active else "user.disabled"
    journal.record(session, ctx, action, "user", user.id, login=user.login)
    return user


def list_users(session: Session, ctx: Context) -> list[tuple[RegistryUser, Venue | None]]:
    """Every user by login, each with the venue a desk or intermediary user is bound to (None
    for the others), so a list can print the venue's name and reference. Admins only
    (``OutOfScope`` otherwise)."""
    require(session, ctx, "user.admin")
    query = (
        select(RegistryUser, Venue)
        .outerjoin(Venue, Venue.id == RegistryUser.venue_id)
        .order_by(RegistryUser.login)
    )
    return [(user, venue) for user, venue in session.execute(query)]


# The database group a login of each role joins (migration 0009); desks and intermediaries
# have none: they reach the station service with API credentials.
LOGIN_GROUPS = {"admin": "laiqu_service", "coordinator": "laiqu_reader", "analyst": "laiqu_reader"}


def create_login(session: Session, ctx: Context, login: str, password: str | None) -> bool:
    """On PostgreSQL, create the login role (if missing) of a registered user and grant it
    its group: ``laiqu_service`` for an admin, read-only ``laiqu_reader`` for a coordinator or
    an analyst.

    Returns False on SQLite, where the identity is the local account. Refused for desk and
    intermediary users (no database login: API credentials of the station service), and
    ``NotFound`` for a login no user has. The acting login needs CREATEROLE.
    """
    require(session, ctx, "user.admin")
    if session.get_bind().dialect.name != "postgresql":
        return False
    if not _LOGIN.match(login):
        raise InvalidInput("a database login is lower-case letters, digits and _")
    user = session.scalar(select(RegistryUser).where(RegistryUser.login == login))
    if user is None:
        raise NotFound(f"user {login} is not registered")
    group = LOGIN_GROUPS.get(user.role)
    if group is None:
        raise Refused(f"a {user.role} user has no database login: it uses API credentials")
    conn = session.connection()
    exists_already = conn.exec_driver_sql(
        "SELECT 1 FROM pg_roles WHERE rolname = %(login)s", {"login": login}
    ).scalar()
    if not exists_already:
        conn.exec_driver_sql(f'CREATE ROLE "{login}" LOGIN')
    if password:
        conn.exec_driver_sql(f'ALTER ROLE "{login}" PASSWORD %(pw)s', {"pw": password})
    conn.exec_driver_sql(f'GRANT {group} TO "{login}"')
    return True




def bootstrap_admin(session: Session, ctx: Context, login: str) -> bool:
    """Register ``login`` (the identity running ``laiqu init``) as the first admin while the
    registry has no user at all; False when users exist already (nothing done)."""
    if users_exist(session):
        return False
    add_user(session, ctx, login, "admin", name="初始化管理员")
    return True


def database_login(session: Session) -> str:
    """The PostgreSQL login of the session (``current_user``): the identity of a command run
    straight against a station database (an admin, or a read-only login)."""
    return str(session.scalar(text("SELECT current_user")))


def writes_audit(session: Session) -> bool:
    """Whether this session may append to the audit log; a read-only login
    (``laiqu_reader``, migration 0009) may not, so it cannot use the audited use cases.
    Always true on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT has_table_privilege('audit_log', 'INSERT')")))
