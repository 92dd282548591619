"""The schema keeps the rules of a sharded PostgreSQL that docs/scale.md states (issue #16).

Citus cannot be installed here (performance.md §4.3), so the rules are checked on the schema
the migrations build, on both engines, from the database's own catalogue.
"""

from __future__ import annotations

import uuid
import warnings
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from dbtools import ENGINES

from registry.db import distribution
from registry.db.base import UTCDateTime
from registry.db.distribution import TABLES
from registry.db.engine import make_engine
from registry.db.models import Person
from registry.db.schema import alembic_config, upgrade

DOC = "docs/scale.md"


@pytest.fixture(autouse=True)
def _expression_indexes_unreflected():
    """SQLite's reflection skips migration 0015's expression indexes with a warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        yield


def _tables(engine: sa.Engine) -> list[str]:
    names = sa.inspect(engine).get_table_names()
    return [n for n in names if "_fts" not in n]  # SQLite's full-text shadow tables


def test_every_table_is_placed(engine):
    present = set(_tables(engine))
    assert present - set(TABLES) == set(), "a new table needs its placement in distribution.py"
    assert set(TABLES) - present == set()


def test_distributed_keys_contain_the_distribution_column(engine):
    inspector = sa.inspect(engine)
    for table, placement in distribution.distributed().items():
        column = placement.column
        pk = inspector.get_pk_constraint(table)["constrained_columns"]
        assert column in pk, f"{table}: primary key {pk} lacks {column}"
        assert pk[0] == column, f"{table}: primary key {pk} should lead with {column}"
        uniques = [u["column_names"] for u in inspector.get_unique_constraints(table)]
        uniques += [i["column_names"] for i in inspector.get_indexes(table) if i["unique"]]
        for key in uniques:
            assert column in key, f"{table}: unique key {key} lacks {column}"
        nullable = {c["name"]: c["nullable"] for c in inspector.get_columns(table)}
        assert nullable[column] is False, f"{table}.{column} may be NULL"


def test_foreign_keys_stay_in_their_group_or_point_at_reference_tables(engine):
    inspector = sa.inspect(engine)
    for table in _tables(engine):
        here = TABLES[table]
        for fk in inspector.get_foreign_keys(table):
            there = TABLES[fk["referred_table"]]
            where = f"{table}({fk['constrained_columns']}) -> {fk['referred_table']}"
            if there.kind == "reference":
                assert here.kind in ("distributed", "reference", "local"), where
                continue
            assert here.kind == there.kind == "distributed", where
            assert here.group == there.group, f"{where}: across co-location groups"
            pairs = dict(zip(fk["constrained_columns"], fk["referred_columns"], strict=True))
            assert pairs.get(here.column) == there.column, f"{where}: off the distribution column"


def test_scale_doc_lists_every_placement():
    from pathlib import Path

    text = (Path(__file__).parents[2] / DOC).read_text(encoding="utf-8")
    for table, placement in TABLES.items():
        assert f"`{table}`" in text, f"{DOC} does not place {table}"
        if placement.column:
            assert f"`{placement.column}`" in text


def _person(conn: sa.Connection, key: str) -> uuid.UUID:
    pid = uuid.uuid4()
    now = datetime.now(UTC)
    conn.execute(
        sa.text(
            "INSERT INTO persons (id, id_key, doc_type, number, name, name_pinyin, "
            "name_initials, gender, category, created_at, updated_at) VALUES "
            "(:id, :key, 'resident', :n, '测试', 'ceshi', 'cs', '1', 'local', :t, :t)"
        ).bindparams(sa.bindparam("id", type_=sa.Uuid()), sa.bindparam("t", type_=UTCDateTime())),
        {"id": pid, "key": key, "n": key.split(":")[1], "t": now},
    )
    return pid


def _keys(conn: sa.Connection) -> dict[str, uuid.UUID]:
    rows = conn.execute(sa.text("SELECT key, owner_id FROM natural_keys"))
    return {k: uuid.UUID(str(o)) for k, o in rows}


def test_a_taken_id_key_is_refused_and_freed_on_change_and_delete(engine):
    with engine.begin() as conn:
        first = _person(conn, "resident:110101199001010011")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        _person(conn, "resident:110101199001010011")
    with engine.begin() as conn:
        assert _keys(conn) == {"person:resident:110101199001010011": first}
        conn.execute(
            sa.update(Person).where(Person.id == first).values(id_key="anonymous:x", name="")
        )
        conn.execute(sa.update(Person).where(Person.id == first).values(name="y"))
        assert _keys(conn) == {"person:anonymous:x": first}
        second = _person(conn, "resident:110101199001010011")  # the number is free again
        conn.execute(sa.delete(Person).where(Person.id == first))
        assert _keys(conn) == {"person:resident:110101199001010011": second}


@pytest.mark.parametrize("engine_name", ENGINES)
def test_migration_keeps_rows_and_fills_the_natural_keys(engine_name, tmp_path, request):
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
        drop = None
    else:
        server = request.getfixturevalue("pg_server")
        name = f"old_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        url, drop = server.url(name), name
    engine = make_engine(url)
    try:
        upgrade(engine, "0011")
        with engine.begin() as conn:
            pids = [_person(conn, f"resident:11010119900101{i:04d}") for i in range(3)]
        upgrade(engine)
        with engine.begin() as conn:
            assert sorted(_keys(conn).values()) == sorted(pids)
            pk = sa.inspect(conn).get_pk_constraint("stays")["constrained_columns"]
            assert pk == ["person_id", "id"]
        from alembic import command

        command.downgrade(alembic_config(engine), "0011")
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM persons")) == 3
            assert sa.inspect(conn).get_pk_constraint("stays")["constrained_columns"] == ["id"]
        upgrade(engine)
    finally:
        engine.dispose()
        if drop:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE {drop}"))
            admin.dispose()
