"""Employers (by unified social credit code, GB 32100): registration, updates and the resolver."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Employer
from registry.errors import Ambiguous, InvalidInput, Refused
from registry.identity.ids import validate_uscc
from registry.identity.text import fields, same_text_key
from registry.matching import checks
from registry.places.common import Changed, by_ref, check_count, check_industry
from registry.places.jurisdictions import get_jurisdiction
from registry.privacy import access, journal


def add_employer(
    session: Session,
    ctx: Context,
    name: str,
    uscc: str,
    jurisdiction: str,
    *,
    headcount: int | None = None,
    industry: str | None = None,
    address: str | None = None,
) -> Changed[Employer]:
    """Register an employer; one known only from employment reports becomes registered."""
    fields(
        employer_name=(name, Employer.name),
        industry=(industry, Employer.industry),
        address=(address, Employer.address),
    )
    code = validate_uscc(uscc)
    check_count("headcount", headcount)
    industry = check_industry(industry)
    if not name.strip():
        raise InvalidInput("an employer needs a name")
    get_jurisdiction(session, jurisdiction)
    access.require(session, ctx, "place.write", jurisdiction=jurisdiction)
    existing = session.scalar(select(Employer).where(Employer.uscc == code))
    if existing is None:
        existing = session.scalar(
            select(Employer).where(Employer.name == name.strip(), Employer.registered.is_(False))
        )
    if existing is not None and existing.registered:
        raise Refused(f"an employer with credit code {code} is already registered")
    refuse_same_name(session, name, jurisdiction, other_than=existing.id if existing else None)
    employer = existing or Employer(id=uuid.uuid4(), created_at=ctx.now())
    employer.name, employer.uscc, employer.jurisdiction_code = name.strip(), code, jurisdiction
    employer.headcount, employer.industry, employer.address = headcount, industry, address
    employer.registered = True
    if existing is None:
        session.add(employer)
    journal.record(
        session,
        ctx,
        "employer.registered",
        "employer",
        employer.id,
        jurisdiction=jurisdiction,
        headcount=headcount,
    )
    session.flush()
    found = checks.refresh(session, ctx, checks.Scope(employers={employer.id}))
    return Changed(employer, found)


def refuse_same_name(
    session: Session, name: str, jurisdiction: str, other_than: uuid.UUID | None = None
) -> None:
    """``Refused`` when another registered employer of the jurisdiction has the name (compared
    as ``same_text_key``): a name identifies one employer where it is registered (企业名称在
    登记机关辖区内不得相同, 《企业名称登记管理规定》), and ``employer update NAME`` must
    name one."""
    key = same_text_key(name)
    query = select(Employer).where(
        Employer.jurisdiction_code == jurisdiction, Employer.registered.is_(True)
    )
    for other in session.scalars(query):
        if other.id != other_than and same_text_key(other.name) == key:
            raise Refused(
                f"employer {other.name} is registered in {jurisdiction} already "
                f"({other.id.hex[:8]}); update or merge it instead"
            )


def update_employer(
    session: Session,
    ctx: Context,
    ref: str,
    *,
    headcount: int | None = None,
    name: str | None = None,
    industry: str | None = None,
    address: str | None = None,
) -> Changed[Employer]:
    """Change an employer's declared headcount, name, industry section (GB/T 4754) or
    address; journalled (``employer.updated``), audited, findings re-checked. ``InvalidInput``
    when nothing changes or a value is wrong; ``NotFound``/``Ambiguous``/``OutOfScope``."""
    access.require(session, ctx, "place.write")
    employer = resolve_employer(session, ref)
    check_count("headcount", headcount)
    changes: dict[str, object] = {}
    if headcount is not None:
        employer.headcount = changes["headcount"] = headcount
    fields(employer_name=(name, Employer.name), address=(address, Employer.address))
    if name is not None and " ".join(name.split()) != employer.name:
        if not name.strip():
            raise InvalidInput("an employer needs a name")
        refuse_same_name(session, name, employer.jurisdiction_code, other_than=employer.id)
        changes["name_before"], employer.name = employer.name, " ".join(name.split())
        changes["name"] = employer.name
    if industry is not None:
        employer.industry = changes["industry"] = check_industry(industry)
    if address is not None:
        employer.address = address.strip() or None
        changes["address"] = "set" if employer.address else "cleared"
    if not changes:
        raise InvalidInput("no change given: give a headcount, name, industry or address")
    journal.record(
        session,
        ctx,
        "employer.updated",
        "employer",
        employer.id,
        jurisdiction=employer.jurisdiction_code,
        **changes,
    )
    session.flush()
    return Changed(employer, checks.refresh(session, ctx, checks.Scope(employers={employer.id})))


def resolve_employer(session: Session, ref: str) -> Employer:
    """An employer by id, id prefix (8 or more characters), credit code or exact name
    (``employer_by_ref``), refused (``OutOfScope``, audited) outside the bound user's scope."""
    return access.guard(session, access.check_employer, employer_by_ref(session, ref))


def employer_by_ref(session: Session, ref: str) -> Employer:
    """An employer by its id, credit code, exact name or an id prefix of 8 or more characters
    (as lists print it), through the places' one resolver (``common.by_ref``); no scope
    check. Raises ``NotFound`` and ``Ambiguous`` (a shared name, or a prefix of several)."""

    def by_code_or_name(text: str) -> Employer | None:
        by_code = session.scalar(select(Employer).where(Employer.uscc == text.upper()))
        if by_code is not None:
            return by_code
        matches: Sequence[Employer] = session.scalars(
            select(Employer).where(Employer.name == text).limit(2)
        ).all()
        if len(matches) > 1:
            raise Ambiguous(f"{len(matches)} employers are named {text!r}; use the credit code")
        return matches[0] if matches else None

    return by_ref(
        session, Employer, ref, kind="employer", label=lambda e: e.name, natural=by_code_or_name
    )
