"""The coordinator's work list: run the matchings over a jurisdiction subtree and list what
is open, each finding with its person (``laiqu check``, the demo, the service's findings)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Finding, Person
from registry.matching import checks
from registry.progress import Progress


@dataclass(frozen=True)
class Worklist:
    opened: list[Finding]  # found by this run
    findings: list[tuple[Finding, Person | None]]  # everything open, by code and age
    any_resolved: bool  # some finding of the registry was resolved already


def run_check(
    session: Session,
    ctx: Context,
    jurisdiction: str | None = None,
    code: str | None = None,
    progress: Progress | None = None,  # (subjects checked, subjects): see checks.refresh
) -> Worklist:
    """Refresh the findings of ``jurisdiction`` (None: everywhere the user may act) for one
    finding ``code`` or all, then list the open ones with their persons.

    Raises ``NotFound`` (unknown jurisdiction or code) and ``OutOfScope``.
    """
    opened = checks.check(session, ctx, jurisdiction, [code] if code else None, progress)
    found = checks.open_findings(session, jurisdiction, code)
    ids = {f.person_id for f in found if f.person_id}
    rows = session.scalars(select(Person).where(Person.id.in_(ids))) if ids else []
    people = {p.id: p for p in rows}
    resolved = select(Finding.id).where(Finding.resolved_at.is_not(None)).limit(1)
    return Worklist(
        opened,
        [(f, people.get(f.person_id) if f.person_id else None) for f in found],
        session.scalar(resolved) is not None,
    )
