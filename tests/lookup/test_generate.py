"""The synthetic city: deterministic from a seed, valid numbers, rows the ORM reads back."""

from __future__ import annotations

import hashlib
from collections import Counter

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.generate import NOW, City, load
from registry.db.models import Employer, Person, Residence, Stay
from registry.identity import ids, names


def _digest(city: City) -> str:
    h = hashlib.sha256()
    for table, _columns, rows in city.tables():
        h.update(table.encode())
        for row in rows:
            h.update(repr(sorted(row.items()) if isinstance(row, dict) else row).encode())
    return h.hexdigest()


def test_same_seed_same_rows() -> None:
    assert _digest(City(300, seed=5)) == _digest(City(300, seed=5))
    assert _digest(City(300, seed=5)) != _digest(City(300, seed=6))


def test_numbers_are_valid_and_varied() -> None:
    city = City(3000, seed=2)
    people = [p for chunk, _docs in city.persons() for p in chunk]
    kinds = Counter(p["doc_type"] for p in people)
    assert kinds["resident"] > 2500 and kinds["hmt_permit"] > 0 and kinds["foreign_2023"] > 0
    provinces = Counter(p["hukou_region"][:2] for p in people if p["category"] == "floating")
    assert len(provinces) >= 15
    assert any(p["category"] == "local" for p in people)
    for p in people:
        idn = ids.parse(p["number"])
        assert idn.doc_type.value == p["doc_type"]
        assert not idn.warnings, ids.mask(p["number"])
        assert idn.birth_date == p["birth_date"] and idn.gender == p["gender"]
        assert (p["name_pinyin"], p["name_initials"]) == names.forms(p["name"])
    assert len({p["id_key"] for p in people}) == len(people)
    surnames = {p["name"][0] for p in people}
    assert {"曾", "单"} <= surnames


def test_credit_codes_are_valid() -> None:
    city = City(3000, seed=2)
    for table, _columns, rows in city.tables():
        if table == "employers":
            codes = [r[2] for r in rows if r[2]]
            assert codes and all(ids.validate_uscc(c) == c for c in codes)
            break


def test_loaded_rows_read_back_through_the_orm(engine: Engine, sf: sessionmaker[Session]) -> None:
    stats = load(engine, City(400, seed=9))
    assert stats.rows["persons"] == 400
    with sf() as s:
        person = s.scalars(sa.select(Person).order_by(Person.number).limit(1)).one()
        assert person.created_at.tzinfo is not None and person.created_at <= NOW
        assert ids.parse(person.number).key == person.id_key
        stay = s.scalars(sa.select(Stay).limit(1)).one()
        assert stay.checked_in_at.tzinfo is not None
        assert s.get(Person, stay.person_id) is not None
        res = s.scalars(sa.select(Residence).where(Residence.valid_to.is_(None)).limit(1)).one()
        assert s.get(Person, res.person_id) is not None
        assert isinstance(s.scalars(sa.select(Employer.registered)).first(), bool)
        open_stays = s.scalar(sa.select(sa.func.count()).where(Stay.checked_out_at.is_(None)))
        assert open_stays is not None and open_stays > 0
