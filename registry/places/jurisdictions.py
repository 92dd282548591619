"""The jurisdiction tree (GA/T 380 / GB/T 2260 codes: city, district, police station, community,
grid) and the city a code belongs to."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.cache import per_transaction
from registry.db.models import Jurisdiction
from registry.errors import InvalidInput, NotFound, Refused
from registry.privacy import access, journal

LEVELS = ("city", "district", "station", "community", "grid")


def add_jurisdiction(
    session: Session, ctx: Context, code: str, name: str, level: str, parent: str | None = None
) -> Jurisdiction:
    code, name = code.strip(), name.strip()
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if not code or not name:
        raise InvalidInput("a jurisdiction needs a code and a name")
    access.require(session, ctx, "place.write" if parent else "place.root", jurisdiction=parent)
    if session.get(Jurisdiction, code) is not None:
        raise Refused(f"jurisdiction {code} already exists")
    path = f"/{code}/"
    if parent:
        up = get_jurisdiction(session, parent)
        if LEVELS.index(level) <= LEVELS.index(up.level):
            raise InvalidInput(f"a {level} cannot sit under a {up.level}")
        path = f"{up.path}{code}/"
    elif level != "city":
        raise InvalidInput(f"a {level} needs a parent jurisdiction")
    node = Jurisdiction(code=code, name=name, level=level, parent_code=parent, path=path)
    session.add(node)
    journal.record(
        session,
        ctx,
        "jurisdiction.added",
        "jurisdiction",
        None,
        jurisdiction=code,
        name=name,
        level=level,
    )
    return node


_NODES = "laiqu.places.nodes"  # session.info: strong references to the nodes looked up


def get_jurisdiction(session: Session, code: str) -> Jurisdiction:
    """A jurisdiction node; kept for the transaction (the identity map holds it weakly)."""
    nodes: dict[str, Jurisdiction] = per_transaction(session, _NODES)
    node = nodes.get(code) or session.get(Jurisdiction, code)
    if node is None:
        raise NotFound(f"jurisdiction {code} is not registered")
    nodes[code] = node
    return node


def city_of(session: Session, code: str) -> Jurisdiction:
    """The root (city) of the tree a jurisdiction belongs to."""
    return get_jurisdiction(session, city_code(session, code))


def city_code(session: Session, code: str) -> str:
    """The code of the city a jurisdiction belongs to (one look-up: it is in the path)."""
    return get_jurisdiction(session, code).path.strip("/").split("/")[0]


