"""Revision 0012: writers stage audit entries unchained, one chainer at a time links them.

No writer waits for another's audit entry (PostgreSQL); a chainer killed mid-way loses and
doubles nothing; ``verify`` chains first, reports the backlog, and finds an unchained entry
altered, forged or replayed as it finds a chained one altered; an old chain upgraded to 0012
still verifies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from dbtools import statements
from sqlalchemy import select

from registry.db.access_models import AuditEntry, AuditPending
from registry.db.engine import make_engine, session_factory
from registry.db.schema import upgrade
from registry.movements import residences, stays
from registry.privacy import audit
from tests.registry.city import build, rid, typed

ROOT = Path(__file__).parents[2]
SOMEONE = "00000000-0000-4000-8000-000000000001"


def _note(ctx, action: str = "x.y") -> audit.Note:
    return audit.Note(ctx.now(), "root", "admin", "t", "admin", action, None, "{}")


def _stage(engine: sa.Engine, ctx, count: int) -> list[int]:
    """Commit ``count`` staged entries without chaining them (a writer whose after-commit
    chaining was skipped); their ids."""
    with engine.begin() as conn:
        audit.stage(conn, [_note(ctx, f"x.{n}") for n in range(count)])
        return list(conn.scalars(select(AuditPending.id).order_by(AuditPending.id)))[-count:]


def _as_owner(engine: sa.Engine, *statements: str) -> None:
    """Tamper as the database owner can: set the triggers aside, then change."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_pending DISABLE TRIGGER audit_pending_guard")
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        else:
            for trigger in ("audit_pending_no_update", "audit_pending_no_delete"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        for statement in statements:
            conn.exec_driver_sql(statement)


def _pending_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(sa.func.count()).select_from(AuditPending)) or 0)


def test_an_open_transaction_with_an_audit_entry_blocks_no_other_commit(sf, ctx, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time anyway")
    city = build(sf, ctx)
    # A writer with a staged entry, and a chainer stuck mid-way holding the head's lock.
    writer = engine.connect()
    writer.begin()
    audit.stage(writer, [_note(ctx, "held.open")])
    stuck = engine.connect()
    stuck.begin()
    stuck.execute(audit._HEAD_WAIT).one()
    done: list[float] = []
    errors: list[BaseException] = []

    def commit_another() -> None:
        started = time.monotonic()
        try:
            with sf.begin() as s:
                residences.move_in(s, ctx, city.house2, typed(rid(seq="301"), "某人"))
            done.append(time.monotonic() - started)
        except BaseException as exc:  # reported below
            errors.append(exc)

    try:
        other = threading.Thread(target=commit_another)
        other.start()
        other.join(timeout=20)
        assert not errors and done, "a writer waited for another's audit entry"
        assert done[0] < 5
        # Its entry waits for the chainer; the held one is invisible until its commit.
        with engine.connect() as conn:
            waiting, oldest = audit.backlog(conn)
        assert waiting >= 1 and oldest is not None
    finally:
        stuck.rollback()
        stuck.close()
    assert audit.settle(engine) >= 1  # the other's entries; the held one is not committed
    writer.commit()
    writer.close()
    assert audit.settle(engine) == 1
    with engine.connect() as conn:
        verdict = audit.verify(conn)
        actions = list(conn.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert verdict.ok and _pending_count(engine) == 0
    # Chained in the order the chainer saw them committed: the held entry last.
    assert actions[-1] == "held.open" and "residence.moved_in" in actions[:-1]


def test_concurrent_writers_all_chained_once(sf, ctx, engine):
    city = build(sf, ctx)
    errors: list[BaseException] = []

    def move(first: int) -> None:
        for n in range(4):
            try:
                with sf.begin() as s:
                    person = typed(rid(seq=f"{first + n:03d}"), "某人")
                    residences.move_in(s, ctx, city.house2, person)
            except BaseException as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=move, args=(400 + 10 * i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if engine.dialect.name == "postgresql":
        assert not errors
    with engine.connect() as conn:
        verdict = audit.verify(conn)
        pendings = list(conn.scalars(select(AuditEntry.pending_id)))
    assert verdict.ok and _pending_count(engine) == 0
    linked = [p for p in pendings if p is not None]
    assert len(linked) == len(set(linked))  # none chained twice
    if engine.dialect.name == "postgresql":
        assert len(linked) >= 24  # every writer's entries came through the chainer


CHAINER = """
import sys, time
from registry.db.engine import make_engine, session_factory
from registry.privacy import audit
engine = make_engine(sys.argv[1])
conn = engine.connect()
conn.begin()
print(audit.chain(conn), flush=True)
time.sleep(120)
"""


def test_a_chainer_killed_mid_way_loses_and_doubles_nothing(db_url, sf, ctx, engine):
    city = build(sf, ctx)
    ids = _stage(engine, ctx, 5)
    chainer = subprocess.Popen(
        [sys.executable, "-c", CHAINER, db_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert chainer.stdout is not None
        assert int(chainer.stdout.readline()) >= 5  # chained, not committed
        if engine.dialect.name == "postgresql":
            # Meanwhile writers commit, and the opportunistic chaining steps aside.
            with sf.begin() as s:
                residences.move_in(s, ctx, city.house2, typed(rid(seq="501"), "某人"))
            assert audit.settle(engine, wait=False) == 0
    finally:
        chainer.send_signal(signal.SIGKILL)
        chainer.wait(timeout=30)
        if chainer.stdout is not None:
            chainer.stdout.close()
    assert _pending_count(engine) >= 5  # the killed chainer's work was rolled back
    with engine.connect() as conn:
        verdict = audit.verify(conn)  # chains first: the restart
        chained = list(
            conn.scalars(select(AuditEntry.pending_id).where(AuditEntry.pending_id.in_(ids)))
        )
    assert verdict.ok and verdict.pending >= 5 and verdict.oldest is not None
    assert sorted(chained) == ids and _pending_count(engine) == 0


def test_verify_reports_the_backlog_then_chains_it(sf, ctx, engine):
    build(sf, ctx)
    audit.settle(engine)  # the city's own entries (PostgreSQL: left to a chainer)
    ids = _stage(engine, ctx, 3)
    with engine.connect() as conn:
        verdict = audit.verify(conn)
        last = conn.execute(
            select(AuditEntry.seq, AuditEntry.pending_id).order_by(AuditEntry.seq.desc())
        ).first()
    assert verdict.ok and verdict.pending == 3 and verdict.oldest == ctx.now()
    assert last is not None and last.pending_id == ids[-1] and last.seq == verdict.entries
    with engine.connect() as conn:
        assert audit.verify(conn).pending == 0


def test_an_unchained_entry_cannot_be_dropped_or_edited_but_by_the_owner(sf, ctx, engine):
    build(sf, ctx)
    audit.settle(engine)
    ids = _stage(engine, ctx, 2)
    for statement in (
        f"DELETE FROM audit_pending WHERE id = {ids[0]}",
        f"UPDATE audit_pending SET actor = 'x' WHERE id = {ids[0]}",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="audit_pending"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert _pending_count(engine) == 2


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_pending SET purpose = 'edited' WHERE id = {id}",
        "UPDATE audit_pending SET subjects = '[[\"" + SOMEONE + "\", null]]' WHERE id = {id}",
        "UPDATE audit_pending SET mac = '" + "0" * 64 + "' WHERE id = {id}",
    ],
)
def test_an_altered_unchained_entry_is_found_and_left_unchained(sf, ctx, engine, tamper):
    build(sf, ctx)
    ids = _stage(engine, ctx, 3)
    _as_owner(engine, tamper.format(id=ids[1]))
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert not verdict.ok and verdict.problem == f"unchained entry {ids[1]} was altered"
    with engine.connect() as conn:  # the good ones were chained, the altered one was not
        chained = set(
            conn.scalars(select(AuditEntry.pending_id).where(AuditEntry.pending_id.is_not(None)))
        )
    assert {ids[0], ids[2]} <= chained and ids[1] not in chained


def test_a_forged_and_a_replayed_unchained_entry_are_found(sf, ctx, engine):
    build(sf, ctx)
    ids = _stage(engine, ctx, 2)
    with engine.connect() as conn:
        assert audit.verify(conn).ok
        row = conn.execute(select(AuditPending.__table__).limit(1)).first()
    assert row is None
    # A replay: the first entry's pending row put back after its chaining, MAC and all.
    with engine.connect() as conn:
        chained = conn.execute(select(AuditEntry).where(AuditEntry.pending_id == ids[0])).one()
    key = _chain_key(engine)
    mac = audit.pending_mac(
        key,
        ids[0],
        chained.at,
        chained.actor,
        chained.role,
        chained.terminal,
        chained.kind,
        chained.action,
        chained.purpose,
        chained.detail,
        [],
    )
    values = {
        "id": ids[0],
        "at": chained.at,
        "actor": chained.actor,
        "role": chained.role,
        "terminal": chained.terminal,
        "kind": chained.kind,
        "action": chained.action,
        "purpose": None,
        "detail": chained.detail,
        "subjects": "[]",
        "mac": mac,
    }
    with engine.begin() as conn:
        conn.execute(sa.insert(AuditPending), values)
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert not verdict.ok and f"replays entry {chained.seq}" in (verdict.problem or "")
    _as_owner(engine, f"DELETE FROM audit_pending WHERE id = {ids[0]}")
    # A forgery: an entry sealed with a guessed key.
    forged = audit.pending_mac(
        os.urandom(32),
        10**6,
        chained.at,
        "root",
        "admin",
        None,
        "admin",
        "user.added",
        None,
        "{}",
        [],
    )
    with engine.begin() as conn:
        conn.execute(sa.insert(AuditPending), {**values, "id": 10**6, "mac": forged})
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert not verdict.ok and verdict.problem == f"unchained entry {10**6} was altered"


def test_a_chained_entry_altered_after_chaining_is_found(sf, ctx, engine):
    build(sf, ctx)
    ids = _stage(engine, ctx, 3)
    with engine.connect() as conn:
        assert audit.verify(conn).ok
        seq = conn.scalar(select(AuditEntry.seq).where(AuditEntry.pending_id == ids[1]))
    _as_owner(engine, f"UPDATE audit_log SET pending_id = {10**7} WHERE seq = {seq}")
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert not verdict.ok and verdict.seq == seq and "altered" in (verdict.problem or "")


def _chain_key(engine: sa.Engine) -> bytes:
    from registry.privacy import auditkey

    with engine.connect() as conn:
        return auditkey.chain_key(conn)


def test_migration_0012_keeps_an_old_chain_verifiable(db_url, ctx, request):
    """Upgraded from the revision before (entries chained the old way), the chain verifies;
    new entries are staged and chained after it; the downgrade keeps it verifiable too."""
    if db_url.startswith("postgresql"):
        from tests.dbtools import _drop_pg

        server = request.getfixturevalue("pg_server")
        name = f"m_{os.urandom(6).hex()}"
        admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = server.url(name)
        request.addfinalizer(lambda: _drop_pg(server, name))
    else:
        url = db_url.replace("laiqu.sqlite", "old.sqlite")
    engine = make_engine(url)
    upgrade(engine, "0011")
    with engine.begin() as conn:
        for n in range(5):
            audit.append(conn, [_note(ctx, f"old.{n}")])
    upgrade(engine)
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert verdict.ok and verdict.entries == 5
    _stage(engine, ctx, 3)
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert verdict.ok and verdict.entries == 8 and verdict.pending == 3
    _stage(engine, ctx, 2)  # left pending: the downgrade chains them first
    from alembic import command

    from registry.db.schema import alembic_config

    command.downgrade(alembic_config(engine), "0011")
    with engine.connect() as conn:
        verdict = audit.verify(conn)
        assert not sa.inspect(conn).has_table("audit_pending")
    assert verdict.ok and verdict.entries == 10
    engine.dispose()


def test_the_command_line_reports_the_backlog_and_an_altered_unchained_entry(tmp_path, ctx):
    sys.path.insert(0, str(ROOT / "tests" / "cli"))
    from laiqu_helpers import Laiqu

    db = tmp_path / "x.sqlite"
    run = Laiqu(f"sqlite:///{db}")
    run("init")
    engine = make_engine(f"sqlite:///{db}")
    _stage(engine, ctx, 2)
    out = run("audit", "verify").stdout
    assert "完好" in out and "核对前有 2 条记录尚未入链" in out and "已先入链再核对" in out
    ids = _stage(engine, ctx, 1)
    _as_owner(engine, f"UPDATE audit_pending SET actor = 'x' WHERE id = {ids[0]}")
    failed = run("audit", "verify", ok=False)
    assert failed.exit_code == 1 and f"暂存编号 {ids[0]}" in failed.stderr
    assert "被改动或伪造" in failed.stderr and "Traceback" not in failed.output
    engine.dispose()


def test_the_background_chainer_links_what_writers_left(sf, ctx, engine):
    from registry.privacy.chainer import Chainer

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers chain at their commit: no background chainer")
    build(sf, ctx)
    _stage(engine, ctx, 4)
    chainer = Chainer(engine, every=0.1)
    chainer.start()
    try:
        deadline = time.monotonic() + 10
        while _pending_count(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        chainer.stop()
    assert _pending_count(engine) == 0
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert verdict.ok and verdict.pending == 0


def test_a_writer_leaves_its_entries_to_a_chainer_and_a_waiting_one_altered_is_found(
    sf, ctx, engine
):
    """PostgreSQL: a check-in stages its audit entries and touches neither the chain nor its
    head at its commit (issue #16: 8 statements fewer); an entry altered while it waits is
    found by ``verify``, which chains the others first."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers chain at their commit")
    city = build(sf, ctx)
    audit.settle(engine)
    with statements(engine) as sent, sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(rid(seq="601"), "钱七")])
    assert not [q for q in sent if "audit_head" in q or "audit_log" in q], sent
    with engine.connect() as conn:
        ids = list(conn.scalars(select(AuditPending.id).order_by(AuditPending.id)))
    assert len(ids) >= 2  # person.registered and stay.checked_in at least
    _as_owner(engine, f"UPDATE audit_pending SET actor = 'x' WHERE id = {ids[0]}")
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert not verdict.ok and verdict.problem == f"unchained entry {ids[0]} was altered"
    assert verdict.pending == len(ids) and _pending_count(engine) == 1  # the others chained


def test_what_a_writer_left_is_chained_after_the_lag_and_when_its_engine_goes(
    db_url, ctx, monkeypatch
):
    """PostgreSQL without a chainer at work: the writer's next commit once ``audit.LAG``
    seconds have passed chains what it left, and so does ``engine.dispose()`` (a command's
    end); nothing is lost and the chain verifies."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite writers chain at their commit")
    engine = make_engine(db_url)
    sf = session_factory(engine)
    city = build(sf, ctx)
    assert _pending_count(engine) > 0  # the city's entries wait
    monkeypatch.setattr(audit, "LAG", 0.0)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "101", [typed(rid(seq="611"), "孙八")])
    assert _pending_count(engine) == 0  # due: chained after this commit, with the city's
    monkeypatch.setattr(audit, "LAG", 3600.0)
    with sf.begin() as s:
        stays.check_in(s, ctx, city.hotel, "102", [typed(rid(seq="612"), "周九")])
    assert _pending_count(engine) >= 2  # not yet due
    engine.dispose()  # the end of a command: what it left is chained
    other = make_engine(db_url)
    try:
        assert _pending_count(other) == 0
        with other.connect() as conn:
            verdict = audit.verify(conn)
        assert verdict.ok and verdict.pending == 0
    finally:
        other.dispose()


def test_a_committed_refusal_is_chained_at_once(sf, ctx, engine):
    """A refusal noted in a transaction that commits (a throttled sign-in) is in the chain
    as soon as the commit returns, on both engines: the entries an admin looks for first."""
    build(sf, ctx)
    with sf.begin() as s:
        audit.note(s, ctx, "refused", "test.refused", durable=True, why="x")
    with engine.connect() as conn:
        actions = list(conn.scalars(select(AuditEntry.action)))
    assert "test.refused" in actions and _pending_count(engine) == 0
