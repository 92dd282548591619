"""Study records (连续就读): a person studying at a school over [start, end) days.

One of the three conditions of a residence permit (居住证暂行条例 Art 2); recorded by a
coordinator from the school's proof.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.rules_models import Study
from registry.errors import InvalidInput, NotFound, Refused
from registry.identity.ids import mask
from registry.people.find import find_person
from registry.places.jurisdictions import get_jurisdiction
from registry.privacy import journal


def record_study(
    session: Session,
    ctx: Context,
    number: str,
    school: str,
    jurisdiction: str,
    *,
    start: date,
    end: date | None = None,
) -> Study:
    """Record that a registered person studies at ``school`` from ``start`` (to ``end``)."""
    person = find_person(session, number)
    school = (school or "").strip()
    if not school:
        raise InvalidInput("a study record needs the school's name")
    if len(school) > 200:
        raise InvalidInput("the school's name is longer than 200 characters")
    get_jurisdiction(session, jurisdiction)
    if start > ctx.today():
        raise InvalidInput(f"the start day {start} is in the future")
    if end is not None and end <= start:
        raise InvalidInput("the end of the study must be after its start")
    overlapping = session.scalar(
        select(Study).where(
            Study.person_id == person.id,
            Study.school == school,
            or_(Study.valid_to.is_(None), Study.valid_to > start),
            *([Study.valid_from < end] if end else []),
        )
    )
    if overlapping is not None:
        raise Refused(
            f"{mask(person.number)} already studies at {school} from {overlapping.valid_from}"
        )
    study = Study(
        id=uuid.uuid4(),
        person_id=person.id,
        jurisdiction_code=jurisdiction,
        school=school,
        valid_from=start,
        valid_to=end,
        registered_by=ctx.actor,
        reported_at=ctx.now(),
    )
    session.add(study)
    journal.record(
        session,
        ctx,
        "study.recorded",
        "study",
        study.id,
        person_id=person.id,
        jurisdiction=jurisdiction,
        school=school,
        start=start,
        end=end,
    )
    session.flush()
    return study


def end_study(
    session: Session, ctx: Context, number: str, school: str, *, on: date | None = None
) -> Study:
    """The person left (or finished at) the school on ``on``."""
    person = find_person(session, number)
    day = on or ctx.today()
    if day > ctx.today():
        raise InvalidInput(f"the end day {day} is in the future")
    study = session.scalar(
        select(Study).where(
            Study.person_id == person.id,
            Study.school == school.strip(),
            or_(Study.valid_to.is_(None), Study.valid_to > day),
            Study.valid_from < day,
        )
    )
    if study is None:
        raise NotFound(f"{mask(person.number)} does not study at {school} on {day}")
    study.valid_to = day
    journal.record(
        session,
        ctx,
        "study.ended",
        "study",
        study.id,
        person_id=person.id,
        jurisdiction=study.jurisdiction_code,
        on=day,
    )
    session.flush()
    return study
