"""PostgreSQL row-level security: a desk's own login cannot read other venues' guests, even
with plain SQL; the laiqu command knows the login as its identity (``current_user``)."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from registry.accounts import users
from registry.movements import stays
from tests.registry.city import STATION, build, rid, typed

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))

from laiqu_helpers import Laiqu


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, db_url: str) -> str:
    if not db_url.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's")
    return db_url


def test_a_desk_login_sees_only_its_venue(pg_url, sf, ctx):
    city = build(sf, ctx)
    mine, theirs = rid(seq="041"), rid(seq="042")
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(mine, "张三")])
        stays.check_in(s, ctx, city.hotel2, "1", [typed(theirs, "李四")])
    desk, coord = f"desk_{uuid.uuid4().hex[:8]}", f"coord_{uuid.uuid4().hex[:8]}"
    with sf.begin() as s:
        users.add_user(s, ctx, desk, "desk", venue=city.hotel)
        assert users.create_login(s, ctx, desk, None)
        users.add_user(s, ctx, coord, "coordinator", jurisdiction=STATION)
        users.create_login(s, ctx, coord, None)
    as_desk = sa.create_engine(make_url(pg_url).set(username=desk))
    try:
        with as_desk.connect() as conn:
            assert conn.execute(sa.text("SELECT current_user")).scalar() == desk
            names = conn.execute(sa.text("SELECT name FROM persons")).scalars().all()
            assert names == ["张三"]
            venues = conn.execute(sa.text("SELECT DISTINCT venue_id FROM stays")).scalars().all()
            assert [str(v) for v in venues] == [city.hotel]
            assert conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar() == 0
            assert conn.execute(sa.text("SELECT count(*) FROM houses")).scalar() == 0
        # The command line: the login is the identity, the core refuses the other guest.
        run = Laiqu(str(make_url(pg_url).set(username=desk).render_as_string(False)))
        assert "110105" in run("person", "show", mine).stdout
        refused = run("person", "show", theirs, ok=False)
        assert refused.exit_code == 1
    finally:
        as_desk.dispose()
    as_coord = sa.create_engine(make_url(pg_url).set(username=coord))
    try:
        with as_coord.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM persons")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM houses")).scalar() == 1
    finally:
        as_coord.dispose()


def test_a_desk_login_checks_guests_in_and_out_under_rls(pg_url, sf, ctx):
    """The desk's own login does the whole desk job: a first-time guest, a guest registered
    elsewhere (read by exact document only, while registering), check-out."""
    city = build(sf, ctx)
    known = rid(seq="051")
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel2, "1", [typed(known, "王五")])
        stays.check_out(s, ctx, city.hotel2, number=known)
    desk = f"desk_{uuid.uuid4().hex[:8]}"
    with sf.begin() as s:
        users.add_user(s, ctx, desk, "desk", venue=city.hotel)
        assert users.create_login(s, ctx, desk, None)
    run = Laiqu(str(make_url(pg_url).set(username=desk).render_as_string(False)))
    new = rid(seq="052")
    run("checkin", "--venue", city.hotel, "--room", "101", "--id", new, "--name", "赵六")
    run("checkin", "--venue", city.hotel, "--room", "102", "--id", known, "--name", "王五")
    run("checkout", "--venue", city.hotel, "--room", "101")
    as_desk = sa.create_engine(make_url(pg_url).set(username=desk))
    try:
        with as_desk.connect() as conn:
            # Only the guest still in the house is the desk's to see.
            names = conn.execute(sa.text("SELECT name FROM persons")).scalars().all()
            assert names == ["王五"]
    finally:
        as_desk.dispose()
    with sf() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(sa.text("stays"))) == 3
