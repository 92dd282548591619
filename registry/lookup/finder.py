"""Person search as a user's use case: the indexed search, screened by scope, audited.

``lookup.search`` finds; this keeps what the acting user may see (``records.screen``) and
audits the search with a masked needle (numbers and phones never in clear in the log).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Person
from registry.identity.ids import mask
from registry.lookup import records, search
from registry.privacy import access

_DIGITS = re.compile(r"[0-9Xx]{6,}")


def shown_query(text: str) -> str:
    """The needle as it may be audited or shown: runs of 6+ digits masked."""
    return _DIGITS.sub(lambda m: mask(m.group(0)), text.strip())[:100]


def find_persons(
    session: Session, ctx: Context, text: str, limit: int = search.DEFAULT_LIMIT
) -> list[tuple[Person, str]]:
    """Persons matching ``text`` that the acting user may see, with how each matched (e.g.
    ``id_suffix``, ``initials``), best first. Raises ``OutOfScope`` for a role that may not
    read persons (analyst), audited as ``person.searched``."""
    ctx = access.require(session, ctx, "person.read")
    hits = [h for h in search.search(session, text, limit) if h.kind == "person"]
    found = {
        p.id: p for p in session.scalars(select(Person).where(Person.id.in_([h.id for h in hits])))
    }
    persons = [found[h.id] for h in hits if h.id in found]
    visible = {
        p.id
        for p in records.screen(session, ctx, persons, "person.searched", query=shown_query(text))
    }
    return [(found[h.id], h.match) for h in hits if h.id in visible]
