"""The jurisdiction tree (GA/T 380 / GB/T 2260 codes: city, district, police station,
community, grid), the shape of each level's codes, and the city a code belongs to."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db import refcache
from registry.db.cache import per_transaction
from registry.db.models import Jurisdiction
from registry.db.refcache import reference
from registry.db.tree import subtree
from registry.errors import InvalidInput, NotFound, Refused
from registry.identity.text import fields, same_text_key
from registry.privacy import access, journal

LEVELS = ("city", "district", "station", "community", "grid")
# The codes of each level: GB/T 2260 division codes (a city as its 4-digit prefix or in full),
# township/police-station codes of 8–12 digits (GA/T 380 and the statistical division codes
# extend the district's 6), communities 10–12; grids are assigned locally (digits or capital
# letters, e.g. G01). Never a LIKE wildcard, a path separator or a space.
CODE_PATTERNS = {
    "city": re.compile(r"\d{4}|\d{6}"),
    "district": re.compile(r"\d{6}"),
    "station": re.compile(r"\d{8,12}"),
    "community": re.compile(r"\d{10,12}"),
    "grid": re.compile(r"[0-9A-Z]{1,16}"),
}
# The level a node may sit under (city > district > station > community > grid). A city
# without districts (不设区的市, e.g. 东莞, 中山) has its stations directly under it, and a
# station may keep its grids without communities; no other level is skipped.
PARENT_LEVELS: dict[str, tuple[str, ...]] = {
    "district": ("city",),
    "station": ("district", "city"),
    "community": ("station",),
    "grid": ("community", "station"),
}
# Where a house or a venue is registered: a police station or below (the station files them,
# design.md: a house has its community and grid); a city or a district is an area, not a place.
PLACE_LEVELS = ("station", "community", "grid")
CODE_SHAPES = {
    "city": "4 or 6 digits",
    "district": "6 digits",
    "station": "8 to 12 digits",
    "community": "10 to 12 digits",
    "grid": "1 to 16 digits or capital letters",
}


def check_code(code: str, level: str) -> None:
    """``InvalidInput`` unless ``code`` has the shape of a ``level`` code (``CODE_PATTERNS``)."""
    if not CODE_PATTERNS[level].fullmatch(code):
        raise InvalidInput(
            f"jurisdiction code {code!r} is not a {level} code ({CODE_SHAPES[level]})"
        )


def add_jurisdiction(
    session: Session, ctx: Context, code: str, name: str, level: str, parent: str | None = None
) -> Jurisdiction:
    """Add a node under ``parent`` (a city: none). ``InvalidInput`` for an unknown level, a
    code not of the level's shape (``check_code``) or a level that may not sit under the
    parent's (``PARENT_LEVELS``: a grid under a city is refused);
    ``Refused`` when the code exists; ``NotFound`` for an unknown parent."""
    fields(jurisdiction_code=(code, Jurisdiction.code), jurisdiction_name=(name, Jurisdiction.name))
    code, name = code.strip(), name.strip()
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if not code or not name:
        raise InvalidInput("a jurisdiction needs a code and a name")
    access.require(session, ctx, "place.write" if parent else "place.root", jurisdiction=parent)
    check_code(code, level)
    if session.get(Jurisdiction, code) is not None:
        raise Refused(f"jurisdiction {code} already exists")
    path = f"/{code}/"
    if parent:
        up = get_jurisdiction(session, parent)
        if up.level not in PARENT_LEVELS.get(level, ()):
            raise InvalidInput(f"a {level} cannot sit under a {up.level}")
        if up.level == "city":
            _check_city_children(session, up, level)
        path = f"{up.path}{code}/"
    elif level != "city":
        raise InvalidInput(f"a {level} needs a parent jurisdiction")
    refcache.writing(session)
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


def _check_city_children(session: Session, city: Jurisdiction, level: str) -> None:
    """A city either has districts (设区的市: stations sit under a district) or has none
    (不设区的地级市 such as 东莞、中山: stations sit directly under it); never both.
    ``InvalidInput`` for a station under a city with districts, and for a district under a
    city whose stations sit directly under it."""
    other = "district" if level == "station" else "station"
    found = session.scalar(
        select(Jurisdiction.code)
        .where(Jurisdiction.parent_code == city.code, Jurisdiction.level == other)
        .limit(1)
    )
    if found is None:
        return
    if level == "station":
        raise InvalidInput(
            f"a station cannot sit directly under city {city.code}: it has districts "
            f"(e.g. {found}); put the station under its district"
        )
    raise InvalidInput(
        f"a district cannot sit under city {city.code}: its stations sit directly under it "
        f"(e.g. {found}), so it has no districts"
    )


def check_place_level(session: Session, code: str, kind: str) -> Jurisdiction:
    """The jurisdiction ``code`` a house or venue (``kind``) is registered in; it must be a
    police station, community or grid (``PLACE_LEVELS``). ``NotFound`` for an unknown code,
    ``InvalidInput`` for a city or a district."""
    node = get_jurisdiction(session, code)
    if node.level not in PLACE_LEVELS:
        raise InvalidInput(
            f"a {kind} belongs to a station, community or grid, not to the {node.level} {code}"
        )
    return node


def rename_jurisdiction(session: Session, ctx: Context, code: str, name: str) -> Jurisdiction:
    """Give a node a new name (its code, level and place in the tree stay); journalled
    (``jurisdiction.renamed``) and audited. ``InvalidInput`` for an empty name or the name it
    has, ``Refused`` when a sibling has that name (compared as ``same_text_key``),
    ``NotFound`` and ``OutOfScope`` (a coordinator renames inside the own subtree; a city:
    an admin)."""
    new = " ".join(name.split())
    if not new:
        raise InvalidInput("a jurisdiction needs a name")
    fields(jurisdiction_name=(new, Jurisdiction.name))
    node = get_jurisdiction(session, code.strip())
    access.require(
        session,
        ctx,
        "place.write" if node.parent_code else "place.root",
        jurisdiction=node.code,
    )
    if new == node.name:
        raise InvalidInput(f"jurisdiction {node.code} is named {new} already")
    siblings = select(Jurisdiction).where(
        Jurisdiction.parent_code == node.parent_code
        if node.parent_code
        else Jurisdiction.parent_code.is_(None),
        Jurisdiction.code != node.code,
    )
    for other in session.scalars(siblings):
        if same_text_key(other.name) == same_text_key(new):
            raise Refused(f"jurisdiction {other.code} under the same parent is named {other.name}")
    refcache.writing(session)
    old, node.name = node.name, new
    journal.record(
        session,
        ctx,
        "jurisdiction.renamed",
        "jurisdiction",
        None,
        jurisdiction=node.code,
        name=new,
        name_before=old,
    )
    return node


_NODES = "laiqu.places.nodes"  # session.info: strong references to the nodes looked up
_CITIES = "laiqu.places.cities"  # reference data: code -> the code of its city


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
    """The code of the city a jurisdiction belongs to (it is in the path; cached per
    process as reference data). Raises ``NotFound`` for an unregistered code."""
    cities: dict[str, str] = reference(session, _CITIES)
    if code not in cities:
        cities[code] = get_jurisdiction(session, code).path.strip("/").split("/")[0]
    return cities[code]


def list_jurisdictions(session: Session, under: str | None = None) -> list[Jurisdiction]:
    """The jurisdiction tree in path order, or the subtree of ``under`` (``NotFound`` when
    it is not registered)."""
    query = select(Jurisdiction).order_by(Jurisdiction.path)
    codes = subtree(session, under)
    if codes is not None:
        query = query.where(Jurisdiction.code.in_(codes))
    return list(session.scalars(query))
