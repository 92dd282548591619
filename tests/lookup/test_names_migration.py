"""Migration 0015 on a registry written before it: the stored pinyin is read again per
surname, the name key is indexed, and search finds the persons by both (both engines)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from registry.db.engine import make_engine, session_factory
from registry.db.models import Person
from registry.db.schema import upgrade
from registry.exchange.bulk import bulk_load_persons
from registry.identity import names
from registry.lookup import search

from .conftest import number

BEFORE = "0014"  # the revision 0015 follows
ENGINES = os.environ.get("LAIQU_TEST_ENGINES", "sqlite,postgresql").split(",")
OLD = {  # name: the pinyin forms stored before 0015 (the whole name read as a phrase)
    "查明": ("|chaming|", "|cm|"),
    "曾经纬": ("|cengjingwei|", "|cjw|"),
    "买买提•艾力": ("|maimaitiaili|", "|mmtal|"),
}


@pytest.fixture(params=ENGINES)
def engine_before(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.sqlite")
        yield engine
        engine.dispose()
        return
    server = request.getfixturevalue("pg_server")
    name = f"old_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine = make_engine(server.url(name))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_0015_reads_stored_names_again(engine_before: Engine) -> None:
    upgrade(engine_before, BEFORE)
    rows = [
        {
            "number": number("650102", "19800101", f"{i + 300:03d}"),
            "doc_type": "resident",
            "name": name,
            "name_pinyin": full,
            "name_initials": initials,
            "category": "floating",
        }
        for i, (name, (full, initials)) in enumerate(OLD.items())
    ]
    with engine_before.begin() as conn:
        bulk_load_persons(conn, rows)
    upgrade(engine_before)
    with session_factory(engine_before)() as s:
        stored = {p.name: (p.name_pinyin, p.name_initials) for p in s.scalars(sa.select(Person))}
        assert stored == {name: names.forms(name) for name in OLD}
        assert "|zhaming|" in stored["查明"][0] and "|zjw|" in stored["曾经纬"][1]
        for text, name in [("zhaming", "查明"), ("zm", "查明"), ("zengjingwei", "曾经纬"),
                           ("买买提·艾力", "买买提•艾力"), ("买买提 ・ 艾", "买买提•艾力"),
                           ("买提．艾力", "买买提•艾力")]:  # fmt: skip
            assert name in [h.label for h in search.search(s, text)], text


def test_0015_downgrades_and_upgrades_again(engine_before: Engine) -> None:
    from alembic import command

    from registry.db.schema import alembic_config

    upgrade(engine_before)
    command.downgrade(alembic_config(engine_before), BEFORE)
    upgrade(engine_before)
    with session_factory(engine_before)() as s:
        assert search.search(s, "买买提·艾力") == []
