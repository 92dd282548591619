"""Issue #15's attacks with psql, each now refused: a coordinator's read-only login and a desk
login left from revision 0005 try every write that used to succeed, the ``laiqu.presented``
setting, the SECURITY DEFINER helpers with another login's name, and a LIKE wildcard in a
jurisdiction code. (The audit chain: test_audit_chain.py; SQLite's identity: test_identity.py.)
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from registry.db.models import Person, Venue
from registry.errors import InvalidInput
from registry.identity.ids import parse
from registry.messages import phrase
from registry.movements import stays
from registry.places import jurisdictions
from registry.privacy import access
from tests.registry.city import DISTRICT, STATION, build, rid, typed
from tests.security.roles import coordinator_login, legacy_desk_login, psql, refused, rows

MINE, THEIRS = rid(seq="061"), rid(seq="062")


@pytest.fixture
def pg_url(db_url: str) -> str:
    if not db_url.startswith("postgresql"):
        pytest.skip("database logins and row-level security are PostgreSQL's")
    return db_url


@pytest.fixture
def city(sf, ctx):
    city = build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(MINE, "张三")])
        stays.check_in(s, ctx, city.hotel2, "1", [typed(THEIRS, "李四")])
    return city


@pytest.fixture(params=["coordinator", "legacy_desk"])
def login(request, pg_url, sf, ctx, city) -> str:
    if request.param == "coordinator":
        return coordinator_login(sf, ctx, STATION)
    return legacy_desk_login(sf, ctx, city.hotel)


def test_setting_laiqu_presented_shows_nothing_more(pg_url, sf, ctx, city, login):
    key = parse(THEIRS).key
    with psql(pg_url, login) as conn:
        before = rows(conn, "SELECT name FROM persons ORDER BY name")
        assert before in ([("张三",)], [])  # the coordinator's guest; the desk login: nobody
        rows(conn, "SELECT set_config('laiqu.presented', %s, false)", key)
        with conn.cursor() as cur:
            cur.execute("SET laiqu.presented = %s", (key,))
        assert rows(conn, "SELECT name FROM persons ORDER BY name") == before
        assert rows(conn, "SELECT count(*) FROM persons WHERE id_key = %s", key) == [(0,)]
        assert rows(
            conn,
            "SELECT count(*) FROM documents d JOIN persons p ON p.id = d.person_id "
            "WHERE p.id_key = %s",
            key,
        ) == [(0,)]
        for sql in (
            "UPDATE persons SET name = '改名' WHERE id_key = %s",
            "DELETE FROM documents WHERE person_id IN (SELECT id FROM persons WHERE id_key = %s)",
            "DELETE FROM persons WHERE id_key = %s",
        ):
            assert "permission denied" in refused(conn, sql, key)
    with sf() as s:
        assert s.scalar(select(Person.name).where(Person.id_key == key)) == "李四"


WRITES = [
    "UPDATE jurisdictions SET path = '/'",
    "INSERT INTO jurisdictions (code, name, level, path) VALUES ('440304009', 'x', 'station', '/')",
    "INSERT INTO rules (id, jurisdiction_code, name, value, effective_from, set_by, set_at) "
    "VALUES (gen_random_uuid(), '4403', 'stay_report_hours', 1, '2026-01-01', 'x', now())",
    "UPDATE rules SET value = 0",
    "DELETE FROM sync_capture_off",
    "INSERT INTO sync_capture_off (key) VALUES ('x')",
    "DELETE FROM outbox",
    "UPDATE sync_ledger SET result = 'x'",
    "DELETE FROM sync_heartbeats",
    "DELETE FROM retention_holds",
    "UPDATE stays SET reported_at = now()",
    "DELETE FROM stays",
    "UPDATE persons SET name = '改名'",
    "UPDATE findings SET resolved_at = now()",
    "DELETE FROM findings",
    "UPDATE registry_users SET role = 'admin'",
    "UPDATE audit_head SET seq = 0",
    "INSERT INTO audit_log (seq, at, actor, role, kind, action, detail, prev_hash, hash) "
    "VALUES (999, now(), 'x', 'admin', 'admin', 'x', '{}', 'x', 'x')",
    "TRUNCATE audit_log",
    "TRUNCATE stays",
    "SELECT key FROM audit_key",
    "SELECT count(*) FROM audit_log",
    "SELECT count(*) FROM outbox",
    "SELECT nextval(pg_get_serial_sequence('outbox', 'seq'))",
    "CREATE TABLE mine (a int)",
]


@pytest.mark.parametrize("sql", WRITES)
def test_every_write_of_a_read_only_or_desk_login_is_refused(pg_url, sf, ctx, city, login, sql):
    with psql(pg_url, login) as conn:
        assert "permission denied" in refused(conn, sql)


def test_no_reader_privilege_beyond_select_and_a_policy_on_every_readable_table(pg_url, engine):
    with engine.connect() as conn:
        tables = conn.scalars(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).all()
        for group in ("laiqu_reader", "laiqu_user"):
            for table in tables:
                assert not conn.scalar(
                    sa.text("SELECT has_table_privilege(:g, :t, 'INSERT,UPDATE,DELETE,TRUNCATE')"),
                    {"g": group, "t": table},
                ), (group, table)
                if conn.scalar(
                    sa.text("SELECT has_table_privilege(:g, :t, 'SELECT')"),
                    {"g": group, "t": table},
                ):
                    assert conn.scalar(
                        sa.text("SELECT relrowsecurity FROM pg_class WHERE relname = :t"),
                        {"t": table},
                    ), table
                    assert conn.scalar(
                        sa.text(
                            "SELECT count(*) FROM pg_policies WHERE tablename = :t "
                            "AND 'laiqu_reader' = ANY(roles) AND cmd = 'SELECT'"
                        ),
                        {"t": table},
                    ), table
            for sequence in conn.scalars(
                sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ):
                assert not conn.scalar(
                    sa.text("SELECT has_sequence_privilege(:g, :s, 'USAGE,SELECT,UPDATE')"),
                    {"g": group, "s": sequence},
                )
        # No policy trusts a setting the client can set; none is left for laiqu_user.
        policies = conn.execute(sa.text("SELECT qual, with_check, roles FROM pg_policies")).all()
        assert policies
        for qual, check, roles in policies:
            assert "current_setting" not in f"{qual} {check}"
            assert "laiqu_user" not in roles


def test_security_definer_helpers_answer_only_for_the_session_login(pg_url, sf, ctx, city):
    coord = coordinator_login(sf, ctx, STATION)
    analyst = coordinator_login(sf, ctx, DISTRICT, role="analyst")
    with psql(pg_url, coord) as conn:
        for probe in (
            "SELECT laiqu_user_role(%s)",
            "SELECT laiqu_person_visible(%s, gen_random_uuid())",
            "SELECT laiqu_in_scope(%s, '4403')",
            "SELECT laiqu_my_role(%s)",
        ):
            assert "does not exist" in refused(conn, probe, analyst)
        assert rows(conn, "SELECT laiqu_my_role()") == [("coordinator",)]
        assert rows(conn, "SELECT laiqu_in_my_scope(%s)", DISTRICT) == [(False,)]
    with psql(pg_url, analyst) as conn:
        assert rows(conn, "SELECT laiqu_my_role()") == [("analyst",)]
        assert rows(conn, "SELECT count(*) FROM persons") == [(0,)]  # never one person
        assert rows(conn, "SELECT count(*) FROM stays") == [(2,)]  # the district's, for sums
    with sf.begin() as s:
        s.execute(sa.text(f'CREATE ROLE "{coord}_x" LOGIN'))  # a login in no laiqu group
    with psql(pg_url, f"{coord}_x") as conn:
        assert "permission denied" in refused(conn, "SELECT laiqu_my_role()")
    with sf() as s:
        definers = s.execute(
            sa.text(
                "SELECT proname, proargnames, proconfig FROM pg_proc p JOIN pg_namespace n "
                "ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.prosecdef"
            )
        ).all()
    assert definers
    for name, args, config in definers:
        assert "who" not in (args or []), name
        assert any(c.startswith("search_path=") for c in config or []), name


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("4201020_", "station"),
        ("44030400%", "station"),
        ("4403/0400", "station"),
        ("440304 01", "station"),
        ("G_1", "grid"),
        ("44030", "district"),
        ("4403x", "city"),
    ],
)
def test_a_jurisdiction_code_with_a_wildcard_or_a_wrong_shape_is_refused(sf, ctx, code, level):
    build(sf, ctx)
    parent = None if level == "city" else DISTRICT if level == "station" else STATION
    if level == "district":
        parent = "4403"
    with pytest.raises(InvalidInput) as caught, sf.begin() as s:
        jurisdictions.add_jurisdiction(s, ctx, code, "某地", level, parent)
    assert "辖区代码" in phrase(str(caught.value))


def test_a_wildcard_code_left_in_old_data_matches_no_sibling(db_url, sf, ctx, city, engine):
    """A node ``44030400_`` written before validation: its coordinator sees neither station
    ``440304001`` nor ``440304002`` (LIKE would match both), in the core and in the policies."""
    node = "44030400_"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, path) "
                "VALUES (:c, '旧数据', 'station', :p, :path)"
            ),
            {"c": node, "p": DISTRICT, "path": f"/4403/{DISTRICT}/{node}/"},
        )
    from registry.accounts import users

    with sf.begin() as s:
        users.add_user(s, ctx, "coord_wild", "coordinator", jurisdiction=node)
    with sf() as s:
        p = access.principal_for(s, "coord_wild")
        seen = s.scalars(select(Person.id).where(access.persons_clause(s, p, Person.id))).all()
        venues = s.scalars(
            select(Venue.id).where(access.places_clause(p, Venue.jurisdiction_code))
        ).all()
        assert seen == [] and venues == []
        assert not access.jurisdiction_in_scope(s, p, STATION)
    if db_url.startswith("postgresql"):
        from registry.accounts.users import create_login

        with sf.begin() as s:
            create_login(s, ctx, "coord_wild", None)
        with psql(db_url, "coord_wild") as conn:
            for table in ("persons", "venues", "stays", "houses"):
                assert rows(conn, f"SELECT count(*) FROM {table}") == [(0,)], table


def test_0009_downgrades_to_the_0005_roles_and_upgrades_again(pg_url, engine, sf, ctx, city):
    """Round trip; the upgrade also takes an old desk login out of ``laiqu_user``."""
    from alembic import command

    from registry.db.schema import alembic_config, upgrade

    command.downgrade(alembic_config(engine), "0008")
    with engine.connect() as conn:
        policies = conn.scalars(sa.text("SELECT policyname FROM pg_policies")).all()
        assert "persons_scope" in policies and "persons_reader" not in policies
        assert conn.scalar(sa.text("SELECT has_table_privilege('laiqu_user', 'stays', 'UPDATE')"))
    desk = legacy_desk_login(sf, ctx, city.hotel)
    upgrade(engine)
    with engine.connect() as conn:
        policies = conn.scalars(sa.text("SELECT policyname FROM pg_policies")).all()
        assert "persons_reader" in policies and "persons_scope" not in policies
        assert not conn.scalar(
            sa.text("SELECT has_table_privilege('laiqu_user', 'stays', 'UPDATE')")
        )
        assert not conn.scalar(
            sa.text("SELECT pg_has_role(:d, 'laiqu_user', 'MEMBER')"), {"d": desk}
        )


def test_the_command_line_refuses_a_wildcard_code_in_chinese(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))
    from laiqu_helpers import Laiqu

    run = Laiqu(f"sqlite:///{tmp_path / 'x.sqlite'}")
    run("init")
    run("jurisdiction", "add", "420100", "武汉市", "--level", "city")
    run("jurisdiction", "add", "420102", "江岸区", "--level", "district", "--parent", "420100")
    refused = run(
        "jurisdiction",
        "add",
        "4201020_",
        "某所",
        "--level",
        "station",
        "--parent",
        "420102",
        ok=False,
    )
    assert refused.exit_code == 1
    assert "辖区代码“4201020_”不是有效的派出所代码" in refused.stderr
    assert "Traceback" not in refused.output


def test_a_coordinator_whose_jurisdiction_is_gone_sees_nothing(db_url, sf, ctx, city, engine):
    from registry.accounts import users
    from registry.errors import NotFound

    with sf.begin() as s:
        users.add_user(s, ctx, "coord_gone", "coordinator", jurisdiction=STATION)
        if db_url.startswith("postgresql"):
            users.create_login(s, ctx, "coord_gone", None)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE registry_users SET jurisdiction_code = '999999999' WHERE login = :l"),
            {"l": "coord_gone"},
        )
    with sf() as s, pytest.raises(NotFound):
        access.principal_for(s, "coord_gone")
    if db_url.startswith("postgresql"):
        with psql(db_url, "coord_gone") as conn:
            for table in ("persons", "venues", "stays", "houses", "findings"):
                assert rows(conn, f"SELECT count(*) FROM {table}") == [(0,)], table
