"""Issue 18 items 1-3 on both engines: names found by their surname readings, by their full
length, by any dot variant, and beyond the Basic Multilingual Plane.

Each test registers its persons in a transaction of its own over the shared generated city
and rolls it back, so the city stays as the other lookup tests expect it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Person
from registry.errors import Refused
from registry.identity import names
from registry.lookup import search
from registry.people.registration import TypedIdentity, register_person

from .conftest import NOW, World, number

CTX = Context(actor="tester", terminal="test", now_fixed=NOW)
_seq = itertools.count(1)


def fresh_number() -> str:
    """A valid resident number no generated person of the city holds (region 650102)."""
    n = next(_seq)
    return number("650102", f"19{60 + n // 900 % 40:02d}0101", f"{n % 900 + 100:03d}")


@contextmanager
def registered(world: World, *person_names: str) -> Iterator[Session]:
    with world.sf() as s:
        for name in person_names:
            register_person(s, CTX, TypedIdentity(number=fresh_number(), name=name), city="440300")
        s.flush()
        try:
            yield s
        finally:
            s.rollback()


def found(s: Session, text: str, name: str, limit: int = 100) -> search.Hit | None:
    return next((h for h in search.search(s, text, limit) if h.label == name), None)


SURNAMES = [
    ("查明", ["zhaming", "zm", "chaming"]),
    ("解放", ["xiefang", "jiefang", "xf"]),
    ("单纯", ["shanchun", "danchun", "sc"]),
    ("曾经纬", ["zengjingwei", "cengjingwei", "zjw"]),
    ("单家和", ["shanjiahe", "sjh", "danjiahe"]),
    ("欧阳娜娜", ["ouyangnana", "oynn"]),
    ("尉迟恭敬", ["yuchigongjing", "ycgj"]),
]


def test_polyphonic_surnames_are_found_by_their_readings(world: World) -> None:
    with registered(world, *(n for n, _ in SURNAMES)) as s:
        for name, queries in SURNAMES:
            for query in queries:
                hit = found(s, query, name)
                assert hit is not None, f"{name} not found by {query}"
                assert hit.match in ("pinyin", "initials", "pinyin_prefix", "initials_prefix")


def test_long_names_are_found_whole_and_in_parts(world: World) -> None:
    long = "阿不都热合曼·买买提"
    longer = "克里斯托弗·哥伦布·约翰逊·斯图尔特"
    with registered(world, long, longer) as s:
        for name in (long, longer):
            hit = found(s, name, name)
            assert hit is not None and hit.match == "name" and hit.rank == 0
            assert found(s, name[:8], name).match == "name_prefix"  # type: ignore[union-attr]
            assert found(s, name[3:9], name).match == "name_fragment"  # type: ignore[union-attr]
        assert found(s, "abudurehemanmaimaiti", long) is not None


DOT_FORMS = ["买买提·艾力", "买买提•艾力", "买买提・艾力", "买买提.艾力", "买买提．艾力",
             "买买提‧艾力", "买买提･艾力", "买买提 · 艾力", "买买提　•　艾力"]  # fmt: skip


@pytest.mark.parametrize("stored", ["买买提·艾力", "买买提 • 艾力"])
def test_dot_variants_are_one_name(world: World, stored: str) -> None:
    with registered(world, stored) as s:
        for query in DOT_FORMS:
            hit = found(s, query, stored)
            assert hit is not None and hit.match == "name", query
            hit = found(s, query[:5], stored)
            assert hit is not None and hit.match == "name_prefix", query
            hit = found(s, query[2:], stored)
            assert hit is not None and hit.match == "name_fragment", query


def test_dot_variants_are_not_another_name(world: World) -> None:
    """The refusal "registered under another name" compares keys; the name stays as read."""
    with world.sf() as s:
        first = fresh_number()
        reg = register_person(s, CTX, TypedIdentity(number=first, name="买买提·艾力"))
        for variant in DOT_FORMS[1:]:
            again = register_person(s, CTX, TypedIdentity(number=first, name=variant))
            assert again.person.id == reg.person.id and not again.created
        assert reg.person.name == "买买提·艾力"
        with pytest.raises(Refused, match="another name"):
            register_person(s, CTX, TypedIdentity(number=first, name="买买提·艾山"))
        s.rollback()


def test_beyond_the_basic_plane(world: World) -> None:
    with registered(world, "𠮷", "𠮷祥", "王𪚥𫠝") as s:
        assert search.classify("𠮷") == "chinese"
        assert found(s, "𠮷", "𠮷").match == "name"  # type: ignore[union-attr]
        assert found(s, "𠮷", "𠮷祥").match == "name_prefix"  # type: ignore[union-attr]
        assert found(s, "王𪚥𫠝", "王𪚥𫠝").match == "name"  # type: ignore[union-attr]
        assert found(s, "𪚥𫠝", "王𪚥𫠝") is None  # two characters: no fragment tier
        for char in ("\u3400", "\u4dbf", "\U0002a700", "\U00030000", "\U00031350", "\uf900"):
            assert search.classify(char) == "chinese", hex(ord(char))


# ------------------------------------------------------------------ properties (hypothesis)

HANZI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
PART = st.text(HANZI, min_size=2, max_size=5)
SPACE = st.sampled_from(["", "", " ", "\u3000", "  "])
PROPS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPS
@given(parts=st.lists(PART, min_size=2, max_size=3), data=st.data())
def test_any_dot_variant_finds_every_other(
    world: World, parts: list[str], data: st.DataObject
) -> None:
    def spelled() -> str:
        out = parts[0]
        for part in parts[1:]:
            dot = data.draw(st.sampled_from(names.DOT_VARIANTS))
            out += data.draw(SPACE) + dot + data.draw(SPACE) + part
        return out

    stored = spelled()
    with registered(world, stored) as s:
        for _ in range(3):
            query = spelled()
            hit = found(s, query, stored)
            assert hit is not None and hit.match == "name", (stored, query)


SURNAME = st.sampled_from(
    sorted(names.SURNAME_READINGS) + sorted(names.COMPOUND_SURNAMES) + list("王李张刘陈杨黄赵")
)


@PROPS
@given(family=SURNAME, given_name=st.text(HANZI, min_size=1, max_size=3))
def test_any_surname_and_given_name_by_pinyin_and_initials(
    world: World, family: str, given_name: str
) -> None:
    name = family + given_name
    given_reading = lazy_pinyin(given_name, style=Style.NORMAL, errors="ignore")
    with registered(world, name) as s:
        for reading in names._surname_readings(family):
            full = "".join(reading) + "".join(given_reading)
            initials = "".join(r[0] for r in (*reading, *given_reading))
            assert found(s, full, name, 500) is not None, (name, full)
            person = s.get(Person, found(s, full, name, 500).id)  # type: ignore[union-attr]
            assert f"|{initials}|" in person.name_initials  # type: ignore[union-attr]
            if 3 <= len(initials) <= 5:  # two letters may match more persons than a limit
                assert found(s, initials, name, 500) is not None, (name, initials)
