"""Residence-permit figures of the monthly report, read only when the permit tables exist.

The permit tables (``registry.db.rules_models``: ``permits``, ``permit_endorsements``) come
with issue #3. A database migrated before them, or a build without that module, gives
``None`` and the report says 暂无数据.

Definitions, for the month [first, after) with month end ``last`` = after - 1 day:
- issued: permits with ``issued_on`` in the month;
- endorsed: endorsements with ``endorsed_on`` in the month (``endorsed_late``: of them late);
- due: permits whose anniversary falls in the next month, so the endorsement window is this
  month: open permits with ``due_on`` in [after, after + 1 month), plus endorsements already
  made for such an anniversary;
- suspended at month end: permits past their anniversary without an endorsement on ``last``
  (``due_on`` <= last and not revoked), plus late endorsements made after ``last`` whose
  suspension had begun by then;
- valid at month end: issued by ``last``, not revoked, not suspended.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, inspect, or_, select
from sqlalchemy.orm import Session

from registry.db.models import Jurisdiction


@dataclass(frozen=True)
class PermitFigures:
    issued: int
    endorsed: int
    endorsed_late: int
    due: int
    suspended: int
    valid: int


def _models() -> tuple[Any, Any] | None:
    try:
        module = importlib.import_module("registry.db.rules_models")
    except ModuleNotFoundError:
        return None
    permit, endorsement = getattr(module, "Permit", None), getattr(module, "Endorsement", None)
    if permit is None or endorsement is None:
        return None
    return permit, endorsement


def available(session: Session) -> tuple[Any, Any] | None:
    """The permit models, if the code has them and the database has their tables."""
    models = _models()
    if models is None:
        return None
    names = {m.__tablename__ for m in models}
    checker = inspect(session.connection())
    if not all(checker.has_table(name) for name in names):
        return None
    return models


def permit_figures(
    session: Session, root_path: str, first: date, after: date
) -> PermitFigures | None:
    models = available(session)
    if models is None:
        return None
    permit, endorsement = models
    last = date.fromordinal(after.toordinal() - 1)
    following = _next_month(after)
    codes = select(Jurisdiction.code).where(
        Jurisdiction.path.startswith(root_path, autoescape=True)
    )
    open_on_last = and_(
        permit.issued_on <= last, or_(permit.revoked_on.is_(None), permit.revoked_on > last)
    )
    p_in = permit.jurisdiction_code.in_(codes)
    e_in = endorsement.jurisdiction_code.in_(codes)

    def count(model: Any, *where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    issued = count(permit, p_in, permit.issued_on >= first, permit.issued_on < after)
    endorsed = count(
        endorsement, e_in, endorsement.endorsed_on >= first, endorsement.endorsed_on < after
    )
    endorsed_late = count(
        endorsement,
        e_in,
        endorsement.endorsed_on >= first,
        endorsement.endorsed_on < after,
        endorsement.late.is_(True),
    )
    due = count(
        permit, p_in, open_on_last, permit.due_on >= after, permit.due_on < following
    ) + count(
        endorsement, e_in, endorsement.anniversary >= after, endorsement.anniversary < following
    )
    suspended = count(permit, p_in, open_on_last, permit.due_on <= last) + count(
        endorsement,
        e_in,
        endorsement.late.is_(True),
        endorsement.suspended_from <= last,
        endorsement.endorsed_on > last,
    )
    valid = max(count(permit, p_in, open_on_last) - suspended, 0)
    return PermitFigures(issued, endorsed, endorsed_late, due, suspended, valid)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
