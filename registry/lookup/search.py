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
    ColumnElement,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

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
# Built once, and Core rather than ORM: this is the front desk's hot path.
_BY_KEY = select(_PERSONS).where(_PERSONS.c.id_key == bindparam("key"))


def by_id_number(bind: Session | Connection, number: str) -> Row[Any] | None:
    """The person row registered under this document number, or None.

    One probe of the unique ``id_key`` index; works on a session or a plain connection and
    returns the row (attribute access as on a ``Person``) without building an ORM object.
    """
    return bind.execute(_BY_KEY, {"key": id_key(number)}).first()


# -------------------------------------------------------------------------- patterns

# Every CJK block: radicals and strokes, 〇 and 々, Extension A, the unified ideographs, the
# compatibility ideographs, and planes 2 and 3 (Extensions B to H and the compatibility
# supplement), so a name such as 𠮷 (U+20BB7) is searched as Chinese.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u31c0-\u31ef\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0003ffff]"
)
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


class _Query:
    """Dialect-aware indexed conditions for one session; each returns a Select modifier."""

    def __init__(self, session: Session) -> None:
        self.pg = session.get_bind().dialect.name == "postgresql"
        # names.key(persons.name), spelled as migration 0015's expression indexes.
        self.name_key: ColumnElement[str] = literal_column(
            names.key_sql("persons.name", "postgresql" if self.pg else "sqlite"), String
        )

    @staticmethod
    def where(condition: ColumnElement[bool]) -> Modifier:
        return lambda query: query.where(condition)

    def prefix(self, column: ColumnElement[str], prefix: str) -> Modifier:
        """B-tree prefix: LIKE 'p%' on varchar_pattern_ops (PostgreSQL), a range on SQLite."""
        if self.pg:
            return self.where(column.like(prefix + "%"))
        return self.where((column >= prefix) & (column < _upper_bound(prefix)))

    def name_contains(self, needle: str) -> Modifier:
        """A trigram-indexed fragment of the name's key (``needle`` already a key)."""
        if self.pg:
            return self.where(self.name_key.like("%" + needle + "%"))
        return self._fts("name", "%" + needle + "%")  # the FTS column holds the key

    def suffix(self, suffix: str) -> Modifier:
        if self.pg:
            return self.where(func.reverse(Person.number).like(suffix[::-1] + "%"))
        return self._fts("number", "%" + suffix)

    def contains(self, column: str, needle: str) -> Modifier:
        """A trigram-indexed LIKE '%needle%' (needle of at least 3 characters)."""
        if self.pg:
            return self.where(getattr(Person, column).like("%" + needle + "%"))
        return self._fts(column, "%" + needle + "%")

    @staticmethod
    def _fts(column: str, pattern: str) -> Modifier:
        fts = PERSONS_FTS
        return lambda query: query.join(fts, fts.c.person_id == Person.id).where(
            fts.c[column].like(pattern)
        )

    def house_contains(self, needle: str) -> Modifier:
        pattern = "%" + needle + "%"
        if self.pg:
            return self.where(House.address.like(pattern))
        fts = HOUSES_FTS
        return lambda query: query.join(fts, fts.c.house_id == House.id).where(
            fts.c.address.like(pattern)
        )


def number_suffix(session: Session, suffix: str) -> Modifier:
    """The indexed condition "the document number ends with ``suffix``" (3 or more
    characters) for a query over persons: the ``reverse(number)`` B-tree on PostgreSQL, the
    FTS5 trigram table on SQLite (``registry.lookup.refs``: unique last digits)."""
    return _Query(session).suffix(_clean(suffix))


Tier = tuple[str, Callable[[_Query], Modifier], bool]  # match, condition, ordered


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
                tiers.append(("id", lambda q, k=key: q.where(Person.id_key == k), True))
            tiers.append(("id", lambda q: q.where(Person.number == digits), True))
            return "id", tiers
        if n < 4:
            return "too_short", []
        phone_like = n == 11 and digits.startswith("1")
        tiers = []
        if phone_like:
            tiers.append(("phone", lambda q: q.where(Person.phone == digits), True))
        suffix: Tier = ("id_suffix", lambda q: q.suffix(digits), False)
        prefix: Tier = ("id_prefix", lambda q: q.prefix(Person.number, digits), False)
        tiers += [suffix, prefix] if n <= 6 else [prefix, suffix]
        if digits.startswith("1") and not phone_like and n >= 7:
            tiers.append(("phone_prefix", lambda q: q.prefix(Person.phone, digits), False))
        return "digits", tiers
    if _LATIN.match(needle):
        latin = needle.lower()
        if len(latin) < 2:
            return "too_short", []
        tiers = [("pinyin", lambda q: q.contains("name_pinyin", f"|{latin}|"), False)]
        if len(latin) <= 5:
            tiers.append(("initials", lambda q: q.contains("name_initials", f"|{latin}|"), False))
        tiers.append(("pinyin_prefix", lambda q: q.contains("name_pinyin", f"|{latin}"), False))
        if len(latin) <= 4:
            tiers.append(
                ("initials_prefix", lambda q: q.contains("name_initials", f"|{latin}"), False)
            )
        return "latin", tiers
    if _CJK.search(needle):
        tiers = []
        name = names.key(needle)
        if len(name) <= MAX_NAME and not re.search(r"\d", name):
            tiers.append(("name", lambda q: q.where(q.name_key == name), True))
            tiers.append(("name_prefix", lambda q: q.prefix(q.name_key, name), False))
            if len(name) >= 3:
                tiers.append(("name_fragment", lambda q: q.name_contains(name), False))
        if len(needle) >= 3:
            tiers.append(("hukou_address", lambda q: q.contains("hukou_address", needle), False))
            tiers.append(("address", lambda q: q.house_contains(needle), False))
        return "chinese", tiers
    return "unknown", []


def classify(text: str) -> str:
    """The kind of query: id / digits / latin / chinese, or empty / too_short / unknown."""
    return _tiers(text)[0]


def _tier_query(q: _Query, tier: Tier, limit: int) -> Select[tuple[object, ...]]:
    match, condition, ordered = tier
    if match == "address":
        return condition(q)(select(House.id, House.address, House.jurisdiction_code)).limit(limit)
    query = condition(q)(select(Person.id, Person.name, Person.number))
    if ordered:
        query = query.order_by(Person.name, Person.number)
    return query.limit(limit)


def queries(
    session: Session, text: str, limit: int = DEFAULT_LIMIT
) -> list[tuple[str, Select[tuple[object, ...]]]]:
    """The SQL ``search`` would run for ``text``, tier by tier (for EXPLAIN and benchmarks)."""
    q = _Query(session)
    return [(tier[0], _tier_query(q, tier, limit)) for tier in _tiers(text)[1]]


def search(session: Session, text: str, limit: int = DEFAULT_LIMIT) -> list[Hit]:
    """Persons (and houses, for address fragments) matching ``text``, best first.

    Raises ``InvalidInput`` ("the search is not valid UTF-8") for a text holding lone
    surrogates (undecodable bytes on a command line, PEP 383)."""
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise InvalidInput("the search is not valid UTF-8")
    limit = max(1, min(limit, MAX_LIMIT))
    q = _Query(session)
    hits: list[Hit] = []
    seen: set[uuid.UUID] = set()
    for rank, tier in enumerate(_tiers(text)[1]):
        want = limit - len(hits)
        if want <= 0:
            break
        match = tier[0]
        for row_id, label, extra in session.execute(_tier_query(q, tier, want + len(seen))):
            if row_id in seen or len(hits) >= limit:
                continue
            seen.add(row_id)
            if match == "address":
                hits.append(Hit("house", row_id, label, "", match, rank, extra))
            else:
                hits.append(Hit("person", row_id, label, mask(extra), match, rank))
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
