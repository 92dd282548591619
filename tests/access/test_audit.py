"""The hash-chained audit log: writes and reads chained, who-viewed, tampering detected."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy import select

from registry.db.access_models import AuditEntry, AuditSubject
from registry.lookup import records
from registry.movements import residences
from registry.privacy import audit, auditing
from tests.registry.city import build, rid, typed


def test_writes_and_reads_are_chained_and_verified(sf, ctx, engine):
    city = build(sf, ctx)
    a = rid(seq="031")
    with sf.begin() as s:
        residences.move_in(s, ctx, city.house, typed(a, "张三"))
    with sf.begin() as s:
        records.read_person(s, ctx, a, reveal_reason="核查 2026-7")
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert verdict.ok and verdict.entries > 5
    with sf.begin() as s:
        _, seen = auditing.who_viewed_number(s, ctx, a)
    kinds = [(v.kind, v.action) for v in seen]
    assert ("reveal", "person.revealed") in kinds and any(k == "write" for k, _ in kinds)
    with sf() as s:
        details = " ".join(s.scalars(select(AuditEntry.detail)))
        assert a not in details and a[6:14] not in details  # never the number in clear
        assert s.scalar(select(AuditEntry.purpose).where(AuditEntry.kind == "reveal")) == (
            "核查 2026-7"
        )


def _bypass(engine, statement: str) -> None:
    """Tamper as the database owner would: drop the append-only triggers, then change."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            conn.exec_driver_sql(statement)
            conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
            conn.exec_driver_sql(statement)


def test_append_only_and_tampering_is_detected(sf, ctx, engine):
    build(sf, ctx)
    with engine.connect() as conn:
        assert audit.verify(conn).ok
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{statement} was allowed")
    _bypass(engine, "UPDATE audit_log SET purpose = 'edited' WHERE seq = 3")
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert not verdict.ok and verdict.seq == 3 and "altered" in (verdict.problem or "")
    _bypass(engine, "DELETE FROM audit_log WHERE seq = 2")
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert not verdict.ok and verdict.seq == 2 and "missing" in (verdict.problem or "")


def test_concurrent_writers_do_not_fork_the_chain(sf, ctx, engine):
    city = build(sf, ctx)
    errors: list[BaseException] = []

    def move(seq: int) -> None:
        try:
            with sf.begin() as s:
                residences.move_in(s, ctx, city.house2, typed(rid(seq=f"{seq:03d}"), "某人"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=move, args=(100 + i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if engine.dialect.name == "postgresql":
        assert not errors
    with engine.connect() as conn:
        verdict = audit.verify(conn)
        seqs = list(conn.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
        assert conn.scalar(select(sa.func.count()).select_from(AuditSubject)) > 0
    assert verdict.ok and seqs == list(range(1, len(seqs) + 1))


def test_savepoints_are_chained_once_at_the_commit(sf, ctx, engine):
    """A station applies each upload item in a savepoint: the chain is appended once, at the
    transaction's commit, with every item's entries (not four statements per item).

    PostgreSQL (revision 0012): the writer stages the entries with one INSERT and never
    touches the head; a chainer, after the commit, moves the head once for the three (the
    writer leaves them to it: ``audit.staged_committed``)."""
    city = build(sf, ctx)
    heads: list[str] = []
    staged: list[str] = []

    def seen(_conn: object, _cur: object, sql: str, *_rest: object) -> None:
        if sql.startswith("UPDATE audit_head"):
            heads.append(sql)
        if "INSERT INTO audit_pending" in sql:  # a few events may go with it, as a CTE
            staged.append(sql)

    with engine.connect() as conn:
        before = audit.verify(conn).entries
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        with sf.begin() as s:
            for n in range(3):
                with s.begin_nested():
                    residences.move_in(s, ctx, city.house, typed(rid(seq=f"05{n}"), "张三"))
        if engine.dialect.name == "postgresql":
            assert len(staged) == 1 and not heads  # staged once; the writer chains nothing
            audit.settle(engine)  # the chainer's turn
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    if engine.dialect.name == "postgresql":
        assert len(staged) == 1 and len(heads) == 1  # staged once, chained once
    else:
        assert len(heads) == 2  # the head locked and read, then moved: once for the three
        assert not staged
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert verdict.ok and verdict.entries >= before + 6
