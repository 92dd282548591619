"""A small generated city per engine, shared by the lookup tests of a module, plus a few
persons and a house registered through the use cases (so the index triggers are exercised)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bench.generate import City, load
from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.identity.ids import ric_check_digit
from registry.people.registration import TypedIdentity, register_person
from registry.places.houses import add_house

ENGINES = os.environ.get("LAIQU_TEST_ENGINES", "sqlite,postgresql").split(",")
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)

# Enough rows on PostgreSQL for the planner to prefer the indexes (checked with EXPLAIN).
SIZES = {"sqlite": 3_000, "postgresql": 30_000}


def number(region: str, born: str, seq: str) -> str:
    first17 = region + born + seq
    return first17 + ric_check_digit(first17)


@dataclass
class Known:
    zeng: str = number("440305", "19900101", "123")  # 曾凡, phone 13800001234
    shan: str = number("430182", "19851111", "246")  # 单田芳
    qiu: str = number("810000", "19920202", "135")  # 仇思远, Hong Kong permit


@dataclass
class World:
    engine: Engine
    sf: sessionmaker[Session]
    dialect: str
    known: Known
    house_id: uuid.UUID


def _populate(engine: Engine, size: int) -> uuid.UUID:
    load(engine, City(size, seed=11))
    ctx = Context(actor="tester", terminal="test", now_fixed=NOW)
    k = Known()
    with session_factory(engine).begin() as s:
        register_person(
            s,
            ctx,
            TypedIdentity(
                number=k.zeng,
                name="曾凡",
                phone="13800001234",
                hukou_address="广东省深圳市南山区桃源街道青年路124号",
            ),
            city="440300",
        )
        register_person(s, ctx, TypedIdentity(number=k.shan, name="单田芳"), city="440300")
        register_person(s, ctx, TypedIdentity(number=k.qiu, name="仇思远"), city="440300")
        grid = s.scalar(sa.text("SELECT code FROM jurisdictions WHERE level = 'grid' LIMIT 1"))
        house = add_house(s, ctx, "深圳市南山区龙珠七路888号翡翠花园9栋1单元808室", grid)
        house_id = house.id
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return house_id


@pytest.fixture(scope="package", params=ENGINES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    dialect = request.param
    if dialect == "sqlite":
        path = tmp_path_factory.mktemp("lookup") / "city.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
        house = _populate(engine, SIZES[dialect])
        yield World(engine, session_factory(engine), dialect, Known(), house)
        engine.dispose()
        return
    server = request.getfixturevalue("pg_server")
    name = f"lookup_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        template = request.getfixturevalue("pg_template")
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE {template}'))
    engine = make_engine(server.url(name))
    house = _populate(engine, SIZES[dialect])
    yield World(engine, session_factory(engine), dialect, Known(), house)
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
