"""Fast indexed look-ups: ID number (whole, prefix, suffix), phone, name, pinyin, initials and
address fragments, with ranking and a limit.

``search(session, text)`` classifies the query and runs a list of *tiers*, most specific
first (an exact ID number before a prefix, an exact name before a fragment). Every tier is
one indexed query with its own LIMIT and no sort over the whole match set, so the cost follows
the limit and not the number of matches; the rank of a hit is the rank of its tier.

Indexes come from migration 0003: on PostgreSQL pg_trgm GIN indexes and
``varchar_pattern_ops`` B-trees (plus ``reverse(number)`` for suffixes); on SQLite B-trees and
FTS5 trigram tables. Names are compared as their key (``registry.identity.names.key``: dot
variants as one dot, no white space), indexed as an expression by migration 0015 (the
persons_fts ``name`` column holds the key). Trigrams need at least three characters, so
Chinese needles of one or two characters are matched as an exact name or a name prefix only
(most given names are 1-2 characters: search by the full name, the pinyin or the initials).

``by_id_number`` is the front-desk hot path: one unique-index probe on ``id_key``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.engine import Connection, Dialect, Row
from sqlalchemy.orm import Session

from registry.db import folding
from registry.db.models import House, Person
from registry.errors import InvalidInput, InvalidNumber
from registry.identity import names
from registry.identity.ids import DocType, compact, detect, mask, ric_check_digit, upgrade15

DEFAULT_LIMIT = 20
MAX_LIMIT = 500
MAX_NAME = 100  # persons.name: a longer needle is an address, not a name

# The FTS5 tables of migration 0003 (SQLite only); kept off the models' metadata.
_fts = MetaData()
PERSONS_FTS = Table(
    "persons_fts",
    _fts,
    Column("person_id", String),
    Column("name", String),
    Column("name_pinyin", String),
    Column("name_initials", String),
    Column("hukou_address", String),
    Column("number", String),
)
HOUSES_FTS = Table("houses_fts", _fts, Column("house_id", String), Column("address", String))


@dataclass(frozen=True)
class Hit:
    """One search result: a person or a house, why it matched and how well (0 is best)."""

    kind: str  # person / house
    id: uuid.UUID
    label: str  # the person's name or the house's address
    number: str  # masked document number of a person ("" for a house)
    match: str  # id / id_prefix / id_suffix / phone / name / name_prefix / ... (see TIERS)
    rank: int
    jurisdiction: str | None = None


# ------------------------------------------------------------------------- ID number


def id_key(number: str) -> str:
    """The canonical person key of a number, checked cheaply (shape and check character).

    The region-code table is not consulted: a look-up needs the key, not the warnings.
    """
    text = compact(number)
    kind = detect(text)
    if kind is DocType.RESIDENT and len(text) == 15:
        text = upgrade15(text)
    if kind in (DocType.RESIDENT, DocType.HMT_PERMIT, DocType.FOREIGN_2023) and (
        ric_check_digit(text[:17]) != text[17]
    ):
        raise InvalidNumber(f"the check character of {mask(text)} is wrong")
    return f"{kind.value}:{text}"


_PERSONS = Person.__table__
_HOUSES = House.__table__
# Built once, and Core rather than ORM: this is the front desk's hot path.
_BY_KEY = select(_PERSONS).where(_PERSONS.c.id_key == bindparam("key"))


def by_id_number(bind: Session | Connection, number: str) -> Row[Any] | None:
    """The person row registered under this document number, or None.

    One probe of the unique ``id_key`` index; works on a session or a plain connection and
    returns the row (attribute access as on a ``Person``) without building an ORM object.
    """
    return bind.execute(_BY_KEY, {"key": id_key(number)}).first()


# -------------------------------------------------------------------------- patterns

_ID_CHARS = re.compile(r"^\d+[Xx]?$")
_LATIN = re.compile(r"^[A-Za-z]+$")
_LIKE_SPECIAL = re.compile(r"[%_\\*?\[\]]")


def _clean(text: str) -> str:
    """Drop LIKE/GLOB wildcards and whitespace: a needle is always literal."""
    return _LIKE_SPECIAL.sub("", re.sub(r"\s+", "", text))


def _upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (code points)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


Modifier = Callable[[Select[tuple[object, ...]]], Select[tuple[object, ...]]]


def number_suffix(session: Session, suffix: str) -> Modifier:
    """The indexed condition "the document number ends with ``suffix``" (3 or more
    characters) for a query over persons: the ``reverse(number)`` B-tree on PostgreSQL, the
    FTS5 trigram table on SQLite (``registry.lookup.refs``: unique last digits)."""
    needle = _clean(suffix)
    if session.get_bind().dialect.name == "postgresql":
        pattern = needle[::-1] + "%"
        return lambda query: query.where(func.reverse(Person.number).like(pattern))
    fts = PERSONS_FTS
    return lambda query: query.join(fts, fts.c.person_id == Person.id).where(
        fts.c.number.like("%" + needle)
    )


# A tier: (match, template, value, ordered). The template names one statement shape (built
# once per dialect with bind parameters, see ``_statement``); ``value`` is the needle it binds.
Tier = tuple[str, str, str, bool]


def _tiers(text: str) -> tuple[str, list[Tier]]:
    """Classify the query: which kinds of match to try, most specific first."""
    raw = text.strip()
    needle = _clean(raw)
    if not needle:
        return "empty", []
    if _ID_CHARS.match(needle):
        digits = needle.upper()
        n = len(digits)
        if n in (15, 18):
            try:
                key = id_key(digits)
            except InvalidNumber:
                key = None
            tiers: list[Tier] = []
            if key:
                tiers.append(("id", "id_key", key, True))
            tiers.append(("id", "number", digits, True))
            return "id", tiers
        if n < 4:
            return "too_short", []
        phone_like = n == 11 and digits.startswith("1")
        tiers = []
        if phone_like:
            tiers.append(("phone", "phone", digits, True))
        suffix: Tier = ("id_suffix", "suffix", digits, False)
        prefix: Tier = ("id_prefix", "number_prefix", digits, False)
        tiers += [suffix, prefix] if n <= 6 else [prefix, suffix]
        if digits.startswith("1") and not phone_like and n >= 7:
            tiers.append(("phone_prefix", "phone_prefix", digits, False))
        return "digits", tiers
    if _LATIN.match(needle):
        latin = needle.lower()
        if len(latin) < 2:
            return "too_short", []
        tiers = [("pinyin", "name_pinyin", f"|{latin}|", False)]
        if len(latin) <= 5:
            tiers.append(("initials", "name_initials", f"|{latin}|", False))
        tiers.append(("pinyin_prefix", "name_pinyin", f"|{latin}", False))
        if len(latin) <= 4:
            tiers.append(("initials_prefix", "name_initials", f"|{latin}", False))
        return "latin", tiers
    if names.has_cjk(needle):
        tiers = []
        name = names.key(needle)
        if len(name) <= MAX_NAME and not re.search(r"\d", name):
            tiers.append(("name", "name", name, True))
            tiers.append(("name_prefix", "name_prefix", name, False))
            if len(name) >= 3:
                tiers.append(("name_fragment", "name_fragment", name, False))
        if len(needle) >= 3:
            tiers.append(("hukou_address", "hukou_address", needle, False))
            # "address_wide": the needle has ASCII letters or digits, which the stored address
            # may hold in full width (``address_patterns``).
            wide = any(c.isascii() and c.isalnum() for c in folding.fold(needle) or "")
            tiers.append(("address", "address_wide" if wide else "address", needle, False))
        return "chinese", tiers
    return "unknown", []


def classify(text: str) -> str:
    """The kind of query: id / digits / latin / chinese, or empty / too_short / unknown."""
    return _tiers(text)[0]


_V = bindparam("v", type_=String)
_LO = bindparam("lo", type_=String)
_HI = bindparam("hi", type_=String)
_N = bindparam("n", type_=Integer)
_F = bindparam("f", type_=String)
_W = bindparam("w", type_=String)
Statement = Select[tuple[object, ...]]
_STATEMENTS: dict[tuple[bool, str, bool], Statement] = {}


def _statement(pg: bool, template: str, ordered: bool) -> Statement:
    """The Core statement of one tier shape, built once per dialect and reused (no per-search
    building, cache-key walk or ORM execution: a search is the front desk's second hot path).

    Binds ``v`` (the needle or its LIKE pattern), ``lo``/``hi`` (a SQLite prefix range) and
    ``n`` (the tier's LIMIT).
    """
    found = _STATEMENTS.get((pg, template, ordered))
    if found is not None:
        return found
    p = _PERSONS.c
    name_key = literal_column(names.key_sql("persons.name", "postgresql" if pg else "sqlite"),
                              String)
    if template in ("address", "address_wide"):
        # The anchor (``_V``) finds the candidates through the trigram index; the folded
        # address (``_F``) decides: ``address_patterns``.
        h = _HOUSES.c
        query = select(h.id, h.address, h.jurisdiction_code)
        if pg:
            anchor = h.address.ilike(_V)
            if template == "address_wide":
                anchor = or_(anchor, h.address.ilike(_W))
            query = query.where(anchor, folding.sql(h.address, "postgresql").like(_F))
        else:
            fts = HOUSES_FTS
            query = query.join(fts, fts.c.house_id == h.id).where(
                fts.c.address.like(_V), folding.sql(fts.c.address, "sqlite").like(_F)
            )
    else:
        query = select(p.id, p.name, p.number)
        equal = {"id_key": p.id_key, "number": p.number, "phone": p.phone, "name": name_key}
        prefix = {"number_prefix": p.number, "phone_prefix": p.phone, "name_prefix": name_key}
        if template in equal:
            query = query.where(equal[template] == _V)
        elif template in prefix:
            column = prefix[template]
            query = query.where(column.like(_V) if pg else (column >= _LO) & (column < _HI))
        elif pg:
            column = {"suffix": func.reverse(p.number), "name_fragment": name_key}.get(
                template, p.get(template)
            )
            if column is None:
                raise AssertionError(f"unknown search template {template!r}")  # a bug
            query = query.where(column.like(_V))
        else:
            fts_column = {"suffix": "number", "name_fragment": "name"}.get(template, template)
            fts = PERSONS_FTS
            query = query.join(fts, fts.c.person_id == p.id).where(fts.c[fts_column].like(_V))
    if ordered:
        query = query.order_by(p.name, p.number)
    query = query.limit(_N)
    _STATEMENTS[(pg, template, ordered)] = query
    return query


def _params(pg: bool, template: str, value: str, limit: int) -> dict[str, Any]:
    """The bind values of a tier: the needle made a LIKE pattern or a range as it needs."""
    if template in ("number_prefix", "phone_prefix", "name_prefix"):
        if pg:
            return {"v": value + "%", "n": limit}
        return {"lo": value, "hi": _upper_bound(value), "n": limit}
    if template == "suffix":
        return {"v": value[::-1] + "%" if pg else "%" + value, "n": limit}
    if template in ("id_key", "number", "phone", "name"):
        return {"v": value, "n": limit}
    if template in ("address", "address_wide"):
        anchor, wide, fts, folded = address_patterns(value)
        if pg and template == "address_wide":
            return {"v": anchor, "w": wide, "f": folded, "n": limit}
        if pg:
            return {"v": anchor, "f": folded, "n": limit}
        return {"v": fts, "f": folded, "n": limit}
    return {"v": "%" + value + "%", "n": limit}


_HALF_TO_FULL = str.maketrans(
    "".join(chr(c) for c in range(0x21, 0x7F)), "".join(chr(c) for c in range(0xFF01, 0xFF5F))
)


def address_patterns(needle: str) -> tuple[str, str, str, str]:
    """The LIKE patterns of an address search for ``needle`` (wildcards and white space
    already dropped, ``_clean``), as ``(anchor, wide_anchor, fts_anchor, folded)``.

    The folded needle (``registry.db.folding``: full-width forms to ASCII, 號 to 号, no white
    space, lower case) is what the folded address must contain: it decides. The anchors only
    find the candidates through the trigram index, on the address as stored (typed with or
    without spaces, in half- or full-width forms): the needle's runs of Chinese characters
    and of ASCII letters and digits, in order, each may stand apart (``%湖南路%12%`` for
    ``湖南路12号``; 号 and punctuation, which have variants, are left out); ``wide_anchor``
    has the ASCII runs in full width (``%湖南路%１２%``; PostgreSQL takes either, each through
    the index). SQLite's FTS5 table cannot take an OR through its index: ``fts_anchor`` is
    made of the Chinese runs alone when one has 3 or more characters (a trigram), else it is
    ``anchor``. A needle with no run at all is its own anchor."""
    folded = folding.fold(needle) or ""
    runs: list[tuple[bool, str]] = []  # (ASCII letters and digits?, run)
    for char in folded:
        ascii_alnum = char.isascii() and char.isalnum()
        if char == "号" or (char.isascii() and not ascii_alnum):
            runs.append((False, ""))  # a break: 号/號 and punctuation have variants
            continue
        if runs and runs[-1][1] and runs[-1][0] == ascii_alnum:
            runs[-1] = (ascii_alnum, runs[-1][1] + char)
        else:
            runs.append((ascii_alnum, char))
    runs = [(a, r) for a, r in runs if r]
    if not runs:
        like = "%" + needle + "%"
        return like, like, like, "%" + folded + "%"
    anchor = "%" + "%".join(r for _, r in runs) + "%"
    wide = "%" + "%".join(r.translate(_HALF_TO_FULL) if a else r for a, r in runs) + "%"
    chinese = [r for a, r in runs if not a]
    fts = "%" + "%".join(chinese) + "%" if max(map(len, chinese), default=0) >= 3 else anchor
    return anchor, wide, fts, "%" + folded + "%"


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def queries(
    session: Session, text: str, limit: int = DEFAULT_LIMIT
) -> list[tuple[str, Select[tuple[object, ...]]]]:
    """The SQL ``search`` would run for ``text``, tier by tier (for EXPLAIN and benchmarks),
    with their values bound (``compile_kwargs={"literal_binds": True}`` renders them)."""
    pg = _is_pg(session)
    return [
        (match, _statement(pg, template, ordered).params(_params(pg, template, value, limit)))
        for match, template, value, ordered in _tiers(text)[1]
    ]


_SQL: dict[tuple[str, str, bool], tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}


def _driver_sql(
    dialect: Dialect, template: str, ordered: bool
) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """A tier's statement compiled once per dialect for the driver: its SQL text, for a
    positional paramstyle (SQLite's ``?``) the order of its parameters (None: named), and
    the values of the parameters the compiler added (SQLite's ``OFFSET 0``)."""
    key = (dialect.name, template, ordered)
    found = _SQL.get(key)
    if found is None:
        compiled = _statement(dialect.name == "postgresql", template, ordered).compile(
            dialect=dialect
        )
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        fixed = {
            name: bind.effective_value
            for name, bind in compiled.binds.items()
            if name not in ("v", "lo", "hi", "n", "f", "w")
        }
        found = _SQL[key] = (str(compiled), order, fixed)
    return found


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


_SURROGATES = re.compile("[\ud800-\udfff]")


def search(session: Session, text: str, limit: int = DEFAULT_LIMIT) -> list[Hit]:
    """Persons (and houses, for address fragments) matching ``text``, best first.

    The tiers run on the driver's cursor of the session's connection, in its transaction,
    as SQL compiled once per dialect from ``_statement`` (``queries`` gives the same SQL):
    persons and houses are never voided, so the ORM's criteria (``registry.db.voiding``) have
    nothing to add, and a search is the front desk's second hot path (issue 16: each tier
    within 1.5 times its raw SQL).

    Raises ``InvalidInput`` ("the search is not valid UTF-8") for a text holding lone
    surrogates (undecodable bytes on a command line, PEP 383).
    """
    if _SURROGATES.search(text):
        raise InvalidInput("the search is not valid UTF-8")
    limit = max(1, min(limit, MAX_LIMIT))
    tiers = _tiers(text)[1]
    if not tiers:
        return []
    conn = session.connection()
    dialect = conn.dialect
    pg = dialect.name == "postgresql"
    hits: list[Hit] = []
    seen: set[uuid.UUID] = set()
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for rank, (match, template, value, ordered) in enumerate(tiers):
            want = limit - len(hits)
            if want <= 0:
                break
            sql, order, fixed = _driver_sql(dialect, template, ordered)
            params = {**fixed, **_params(pg, template, value, want + len(seen))}
            cursor.execute(sql, params if order is None else tuple(params[k] for k in order))
            for row_id, label, extra in cursor.fetchall():
                found = _uuid(row_id)
                if found in seen or len(hits) >= limit:
                    continue
                seen.add(found)
                if match == "address":
                    hits.append(Hit("house", found, label, "", match, rank, extra))
                else:
                    hits.append(Hit("person", found, label, mask(extra), match, rank))
    finally:
        cursor.close()
    return hits


def rebuild_fts(session: Session) -> None:
    """Rebuild the SQLite FTS5 tables from their base tables (after a VACUUM). No-op on PG."""
    if session.get_bind().dialect.name != "sqlite":
        return
    cols = "name, name_pinyin, name_initials, hukou_address, number"
    values = f"{names.key_sql('name', 'sqlite')}, name_pinyin, name_initials, hukou_address, number"
    session.execute(PERSONS_FTS.delete())
    session.execute(HOUSES_FTS.delete())
    conn = session.connection()
    conn.exec_driver_sql(
        f"INSERT INTO persons_fts (rowid, person_id, {cols}) "
        f"SELECT rowid, id, {values} FROM persons"
    )
    conn.exec_driver_sql(
        "INSERT INTO houses_fts (rowid, house_id, address) SELECT rowid, id, address FROM houses"
    )
