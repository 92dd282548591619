"""Issue #15's attacks on the audit chain: an entry forged by someone without the key file,
the last ten entries cut off with the head reset, a chain rebuilt without the key, an edited
checkpoint; the key file itself; the re-keying of an old unkeyed chain by migration 0009."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from registry.db.engine import make_engine
from registry.db.schema import upgrade
from registry.movements import stays
from registry.privacy import audit, auditing, auditkey
from tests.registry.city import build, rid, typed
from tests.security.roles import psql

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))

from laiqu_helpers import A, Laiqu, build_city

APPEND_ONLY_PG = ("audit_log_append_only", "audit_subjects_append_only")
SQLITE_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete", "audit_subjects_no_delete")


def _busy(sf, ctx) -> None:
    city = build(sf, ctx)
    for n in range(4):
        with sf.begin() as s:
            stays.check_in(s, ctx, city.hotel, "101", [typed(rid(seq=f"07{n}"), "张三")])
            stays.check_out(s, ctx, city.hotel, room="101")


def _as_owner(engine: sa.Engine, *statements: str) -> None:
    """Tamper as the database owner can: set the append-only triggers aside, then change."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for trigger, table in zip(APPEND_ONLY_PG, ("audit_log", "audit_subjects"), strict=True):
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        else:
            for trigger in SQLITE_TRIGGERS:
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            conn.exec_driver_sql(statement)


def _cut_tail(engine: sa.Engine, count: int) -> int:
    """Delete the last ``count`` entries and point the head at the one before: seq kept."""
    with engine.connect() as conn:
        total = conn.scalar(sa.text("SELECT max(seq) FROM audit_log"))
        keep = total - count
        head = conn.scalar(sa.text(f"SELECT hash FROM audit_log WHERE seq = {keep}"))
    _as_owner(
        engine,
        f"DELETE FROM audit_subjects WHERE seq > {keep}",
        f"DELETE FROM audit_log WHERE seq > {keep}",
        f"UPDATE audit_head SET seq = {keep}, hash = '{head}'",
    )
    return keep


def test_an_entry_forged_without_the_key_is_detected(db_url, sf, ctx, engine):
    _busy(sf, ctx)
    with engine.connect() as conn:
        before = audit.verify(conn)
    assert before.ok
    seq = before.entries + 1
    at = ctx.now()
    # What the attacker can compute: the chain as it was hashed before keys (plain SHA-256).
    forged = audit.entry_hash(
        before.head, seq, at, "root", "admin", "x", "admin", "user.added", None, "{}", [], key=None
    )
    values = (seq, at, "root", "admin", "x", "admin", "user.added", None, "{}", before.head, forged)
    insert = (
        "INSERT INTO audit_log (seq, at, actor, role, terminal, kind, action, purpose, detail, "
        "prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    if db_url.startswith("postgresql"):
        login = f"svc_{uuid.uuid4().hex[:8]}"  # even the service's own role
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE ROLE "{login}" LOGIN IN ROLE laiqu_service')
        with psql(db_url, login) as raw, raw.cursor() as cur:
            cur.execute(insert, values)
            cur.execute("UPDATE audit_head SET seq = %s, hash = %s", (seq, forged))
    else:
        raw = sqlite3.connect(make_url(db_url).database)
        raw.execute(insert.replace("%s", "?"), (*values[:1], at.isoformat(), *values[2:]))
        raw.execute("UPDATE audit_head SET seq = ?, hash = ?", (seq, forged))
        raw.commit()
        raw.close()
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    assert not verdict.ok and verdict.seq == seq and "altered" in (verdict.problem or "")


def test_a_cut_off_tail_and_a_reset_head_are_found_by_the_checkpoint(sf, ctx, engine):
    _busy(sf, ctx)
    with sf.begin() as s:
        _, checkpoint = auditing.make_checkpoint(s, ctx)
    assert checkpoint is not None and checkpoint["entries"] > 10
    audit.settle(engine)  # PostgreSQL: the checkpoint's own entry chained, as a chainer would
    keep = _cut_tail(engine, 10)
    with engine.connect() as conn:
        assert audit.verify(conn).ok  # the head alone cannot tell: it was reset too
    with sf.begin() as s:
        verdict = auditing.verify_checkpoint(s, ctx, checkpoint)
    assert not verdict.ok and verdict.seq == keep + 1 and "cut off" in (verdict.problem or "")


def test_a_chain_rebuilt_without_the_key_and_an_edited_checkpoint_are_found(sf, ctx, engine):
    _busy(sf, ctx)
    with sf.begin() as s:
        _, checkpoint = auditing.make_checkpoint(s, ctx)
    assert checkpoint is not None
    edited = {**checkpoint, "entries": checkpoint["entries"] - 5}
    with sf.begin() as s:
        verdict = auditing.verify_checkpoint(s, ctx, edited)
    assert not verdict.ok and "signature" in (verdict.problem or "")
    _cut_tail(engine, 10)
    _as_owner(engine, "UPDATE audit_log SET purpose = 'x' WHERE seq = 2")
    with engine.begin() as conn:  # the attacker's best: re-hash everything with a guessed key
        audit.rechain(conn, os.urandom(32))
    with sf.begin() as s:
        verdict = auditing.verify_checkpoint(s, ctx, checkpoint)
    assert not verdict.ok and verdict.seq == 1 and "altered" in (verdict.problem or "")


def test_the_command_line_names_the_entry(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    run = Laiqu(f"sqlite:///{db}")
    run("init")
    key = Path(f"{db.resolve()}.audit-key")
    assert key.exists() and key.stat().st_mode & 0o777 == 0o600
    build_city(run)
    run("person", "add", "--id", A, "--name", "张三")
    # The database holds full ID numbers: owner-only like the key (its WAL files take the
    # same mode from SQLite).
    assert db.stat().st_mode & 0o777 == 0o600
    for _ in range(3):
        run("person", "show", A)
    out = tmp_path / "cp.json"
    run("audit", "checkpoint", "--out", str(out))
    signed = json.loads(out.read_text(encoding="utf-8"))
    assert {"entries", "head", "at", "signature"} <= signed.keys()
    assert "与检查点" in run("audit", "verify", "--checkpoint", str(out)).stdout
    keep = _cut_tail(make_engine(f"sqlite:///{db}"), 10)
    assert "完好" in run("audit", "verify").stdout  # without the checkpoint: undetectable
    failed = run("audit", "verify", "--checkpoint", str(out), ok=False)
    # (the plain verify above was audited: entry keep + 1)
    assert failed.exit_code == 1 and f"第 {keep + 2} 条起的记录被删除" in failed.stderr
    assert "Traceback" not in failed.output
    # The key file is private: readable by others, it is refused with what to do.
    key.chmod(0o644)
    refused = run("audit", "verify", ok=False)
    assert refused.exit_code == 1 and "chmod 600" in refused.stderr
    key.chmod(0o600)
    # Gone while the chain has entries: refused, never silently replaced.
    key.rename(tmp_path / "elsewhere")
    refused = run("person", "show", A, ok=False)
    assert refused.exit_code == 1 and "审计密钥文件" in refused.stderr and not key.exists()


def test_the_key_is_in_no_table(sf, ctx, engine):
    _busy(sf, ctx)
    with engine.connect() as conn:
        key = auditkey.chain_key(conn).hex()
        dump = " ".join(
            str(row)
            for table in ("audit_key", "audit_head", "audit_log", "registry_users")
            for row in conn.execute(sa.text(f"SELECT * FROM {table}"))
        )
    assert key not in dump


@pytest.mark.parametrize("tampered", [False, True])
def test_migration_0009_rekeys_an_old_unkeyed_chain(tmp_path, ctx, monkeypatch, tampered):
    monkeypatch.setenv(auditkey.ENV_KEY_FILE, str(tmp_path / "station.key"))
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    upgrade(engine, "0008")
    note = audit.Note(ctx.now(), "root", "admin", "t", "admin", "x.y", None, "{}")
    with engine.begin() as conn:
        for _ in range(5):
            audit.append(conn, [note])
        audit.rechain(conn, None)  # as an old station wrote it: no key
        if tampered:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("UPDATE audit_log SET actor = 'x' WHERE seq = 3")
    (tmp_path / "station.key").unlink()
    engine.dispose()
    engine = make_engine(url)
    if tampered:
        with pytest.raises(auditkey.AuditKeyError, match="entry 3"):
            upgrade(engine)
    else:
        upgrade(engine)
        with engine.connect() as conn:
            verdict = audit.verify(conn)
            assert verdict.ok and verdict.entries == 5
            assert not audit.verify(conn, legacy=True).ok
    engine.dispose()


def test_a_key_file_of_another_database_is_refused_before_anything_is_written(
    db_url: str, tmp_path: Path
) -> None:
    """A shell where LAIQU_AUDIT_KEY_FILE names another database's key (the station's, a
    desk's): a write and even ``audit verify`` are refused with what to do, nothing is
    written, and the log still verifies with its own key afterwards."""
    run = Laiqu(db_url)
    build_city(run)
    other = tmp_path / "other.key"
    auditkey.create_key(other)
    run.runner.env[auditkey.ENV_KEY_FILE] = str(other)
    for args in (
        ("jurisdiction", "add", "310105", "长宁区", "--level", "district", "--parent", "310100"),
        ("person", "add", "--id", A, "--name", "张三"),
        ("audit", "verify"),
    ):
        refused = run(*args, ok=False)
        assert refused.exit_code == 1, (args, refused.output)
        assert "与本库的审计日志不符" in refused.stderr and str(other) in refused.stderr
        assert "Traceback" not in refused.output
    del run.runner.env[auditkey.ENV_KEY_FILE]
    assert "完好" in run("audit", "verify").stdout
    assert "长宁区" not in run("jurisdiction", "list").stdout
    assert run("person", "show", A, ok=False).exit_code == 1


def test_a_tampered_last_entry_is_still_verify_s_finding_not_a_wrong_key(tmp_path: Path) -> None:
    """The key fits the chain's first entry: writes go on and ``verify`` names the entry."""
    db = tmp_path / "x.sqlite"
    run = Laiqu(f"sqlite:///{db}")
    run("init")
    build_city(run)
    raw = sqlite3.connect(db)
    raw.execute("DROP TRIGGER audit_log_no_update")
    last = raw.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    raw.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = ?", (last,))
    raw.commit()
    raw.close()
    failed = run("audit", "verify", ok=False)
    assert failed.exit_code == 1 and f"第 {last} 条" in failed.stderr, failed.stderr
    assert "篡改" in failed.stderr and "与本库的审计日志不符" not in failed.stderr


def test_init_of_a_copied_database_makes_no_new_key(tmp_path: Path) -> None:
    """A database copied without its key file: ``init`` refuses instead of making a new key
    that could never verify the log it holds."""
    db = tmp_path / "x.sqlite"
    run = Laiqu(f"sqlite:///{db}")
    run("init")
    build_city(run)
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(db.read_bytes())
    again = Laiqu(f"sqlite:///{copy}")
    refused = again("init", ok=False)
    assert refused.exit_code == 1 and "不能换用新密钥" in refused.stderr, refused.output
    assert not Path(f"{copy}.audit-key").exists() and "Traceback" not in refused.output


def test_a_checkpoint_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    run = Laiqu(f"sqlite:///{tmp_path / 'x.sqlite'}")
    run("init")
    refused = run("audit", "checkpoint", "--out", str(tmp_path / "nodir" / "cp.json"), ok=False)
    assert refused.exit_code == 1 and "无法写入" in refused.stderr
    assert "目录不存在" in refused.stderr


def test_an_entry_written_past_the_head_is_tampering_not_an_internal_error(
    tmp_path: Path,
) -> None:
    """An owner who copies the last entry past the head (triggers dropped): the next write,
    verify's own entry included, is refused as tampering; no internal error, no traceback."""
    db = tmp_path / "x.sqlite"
    run = Laiqu(f"sqlite:///{db}")
    run("init")
    build_city(run)
    raw = sqlite3.connect(db)
    for trigger in SQLITE_TRIGGERS:
        raw.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    last = raw.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    columns = [r[1] for r in raw.execute("PRAGMA table_info(audit_log)") if r[1] != "seq"]
    names = ", ".join(columns)
    raw.execute(
        f"INSERT INTO audit_log (seq, {names}) SELECT seq + 1, {names} FROM audit_log "
        "WHERE seq = ?",
        (last,),
    )
    raw.commit()
    raw.close()
    for args in (("audit", "verify"), ("person", "add", "--id", A, "--name", "张三")):
        refused = run(*args, ok=False)
        assert refused.exit_code == 1, refused.output
        assert "审计日志已被篡改" in refused.stderr and "程序内部错误" not in refused.stderr
        assert "Traceback" not in refused.output
