"""Who may see and do what: roles scoped to a jurisdiction subtree or a venue (PIPL Art 51).

The acting ``Context`` carries a ``Principal``; a session is bound to it (``bind``) so the
resolvers that turn a reference into a record (``places.resolve_venue`` …, ``find_person``)
can refuse out-of-scope records without a context argument. Unbound sessions and contexts
act as ``SYSTEM`` (library callers, migrations, the demo), which is never refused.

Roles:
- ``admin``: everything, and users and rules (the bootstrap account).
- ``coordinator``: places in the own jurisdiction subtree and the persons linked to them (a
  stay, residence or employment there, at any time, or a registration journaled there).
- ``desk``: the own venue: check in and out, its current guests; at a venue of kind
  ``employer``, the employments of the employer the venue stands for (``stands_for``).
- ``intermediary``: the own venue, the houses it manages and the persons living there; the
  employments at employers of the own venue's jurisdiction and below (``check_employer``).
- ``analyst``: aggregates, reports and masked lists of the own subtree; no single person.

Every refusal is audited (``audit.note``, kept even though the caller rolls back).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, exists, false, func, or_, select, text, true
from sqlalchemy.orm import Session, aliased

from registry.context import Context, Principal
from registry.db.access_models import ManagedHouse, RegistryUser
from registry.db.models import (
    Employer,
    Employment,
    Event,
    House,
    Jurisdiction,
    Person,
    Residence,
    Stay,
    Venue,
)
from registry.errors import NotFound, Refused
from registry.identity.text import same_text_key
from registry.privacy import audit as audit_log

ROLES = ("admin", "coordinator", "desk", "intermediary", "analyst")
PLACE_ROLES = ("coordinator", "analyst")  # scoped by a jurisdiction
VENUE_ROLES = ("desk", "intermediary")  # scoped by a venue
KEY = "laiqu.ctx"  # session.info: the acting context

# What each role may do at all (scope is checked separately); system and admin: everything.
ALLOWED: dict[str, frozenset[str]] = {
    "coordinator": frozenset(
        {
            "place.write",
            "house.add",
            "house.write",
            "person.read",
            "person.write",
            "person.reveal",
            "stay.write",
            "residence.write",
            "employment.write",
            "permit.write",
            "permits.read",
            "findings.read",
            "findings.write",
            "report",
            "export",
        }
    ),
    # employment.write: only at a venue of kind employer (EMPLOYMENT_KINDS, ``require``)
    "desk": frozenset(
        {"person.read", "person.reveal", "stay.write", "person.write", "employment.write"}
    ),
    "intermediary": frozenset(
        {
            "house.add",
            "house.write",
            "person.read",
            "person.reveal",
            "residence.write",
            "person.write",
            "employment.write",
        }
    ),
    "analyst": frozenset({"findings.read", "permits.read", "report"}),
}
ADMIN_ONLY = frozenset({"user.admin", "rules.write", "audit.read", "retention.purge"})
# The venue kinds whose desks register employments (人岗): the employer's own. A hotel or a
# service station hires nobody through its desk; its staff are registered by a coordinator.
EMPLOYMENT_KINDS = {"desk": frozenset({"employer"})}


class OutOfScope(Refused):
    """The acting user's role or scope does not cover the request."""

    message = "out of scope"


def bind(session: Session, ctx: Context) -> None:
    """Make ``ctx`` the acting context of everything done through ``session``."""
    session.info[KEY] = ctx


def acting(session: Session, ctx: Context | None = None) -> Context:
    """The acting context: ``ctx`` (else the one bound to the session), acting as the bound
    principal when that one is restricted.

    The caller's clock, actor and terminal are kept (the station applies a desk's upload at the
    desk's time, in the desk clerk's name); who may do what is always the session's user.
    """
    bound: Context | None = session.info.get(KEY)
    if bound is not None:
        if ctx is None:
            return bound
        if bound.principal.unrestricted or ctx.principal == bound.principal:
            return ctx
        return replace(ctx, principal=bound.principal)
    if ctx is None:
        return _SYSTEM_CTX
    if not ctx.principal.unrestricted:
        bind(session, ctx)
    return ctx


_SYSTEM_CTX = Context(actor="system")


def principal(session: Session, ctx: Context | None = None) -> Principal:
    return acting(session, ctx).principal


def refuse(session: Session, ctx: Context, code: str, text: str, **audit: Any) -> OutOfScope:
    """An ``OutOfScope`` error, audited as a refusal (the entry survives a rollback)."""

    p = ctx.principal
    audit_log.note(
        session,
        ctx,
        "refused",
        f"refused.{code}",
        persons=audit.pop("persons", ()),
        durable=True,
        **audit,
    )
    return OutOfScope(f"out of scope [{code}]: {p.role} {p.login} {text}")


def require(
    session: Session,
    ctx: Context | None,
    action: str,
    *,
    jurisdiction: str | None = None,
    venue: Venue | None = None,
    venues: Iterable[Venue] = (),
    house: House | None = None,
    person: Person | None = None,
) -> Context:
    """Refuse (and audit) unless the acting user may do ``action`` on the given records.

    The one permission check of a use case, at its start: the role's action, then the scope
    of each record named (``OutOfScope``, audited as a durable refusal). Returns the acting
    context (``acting``).
    """
    ctx = acting(session, ctx)
    p = ctx.principal
    if p.unrestricted:
        return ctx
    if action in ADMIN_ONLY or action not in ALLOWED.get(p.role, frozenset()):
        raise refuse(session, ctx, "role", f"may not {action}", wanted=action)
    if action == "employment.write" and p.role in EMPLOYMENT_KINDS:
        check_venue_kind(session, ctx, action, EMPLOYMENT_KINDS[p.role])
    if jurisdiction is not None:
        check_jurisdiction(session, ctx, jurisdiction)
    for each in (venue, *venues) if venue is not None else venues:
        check_venue(session, ctx, each)
    if house is not None:
        check_house(session, ctx, house)
    if person is not None:
        check_person(session, ctx, person)
    return ctx


# --- scope checks ---------------------------------------------------------------------------


def _within(p: Principal, path: str | None) -> bool:
    return p.path is None or (path is not None and path.startswith(p.path))


def _path(session: Session, code: str) -> str | None:
    node = session.get(Jurisdiction, code)
    return node.path if node else None


def jurisdiction_in_scope(session: Session, p: Principal, code: str) -> bool:
    if p.unrestricted:
        return True
    if p.role in PLACE_ROLES:
        return _within(p, _path(session, code))
    return False


def check_jurisdiction(session: Session, ctx: Context, code: str) -> None:
    """Refuse (``OutOfScope``, audited) unless the acting user may act in ``code``."""
    if not jurisdiction_in_scope(session, ctx.principal, code):
        raise refuse(session, ctx, "jurisdiction", f"may not act in {code}", where=code)


def check_venue(session: Session, ctx: Context, venue: Venue) -> None:
    p = ctx.principal
    if p.unrestricted:
        return
    ok = (
        venue.id == p.venue_id
        if p.role in VENUE_ROLES
        else p.role == "coordinator" and _within(p, _path(session, venue.jurisdiction_code))
    )
    if not ok:
        raise refuse(session, ctx, "venue", f"may not use venue {venue.id}", venue=venue.id)


def managed(session: Session, venue_id: uuid.UUID | None, house_id: uuid.UUID) -> bool:
    return venue_id is not None and session.get(ManagedHouse, (house_id, venue_id)) is not None


def check_house(session: Session, ctx: Context, house: House) -> None:
    p = ctx.principal
    if p.unrestricted:
        return
    if p.role == "intermediary":
        ok = managed(session, p.venue_id, house.id)
    else:
        ok = p.role == "coordinator" and _within(p, _path(session, house.jurisdiction_code))
    if not ok:
        raise refuse(session, ctx, "house", f"may not use house {house.id}", house=house.id)


def check_venue_kind(session: Session, ctx: Context, action: str, kinds: frozenset[str]) -> None:
    """Refuse (``OutOfScope`` ``[kind]``, audited) unless the acting user's venue is of one of
    ``kinds``: a hotel desk may not register employments (``EMPLOYMENT_KINDS``)."""
    venue = session.get(Venue, ctx.principal.venue_id) if ctx.principal.venue_id else None
    kind = venue.kind if venue is not None else "none"
    if kind not in kinds:
        raise refuse(
            session, ctx, "kind", f"at a venue of kind {kind} may not {action}", wanted=action
        )


def stands_for(venue: Venue, employer: Employer) -> bool:
    """Whether ``venue`` (of kind ``employer``) is the site of ``employer``: the same name
    (compared as ``same_text_key``) in the same jurisdiction.

    The link needs no column: a registered employer's name is unique in its jurisdiction
    (``places.employers.refuse_same_name``, 企业名称在登记机关辖区内不得相同,
    《企业名称登记管理规定》), and the venue is registered under that name where the employer
    is. A venue of another name (a branch site) stands for no employer: rename it to the
    employer's registered name."""
    return (
        venue.kind == "employer"
        and venue.jurisdiction_code == employer.jurisdiction_code
        and same_text_key(venue.name) == same_text_key(employer.name)
    )


def _under(session: Session, code: str, top: str) -> bool:
    """Whether jurisdiction ``code`` is ``top`` or lies under it."""
    path, top_path = _path(session, code), _path(session, top)
    return path is not None and top_path is not None and path.startswith(top_path)


def check_employer(session: Session, ctx: Context, employer: Employer) -> None:
    """Refuse (``OutOfScope`` ``[employer]``, audited) unless the acting user may see and
    register employments at ``employer``:

    - a coordinator: an employer of the own subtree;
    - a desk: the employer its venue (of kind ``employer``) stands for (``stands_for``), and
      only that one: the employer registers its own hires and terminations within 3 working
      days (domain-rules.md, 人岗 matching: "employer; ... letting/job intermediary — 3
      working days after hiring, and after termination");
    - an intermediary: an employer of the own venue's jurisdiction or a jurisdiction under
      it, where the same rule makes a job intermediary register the employment it
      introduced (a letting intermediary is held to the houses entrusted to it instead, as
      a tenancy names one house; a job introduction names no record the registry keeps
      before it, so the venue's jurisdiction is its scope).
    """
    p = ctx.principal
    if p.unrestricted:
        return
    if p.role in VENUE_ROLES:
        venue = session.get(Venue, p.venue_id) if p.venue_id else None
        ok = venue is not None and (
            stands_for(venue, employer)
            if p.role == "desk"
            else _under(session, employer.jurisdiction_code, venue.jurisdiction_code)
        )
    else:
        ok = p.role == "coordinator" and _within(p, _path(session, employer.jurisdiction_code))
    if not ok:
        raise refuse(
            session, ctx, "employer", f"may not use employer {employer.id}", employer=employer.id
        )


def check_person(session: Session, ctx: Context, person: Person) -> None:
    p = ctx.principal
    if p.unrestricted:
        return
    visible = p.role != "analyst" and session.scalar(
        select(Person.id).where(Person.id == person.id, persons_clause(session, p, Person.id))
    )
    if not visible:
        raise refuse(session, ctx, "person", "may not see this person", persons=[person.id])


# --- filters for list queries ---------------------------------------------------------------


def subtree(p: Principal) -> Any:
    """The jurisdiction codes of the principal's subtree (a subquery); the path is escaped, so
    a code's characters are never LIKE wildcards."""
    return select(Jurisdiction.code).where(
        Jurisdiction.path.startswith(p.path or "/", autoescape=True)
    )


def places_clause(p: Principal, column: Any) -> ColumnElement[bool]:
    """Rows whose jurisdiction ``column`` lies in the principal's scope."""
    if p.unrestricted or (p.role in PLACE_ROLES and p.path is None):
        return true()
    if p.role in PLACE_ROLES:
        return column.in_(subtree(p))
    return column.in_(select(Venue.jurisdiction_code).where(Venue.id == p.venue_id))


def houses_clause(p: Principal) -> ColumnElement[bool]:
    """Houses the principal may see: its subtree's, or an intermediary's entrusted ones."""
    if p.unrestricted:
        return true()
    if p.role == "intermediary":
        entrusted = select(ManagedHouse.house_id).where(ManagedHouse.venue_id == p.venue_id)
        return House.id.in_(entrusted)
    if p.role in PLACE_ROLES:
        return places_clause(p, House.jurisdiction_code)
    return false()


def employers_clause(p: Principal) -> ColumnElement[bool]:
    """Employers the principal may see: those of its subtree (coordinators, analysts), of its
    venue's jurisdiction and those under it (intermediaries), or the one of its employer
    venue's name and jurisdiction (desks; ``check_employer`` compares the names folded, this
    clause exactly)."""
    if p.unrestricted:
        return true()
    if p.role in PLACE_ROLES:
        return places_clause(p, Employer.jurisdiction_code)
    if p.role == "intermediary":
        own, under = aliased(Jurisdiction), aliased(Jurisdiction)
        return exists().where(
            Venue.id == p.venue_id,
            own.code == Venue.jurisdiction_code,
            under.code == Employer.jurisdiction_code,
            func.substr(under.path, 1, func.length(own.path)) == own.path,
        )
    if p.role == "desk":
        return exists().where(
            Venue.id == p.venue_id,
            Venue.kind == "employer",
            Venue.jurisdiction_code == Employer.jurisdiction_code,
            Venue.name == Employer.name,
        )
    return false()


def venues_clause(p: Principal) -> ColumnElement[bool]:
    """Venues the principal may see: its own (desk, intermediary) or its subtree's."""
    if p.unrestricted:
        return true()
    if p.role in VENUE_ROLES:
        return Venue.id == p.venue_id
    return places_clause(p, Venue.jurisdiction_code)


def visible_clause(session: Session, model: type) -> ColumnElement[bool] | None:
    """The rows of ``model`` (``House``, ``Employer`` or ``Venue``) the user the session is
    bound to may see, for a resolver's candidates; None for an unbound or unrestricted
    session (everything)."""
    ctx: Context | None = session.info.get(KEY)
    if ctx is None or ctx.principal.unrestricted:
        return None
    clauses = {House: houses_clause, Employer: employers_clause, Venue: venues_clause}
    return clauses[model](ctx.principal)


def persons_clause(session: Session, p: Principal, column: Any) -> ColumnElement[bool]:
    """Person ids (``column``) the principal may see one by one."""
    if p.unrestricted:
        return true()
    if p.role == "desk":
        return exists().where(
            Stay.person_id == column, Stay.venue_id == p.venue_id, Stay.checked_out_at.is_(None)
        )
    if p.role == "intermediary":
        return exists().where(
            Residence.person_id == column,
            Residence.house_id.in_(
                select(ManagedHouse.house_id).where(ManagedHouse.venue_id == p.venue_id)
            ),
        )
    if p.role == "coordinator":
        codes = subtree(p)
        return or_(
            exists().where(Stay.person_id == column, Stay.jurisdiction_code.in_(codes)),
            exists().where(Residence.person_id == column, Residence.jurisdiction_code.in_(codes)),
            exists().where(Employment.person_id == column, Employment.jurisdiction_code.in_(codes)),
            exists().where(Event.person_id == column, Event.jurisdiction_code.in_(codes)),
        )
    return column.is_(None)  # analyst: nobody one by one


# --- users ----------------------------------------------------------------------------------


def load(session: Session, login: str) -> Principal | None:
    """The active registry user with this login as a principal (None: not registered, disabled,
    or scoped to a jurisdiction that is not there)."""
    user = session.scalar(select(RegistryUser).where(RegistryUser.login == login))
    if user is None or not user.active:
        return None
    path = _path(session, user.jurisdiction_code) if user.jurisdiction_code else None
    if user.jurisdiction_code and path is None:
        return None  # its jurisdiction is gone: no scope rather than the whole registry
    return Principal(login, user.role, user.jurisdiction_code, path, user.venue_id)


def users_exist(session: Session) -> bool:
    """Whether any user is registered (on PostgreSQL past row-level security)."""
    if session.get_bind().dialect.name == "postgresql":
        return bool(session.scalar(text("SELECT laiqu_users_exist()")))
    return session.scalar(select(RegistryUser.id).limit(1)) is not None


def principal_for(session: Session, login: str) -> Principal:
    """Who ``login`` is in the registry; ``SYSTEM``-like admin while no user is registered."""
    found = load(session, login)
    if found is not None:
        return found
    if not users_exist(session):
        return Principal(login, "system")
    raise NotFound(f"user {login} is not a registry user or is disabled")


def sees_every_person(session: Session) -> bool:
    """Whether row-level security cannot hide a person from this session: always, since
    migration 0009. SQLite has none; on PostgreSQL only the read-only ``laiqu_reader`` logins
    are scoped by it, and they cannot register anyone (no INSERT, and the command line refuses
    them); the service, admins and the owner see every row and the core scopes the user."""
    return True


def present(session: Session, id_key: str) -> None:
    """Formerly told PostgreSQL's row-level security which person a desk was looking up
    (``laiqu.presented``). Since migration 0009 no policy trusts a setting the client can set
    and desks have no database login: a no-op, kept for its callers."""


T = TypeVar("T")


def guard(session: Session, check: Callable[[Session, Context, T], None], record: T) -> T:
    """``record`` if the user the session is bound to may use it; else refused and audited."""
    ctx: Context | None = session.info.get(KEY)
    if ctx is not None and not ctx.principal.unrestricted:
        check(session, ctx, record)
    return record
