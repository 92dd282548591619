"""Every kind of search on both engines, ranking, limits, and the index triggers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from registry.context import Context
from registry.db.models import House, Person
from registry.errors import InvalidNumber
from registry.lookup import search
from registry.people.registration import correct_person

from .conftest import NOW, World


def _search(world: World, text: str, limit: int = 20) -> list[search.Hit]:
    with world.sf() as s:
        return search.search(s, text, limit)


def _find(hits: list[search.Hit], name: str) -> search.Hit:
    found = [h for h in hits if h.label == name]
    assert found, f"{name} not in {[(h.label, h.match) for h in hits]}"
    return found[0]


def test_by_id_number(world: World) -> None:
    with world.sf() as s:
        person = search.by_id_number(s, world.known.zeng.lower())
        assert person is not None and person.name == "曾凡"
        assert search.by_id_number(s, world.known.qiu).name == "仇思远"  # type: ignore[union-attr]
        absent = world.known.zeng[:14] + "999"
        absent += search.ric_check_digit(absent)
        assert search.by_id_number(s, absent) is None
        wrong = "0" if world.known.zeng[17] != "0" else "1"
        with pytest.raises(InvalidNumber):
            search.by_id_number(s, world.known.zeng[:17] + wrong)


def test_generated_person_by_id(world: World) -> None:
    with world.sf() as s:
        number = s.scalar(sa.select(Person.number).where(Person.doc_type == "foreign_2023"))
        assert number is not None
        assert search.by_id_number(s, number).number == number  # type: ignore[union-attr]
        hits = search.search(s, number)
        assert hits[0].match == "id" and hits[0].number == search.mask(number)


def test_full_number_ranks_first(world: World) -> None:
    hits = _search(world, world.known.zeng)
    assert [(h.label, h.match, h.rank) for h in hits] == [("曾凡", "id", 0)]
    assert "*" in hits[0].number  # never the full number


def test_suffix_and_prefix(world: World) -> None:
    last6 = world.known.shan[-6:]
    hit = _find(_search(world, last6, 100), "单田芳")
    assert hit.match == "id_suffix"
    hit = _find(_search(world, world.known.shan[:12], 100), "单田芳")
    assert hit.match == "id_prefix"
    assert all(h.match == "id_suffix" for h in _search(world, world.known.shan[-4:], 5)[:1])


def test_phone(world: World) -> None:
    hits = _search(world, "138 0000 1234")
    assert hits[0].label == "曾凡" and hits[0].match == "phone"
    assert _find(_search(world, "1380000", 50), "曾凡").match == "phone_prefix"


def test_name_exact_prefix_fragment(world: World) -> None:
    hits = _search(world, "曾凡")
    assert hits[0].label == "曾凡" and hits[0].match == "name" and hits[0].rank == 0
    assert all(h.label.startswith("曾凡") for h in hits)
    hits = _search(world, "曾", 50)
    assert hits and all(h.label.startswith("曾") for h in hits)
    # A two-character given name alone cannot use a trigram index: no fragment search.
    assert not [h for h in _search(world, "田芳") if h.label == "单田芳"]


def test_three_character_fragment(world: World) -> None:
    assert _find(_search(world, "单田芳"), "单田芳").match == "name"
    # A fragment in the middle of an address needs the trigram index.
    assert _find(_search(world, "青年路124"), "曾凡").match == "hukou_address"


def test_pinyin_every_reading(world: World) -> None:
    for query in ("zengfan", "cengfan", "ZengFan"):
        assert _find(_search(world, query, 50), "曾凡").match == "pinyin"
    assert _find(_search(world, "shantianfang", 50), "单田芳").match == "pinyin"
    assert _find(_search(world, "qiusiyuan", 50), "仇思远").match == "pinyin"
    assert _find(_search(world, "zengf", 200), "曾凡").match == "pinyin_prefix"


def test_initials(world: World) -> None:
    hits = _search(world, "stf", 200)
    assert _find(hits, "单田芳").match == "initials"
    assert all(h.match in ("pinyin", "initials", "pinyin_prefix", "initials_prefix") for h in hits)


def test_house_address(world: World) -> None:
    hits = _search(world, "翡翠花园9栋")
    house = [h for h in hits if h.kind == "house"]
    assert house and house[0].id == world.house_id and house[0].match == "address"
    with world.sf() as s:
        generated = s.scalar(sa.select(House.address).where(House.id != world.house_id))
    assert generated is not None
    fragment = generated[6:16]
    assert any(h.kind == "house" and fragment in h.label for h in _search(world, fragment, 50))


@pytest.mark.parametrize(
    "needle",
    [
        "龙珠七路888号",
        "龙珠七路 888 号",
        "龙珠七路８８８號",
        "龙珠七路888号翡翠花园 9栋",
        "888号翡翠花园",
    ],
)
def test_house_address_across_spaces_widths_and_hao(world: World, needle: str) -> None:
    """The stored address is written together; the needle with spaces, full-width digits or
    號 finds it (and the reverse: tests/cli/test_references.py)."""
    houses = [h for h in _search(world, needle) if h.kind == "house"]
    assert [h.id for h in houses] == [world.house_id], needle


def test_house_address_folding_keeps_other_numbers_out(world: World) -> None:
    """The anchor ``%龙珠七路%88%`` also holds 888号; the folded address decides."""
    for needle in ("龙珠七路889号", "龙珠七路88号", "龙珠七路 8 号"):
        ids = [h.id for h in _search(world, needle, 50) if h.kind == "house"]
        assert world.house_id not in ids, needle


def test_limit_and_ranking(world: World) -> None:
    hits = _search(world, "王", 7)
    assert len(hits) == 7
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)
    assert len({h.id for h in hits}) == 7


def test_classify() -> None:
    assert search.classify("11010519491231002x") == "id"
    assert search.classify("002X") == "digits"
    assert search.classify("zf") == "latin"
    assert search.classify("曾凡") == "chinese"
    assert search.classify("z") == "too_short"
    assert search.classify("  ") == "empty"
    assert search.search.__name__ == "search"
    assert _search_empty() == []


def _search_empty() -> list[search.Hit]:
    return []


def test_correction_is_searchable(world: World) -> None:
    """Changing a name moves it in the indexes (the SQLite FTS triggers)."""
    ctx = Context(actor="tester", now_fixed=NOW)
    with world.sf.begin() as s:
        correct_person(s, ctx, world.known.qiu, name="仇思源")
    try:
        assert _find(_search(world, "仇思源"), "仇思源").match == "name"
        assert _find(_search(world, "qiusiyuan", 50), "仇思源").match == "pinyin"
        assert not [h for h in _search(world, "仇思远") if h.label == "仇思远"]
    finally:
        with world.sf.begin() as s:
            correct_person(s, ctx, world.known.qiu, name="仇思远")
