"""PostgreSQL roles and row-level security since migration 0009: a coordinator's read-only
login reads its subtree only, even with plain SQL; desks and intermediaries get no database
login (they reach the station service with API credentials); the service's role does the
desk's job on the desk user's behalf.

Rewritten from the 0005 tests, where a desk's own login checked guests in and out under
row-level security (``laiqu.presented``): that login no longer exists.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from registry.accounts import users
from registry.errors import Refused
from registry.movements import stays
from registry.privacy import access, audit
from tests.registry.city import STATION, build, rid, typed

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))

from laiqu_helpers import Laiqu


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, db_url: str) -> str:
    if not db_url.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's")
    return db_url


def _as(pg_url: str, login: str) -> sa.Engine:
    return sa.create_engine(make_url(pg_url).set(username=login))


def test_a_coordinator_login_reads_its_subtree_and_a_desk_gets_no_login(pg_url, sf, ctx):
    city = build(sf, ctx)
    mine, theirs = rid(seq="041"), rid(seq="042")
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(mine, "张三")])
        stays.check_in(s, ctx, city.hotel2, "1", [typed(theirs, "李四")])
    desk, coord = f"desk_{uuid.uuid4().hex[:8]}", f"coord_{uuid.uuid4().hex[:8]}"
    with sf.begin() as s:
        users.add_user(s, ctx, desk, "desk", venue=city.hotel)
        users.add_user(s, ctx, coord, "coordinator", jurisdiction=STATION)
        users.add_user(s, ctx, make_url(pg_url).username or "postgres", "admin")
        assert users.create_login(s, ctx, coord, None)
    with pytest.raises(Refused, match="no database login"), sf.begin() as s:
        users.create_login(s, ctx, desk, None)
    with sf() as s:
        assert not s.scalar(sa.text(f"SELECT count(*) FROM pg_roles WHERE rolname = '{desk}'"))
    # The command line says why, in Chinese, and creates nothing.
    run = Laiqu(pg_url)
    refused = run(
        "user",
        "add",
        "clerk2",
        "--role",
        "desk",
        "--venue",
        city.hotel,
        "--create-login",
        ok=False,
    )
    assert refused.exit_code == 1 and "API 凭据" in refused.stderr
    with sf() as s:
        assert not s.scalar(sa.text("SELECT count(*) FROM pg_roles WHERE rolname = 'clerk2'"))
    as_coord = _as(pg_url, coord)
    try:
        with as_coord.connect() as conn:
            assert conn.execute(sa.text("SELECT current_user")).scalar() == coord
            assert conn.execute(sa.text("SELECT name FROM persons")).scalars().all() == ["张三"]
            assert conn.execute(sa.text("SELECT count(*) FROM houses")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM stays")).scalar() == 1
        # The command line: a read-only login cannot write the audit entry of a read.
        run = Laiqu(make_url(pg_url).set(username=coord).render_as_string(False))
        refused = run("person", "show", mine, ok=False)
        assert refused.exit_code == 1 and "只读" in refused.stderr
    finally:
        as_coord.dispose()


def test_a_desk_login_left_from_0005_sees_and_writes_nothing(pg_url, sf, ctx):
    """A login made the 0005 way (``GRANT laiqu_user``) for a desk user: no rows, no writes."""
    city = build(sf, ctx)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(rid(seq="043"), "张三")])
    desk = f"desk_{uuid.uuid4().hex[:8]}"
    with sf.begin() as s:
        users.add_user(s, ctx, desk, "desk", venue=city.hotel)
        s.execute(sa.text(f'CREATE ROLE "{desk}" LOGIN'))
        s.execute(sa.text(f'GRANT laiqu_user TO "{desk}"'))
    as_desk = _as(pg_url, desk)
    try:
        with as_desk.connect() as conn:
            for table in ("persons", "stays", "venues", "documents"):
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 0
        with (
            pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
            as_desk.begin() as conn,
        ):
            conn.execute(sa.text("UPDATE stays SET room = 'x'"))
    finally:
        as_desk.dispose()


def test_the_service_role_does_the_desk_job_for_the_desk_user(pg_url, sf, ctx):
    """The station service connects as a ``laiqu_service`` login and acts for the desk user:
    a first-time guest, a guest registered elsewhere, check-out, the audit chain intact."""
    city = build(sf, ctx)
    known = rid(seq="051")
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel2, "1", [typed(known, "王五")])
        stays.check_out(s, ctx, city.hotel2, number=known)
    desk, service = f"desk_{uuid.uuid4().hex[:8]}", f"svc_{uuid.uuid4().hex[:8]}"
    with sf.begin() as s:
        users.add_user(s, ctx, desk, "desk", venue=city.hotel)
        s.execute(sa.text(f'CREATE ROLE "{service}" LOGIN IN ROLE laiqu_service'))
    as_service = _as(pg_url, service)
    try:
        factory = sa.orm.sessionmaker(as_service, expire_on_commit=False)
        with factory() as s:
            clerk = ctx.acting_as(access.principal_for(s, desk))
        new = rid(seq="052")
        with factory.begin() as s:
            stays.check_in(s, clerk, city.hotel, "101", [typed(new, "赵六")])
        with factory.begin() as s:
            stays.check_in(s, clerk, city.hotel, "102", [typed(known, "王五")])
        with factory.begin() as s:
            stays.check_out(s, clerk, city.hotel, room="101")
        with pytest.raises(access.OutOfScope), factory.begin() as s:
            stays.check_in(s, clerk, city.hotel2, "2", [typed(rid(seq="053"), "某人")])
        with as_service.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM stays")).scalar() == 3
    finally:
        as_service.dispose()
    with sf() as s:
        assert audit.verify(s.connection()).ok
        assert s.scalar(sa.text("SELECT count(*) FROM audit_log WHERE actor = :d"), {"d": desk})
