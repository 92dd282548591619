"""The append-only, hash-chained audit log: every read, search, reveal, export, report, write
and refusal, with who, when, from which terminal, why and which persons (PIPL Art 51/55).

Use cases ``note`` entries on their session; they are written when the transaction commits
(``before_commit``): on SQLite chained at once, on PostgreSQL staged unchained in
``audit_pending`` and linked later by a chainer (``staged_committed`` says who and when), so
no writer holds the chain's head. A refusal is ``durable``: when the caller rolls back, it is
still written, in a transaction of its own. Each entry's hash covers its fields, its subjects
and the previous entry's hash; ``audit_head`` names the last entry, so a cut-off tail is
noticed as well.
Subjects are person ids and an HMAC of ``doc_type:number``, never the number in clear.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import hmac
import itertools
import json
import logging
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Connection,
    Engine,
    bindparam,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.elements import TextClause

from registry.context import Context
from registry.db.access_models import (
    AuditEntry,
    AuditHead,
    AuditKey,
    AuditPending,
    AuditSubject,
)
from registry.db.cache import per_transaction
from registry.db.models import Event, Person
from registry.privacy import auditkey, unit

KNOWN = "laiqu.audit.known"  # per transaction: person id -> id_key
GENESIS = "0" * 64
KINDS = ("read", "reveal", "export", "report", "write", "refused", "admin")
CHUNK = 2000


@dataclass
class Note:
    """An entry waiting for its transaction to commit."""

    at: datetime
    actor: str
    role: str
    terminal: str | None
    kind: str
    action: str
    purpose: str | None
    detail: str
    persons: list[uuid.UUID] = field(default_factory=list)
    durable: bool = False


def plain(value: Any) -> Any:
    """A value as JSON holds it: ids and instants as text."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def canonical(detail: dict[str, Any]) -> str:
    clean = {k: plain(v) for k, v in detail.items() if v is not None}
    return json.dumps(clean, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def note(
    session: Session,
    ctx: Context,
    kind: str,
    action: str,
    *,
    persons: Iterable[uuid.UUID | Person | None] = (),
    purpose: str | None = None,
    durable: bool = False,
    **detail: Any,
) -> None:
    """Audit an act done through ``session``; written when its transaction commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind}")
    unit.hand_note(session, _note(ctx, kind, action, persons, purpose, durable, detail))


def note_writes(
    session: Session, ctx: Context, writes: Iterable[tuple[str, uuid.UUID | None, dict[str, Any]]]
) -> None:
    """``note`` of kind ``write`` for each (action, person id, detail) of a use case at once."""
    for action, person, detail in writes:
        unit.hand_note(session, _note(ctx, "write", action, (person,), None, False, detail))


def _note(
    ctx: Context,
    kind: str,
    action: str,
    persons: Iterable[uuid.UUID | Person | None],
    purpose: str | None,
    durable: bool,
    detail: dict[str, Any],
) -> Note:
    ids = sorted({p.id if isinstance(p, Person) else p for p in persons if p is not None}, key=str)
    return Note(
        ctx.now(),
        ctx.actor[:64],
        ctx.principal.role,
        ctx.terminal,
        kind,
        action[:48],
        (purpose or None) and purpose.strip()[:300],
        canonical(detail),
        ids,
        durable,
    )


def knows(session: Session, person_id: uuid.UUID, id_key: str) -> None:
    """Tell the chain a person's ``id_key`` the use case has at hand (saves reading it back)."""
    per_transaction(session, KNOWN)[person_id] = id_key


# --- appending ------------------------------------------------------------------------------


def entry_hash(
    prev: str,
    seq: int,
    at: datetime,
    actor: str,
    role: str,
    terminal: str | None,
    kind: str,
    action: str,
    purpose: str | None,
    detail: str,
    subjects: list[tuple[str, str | None]],
    *,
    key: bytes | None,
    pending: int | None = None,
) -> str:
    """HMAC-SHA-256 (``key``; None: the unkeyed SHA-256 of before 0009) over the previous
    hash and the entry's canonical form (with the ``audit_pending`` id it was chained from,
    when it was: revision 0012)."""
    fields: list[Any] = [
        seq,
        at.isoformat(),
        actor,
        role,
        terminal,
        kind,
        action,
        purpose,
        detail,
        sorted(subjects),
    ]
    if pending is not None:
        fields.append(pending)
    body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return auditkey.legacy_seal(prev, body) if key is None else auditkey.seal(key, prev, body)


PENDING_LABEL = "laiqu audit pending"  # the MAC of an unchained entry: never a chain hash


def pending_mac(
    key: bytes,
    pending: int,
    at: datetime,
    actor: str,
    role: str,
    terminal: str | None,
    kind: str,
    action: str,
    purpose: str | None,
    detail: str,
    subjects: list[tuple[str, str | None]],
) -> str:
    """The keyed MAC an unchained entry carries: HMAC-SHA-256 over its id and fields."""
    body = json.dumps(
        [
            pending,
            at.isoformat(),
            actor,
            role,
            terminal,
            kind,
            action,
            purpose,
            detail,
            sorted(subjects),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return auditkey.seal(key, PENDING_LABEL, body)


def subject_hash(key: str, id_key: str) -> str:
    """The keyed hash of a person's ``doc_type:number`` (who-viewed by number after a purge)."""
    return hmac.new(bytes.fromhex(key), id_key.encode(), hashlib.sha256).hexdigest()


_KEY = select(AuditKey.key).where(AuditKey.id == 1)
# Takes the head's row lock (PostgreSQL) or the write lock (SQLite) and reads the head in one
# statement: concurrent writers queue here and each sees the head the previous one committed.
_LOCK_HEAD = (
    update(AuditHead)
    .where(AuditHead.id == 1)
    .values(seq=AuditHead.seq)
    .returning(AuditHead.seq, AuditHead.hash)
)
# The chainer's turn: the head's row lock, waited for or skipped (another chainer at work).
_HEAD = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
_HEAD_WAIT = _HEAD.with_for_update()
_HEAD_TRY = _HEAD.with_for_update(skip_locked=True)
_NEW_IDS_PG = text("SELECT nextval('audit_pending_id_seq') FROM generate_series(1, :n)")
_LAST_ID_SQLITE = text(
    "SELECT max(m) FROM (SELECT max(id) AS m FROM audit_pending "
    "UNION ALL SELECT max(pending_id) FROM audit_log)"
)


def _key(conn: Connection) -> str:
    """The database's HMAC key; it never changes, so each DB-API connection reads it once."""
    info = conn.connection.info
    if "laiqu.audit.key" not in info:
        info["laiqu.audit.key"] = conn.execute(_KEY).scalar_one()
    return str(info["laiqu.audit.key"])


_STAGING: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def deferred(conn: Connection) -> bool:
    """Whether writers on ``conn``'s database stage their entries for the chainer.

    PostgreSQL from revision 0012: yes, so no row is shared by the writers (known once per
    engine; a migration run on it forgets it, ``forget_schema``). SQLite: no, the writer
    chains at its commit as before: SQLite lets one writer at a time in anyway, and a
    chaining transaction of its own would double each commit's cost.
    """
    if conn.dialect.name != "postgresql":
        return False
    found = _STAGING.get(conn.engine)
    if found is None:
        found = _STAGING[conn.engine] = _staging(conn)
    return found


def forget_schema(engine: Engine) -> None:
    """Forget what ``deferred`` knew of ``engine``'s schema (after a migration), and the ids
    taken ahead from its ``audit_pending`` sequence."""
    _STAGING.pop(engine, None)
    with _IDS_LOCK:
        _IDS.pop(engine, None)


def _subjects(
    conn: Connection, notes: list[Note], known: dict[uuid.UUID, str] | None
) -> list[list[tuple[str, str | None]]]:
    """Each note's subjects: (person id, keyed hash of its ``id_key`` or None)."""
    key = _key(conn)
    keys: dict[uuid.UUID, str] = dict(known or {})
    wanted = {p for n in notes for p in n.persons} - keys.keys()
    for chunk in _chunks(sorted(wanted, key=str)):
        rows = conn.execute(select(Person.id, Person.id_key).where(Person.id.in_(chunk)))
        keys.update((pid, key_) for pid, key_ in rows)
    return [
        [(str(p), subject_hash(key, keys[p]) if p in keys else None) for p in n.persons]
        for n in notes
    ]


def append(conn: Connection, notes: list[Note], known: dict[uuid.UUID, str] | None = None) -> int:
    """Chain ``notes`` after the head at once (locked first: writers queue, never fork).

    The SQLite writer's way (``deferred``) and the tests'. ``known`` maps person ids to their
    ``id_key`` where the caller has them at hand.
    """
    if not notes:
        return 0
    seq, prev = conn.execute(_LOCK_HEAD).one()
    chain_key = writing_key(conn)
    entries, subjects = [], []
    for n, subj in zip(notes, _subjects(conn, notes, known), strict=True):
        seq += 1
        digest = entry_hash(
            prev,
            seq,
            n.at,
            n.actor,
            n.role,
            n.terminal,
            n.kind,
            n.action,
            n.purpose,
            n.detail,
            subj,
            key=chain_key,
        )
        entries.append(_entry_row(seq, n, prev, digest))
        subjects.extend({"seq": seq, "person_id": uuid.UUID(p), "id_hash": h} for p, h in subj)
        prev = digest
    return _write(conn, entries, subjects, seq, prev)


def _entry_row(seq: int, n: Any, prev: str, digest: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": n.at,
        "actor": n.actor,
        "role": n.role,
        "terminal": n.terminal,
        "kind": n.kind,
        "action": n.action,
        "purpose": n.purpose,
        "detail": n.detail,
        "prev_hash": prev,
        "hash": digest,
    }


def stage(
    conn: Connection,
    notes: list[Note],
    known: dict[uuid.UUID, str] | None = None,
    *,
    events: list[dict[str, Any]] | None = None,
) -> int:
    """Write ``notes`` unchained into ``audit_pending`` (revision 0012): ids from a sequence,
    each entry sealed with its own keyed MAC; no shared row is read or locked. ``chain``
    links them once their transaction has committed. Returns how many were written.

    ``events`` (PostgreSQL): ``events`` rows written by the same statement (a data-modifying
    CTE), so a check-in's journal and audit entries cost one round trip.
    """
    if not notes:
        return 0
    chain_key = writing_key(conn)
    if conn.dialect.name == "postgresql":
        ids = _new_ids(conn, len(notes))
    else:  # the writer holds the write lock: nobody else takes an id meanwhile
        last = conn.execute(_LAST_ID_SQLITE).scalar() or 0
        ids = list(range(last + 1, last + 1 + len(notes)))
    rows = []
    for pid, n, subj in zip(ids, notes, _subjects(conn, notes, known), strict=True):
        fields = (n.at, n.actor, n.role, n.terminal, n.kind, n.action, n.purpose, n.detail)
        rows.append(
            {
                "id": pid,
                "at": n.at,
                "actor": n.actor,
                "role": n.role,
                "terminal": n.terminal,
                "kind": n.kind,
                "action": n.action,
                "purpose": n.purpose,
                "detail": n.detail,
                "subjects": json.dumps(sorted(subj), separators=(",", ":")),
                "mac": pending_mac(chain_key, pid, *fields, subj),
            }
        )
    if events:
        statement, names = _with_journal(len(events), tuple(events[0]), len(rows), tuple(rows[0]))
        values = [
            *(e[c] for e in events for c in names[0]),
            *(r[c] for r in rows for c in names[1]),
        ]
        conn.execute(statement, {f"p{i}": v for i, v in enumerate(values)})
    else:
        conn.execute(insert(AuditPending), rows)
    return len(rows)


IDS_AHEAD = 64  # audit_pending ids a PostgreSQL writer takes from the sequence at once
_IDS: weakref.WeakKeyDictionary[Engine, deque[int]] = weakref.WeakKeyDictionary()
_IDS_LOCK = threading.Lock()


def _new_ids(conn: Connection, n: int) -> list[int]:
    """``n`` fresh ``audit_pending`` ids: from the process's block of the sequence, topped up
    ``IDS_AHEAD`` at a time (one ``nextval`` statement per block, not per transaction).

    Ids only name entries: the chain's order is the order the chainer links them in, so ids
    taken ahead (and the gaps an unused block leaves at exit) change nothing that ``verify``
    checks. ``forget_schema`` drops the block (a migration may have re-created the sequence).
    """
    with _IDS_LOCK:
        block = _IDS.setdefault(conn.engine, deque())
        if len(block) < n:
            fresh = conn.execute(_NEW_IDS_PG, {"n": n - len(block) + IDS_AHEAD}).scalars()
            block.extend(fresh)
        return [block.popleft() for _ in range(n)]


@functools.cache
def _with_journal(
    events: int, event_keys: tuple[str, ...], entries: int, entry_keys: tuple[str, ...]
) -> tuple[TextClause, tuple[list[str], list[str]]]:
    """``INSERT`` of ``entries`` rows (columns ``entry_keys``) into ``audit_pending`` with
    ``events`` rows (``event_keys``) of ``events`` in a data-modifying CTE, built once per
    shape (a multi-row ``values()`` would be compiled at every use); its bind parameters are
    ``p0``, ``p1``… the rows' values in that column order."""
    binds: list[BindParameter[Any]] = []
    parts, names = [], []
    for table, count, keys in (
        (Event.__table__, events, event_keys),
        (AuditPending.__table__, entries, entry_keys),
    ):
        columns = [table.columns[k] for k in keys]
        names.append(list(keys))
        rows = []
        for _ in range(count):
            marks = []
            for column in columns:
                binds.append(bindparam(f"p{len(binds)}", type_=column.type))
                marks.append(f":p{len(binds) - 1}")
            rows.append(f"({', '.join(marks)})")
        into = f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)})"
        parts.append(f"{into} VALUES {', '.join(rows)}")
    sql = f"WITH laiqu_journal AS ({parts[0]}) {parts[1]}"
    return text(sql).bindparams(*binds), (names[0], names[1])


def _pending_subjects(row: Any) -> Subjects:
    return [(str(p), h) for p, h in json.loads(row.subjects)]


def _pending_fields(row: Any) -> tuple[Any, ...]:
    return (
        row.at,
        row.actor,
        row.role,
        row.terminal,
        row.kind,
        row.action,
        row.purpose,
        row.detail,
    )


def _pending_ok(row: Any, key: bytes) -> bool:
    try:
        subjects = _pending_subjects(row)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(
        pending_mac(key, row.id, *_pending_fields(row), subjects), row.mac or ""
    )


_UNCHAINED = ~exists().where(AuditEntry.pending_id == AuditPending.id)
_WAITING = select(func.count()).select_from(AuditPending).where(_UNCHAINED)


def chain(conn: Connection, *, wait: bool = True) -> int:
    """Link the committed ``audit_pending`` entries into the chain, in id order, within
    ``conn``'s transaction (the caller commits; ``settle`` opens one of its own).

    One chainer at a time: the ``audit_head`` row lock, waited for (``wait``) or else
    skipped when another chainer holds it (returns 0). An entry whose MAC does not hold, or
    already chained (a replay), is left where it is for ``verify`` to report. Returns how
    many entries were chained.
    """
    done = _chain(conn, wait)
    return done[0] if done else 0


def _chain(conn: Connection, wait: bool) -> tuple[int, int] | None:
    """``chain``: (entries chained, entries left for their bad MAC); None when skipped."""
    head = conn.execute(_HEAD_WAIT if wait else _HEAD_TRY).first()
    if head is None:
        return None
    seq, prev = head
    start, bad = seq, 0
    key = writing_key(conn)
    after = 0
    more = True
    while more:
        rows = conn.execute(
            select(AuditPending)
            .where(AuditPending.id > after, _UNCHAINED)
            .order_by(AuditPending.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        after, more = rows[-1].id, len(rows) == CHUNK
        entries, subjects, done = [], [], []
        for r in rows:
            if not _pending_ok(r, key):
                bad += 1
                continue
            subj = _pending_subjects(r)
            seq += 1
            digest = entry_hash(prev, seq, *_pending_fields(r), subj, key=key, pending=r.id)
            entries.append({**_entry_row(seq, r, prev, digest), "pending_id": r.id})
            subjects.extend({"seq": seq, "person_id": uuid.UUID(p), "id_hash": h} for p, h in subj)
            done.append(r.id)
            prev = digest
        if entries:
            conn.execute(insert(AuditEntry), entries)
            if subjects:
                conn.execute(insert(AuditSubject), subjects)
            conn.execute(delete(AuditPending).where(AuditPending.id.in_(done)))
    if seq != start:
        conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    return seq - start, bad


_SETTLING = threading.Lock()  # one chainer per process at a time; the others skip
log = logging.getLogger(__name__)


def settle(engine: Engine, *, wait: bool = True, rounds: int = 4) -> int:
    """``chain`` in transactions of its own until nothing chainable waits; entries chained.

    After each commit it looks again: a writer that stepped aside while this chainer held the
    lock had committed before that lock was released, so it is seen here (at most ``rounds``
    times when not ``wait``, under a steady load the next writer's chaining follows).
    ``wait=False`` (a writer after its commit, opportunistically): skipped when another
    thread of this process or another chainer is at work (that one looks again after its
    commit), and a failure is logged, not raised (the writer's transaction has committed;
    the next chainer picks its entries up).
    """
    total = 0
    try:
        with engine.connect() as conn:  # one connection for every round: fewer round trips
            for _ in range(rounds) if not wait else itertools.count():
                if not _SETTLING.acquire(blocking=wait):
                    return total
                try:
                    with conn.begin():
                        _quick_commit(conn)
                        done = _chain(conn, wait)
                finally:
                    _SETTLING.release()
                if done is None:
                    return total
                total += done[0]
                with conn.begin():
                    waiting = conn.execute(_WAITING).scalar_one()
                if waiting <= done[1]:
                    return total
    except (SQLAlchemyError, auditkey.AuditKeyError) as exc:
        if wait:
            raise
        if isinstance(exc, auditkey.AuditKeyError):  # tampered: every later chaining stops too
            from registry.messages import phrase

            log.error("审计日志无法入链：%s；请运行 laiqu audit verify 并报告。", phrase(str(exc)))
        else:
            log.warning("审计日志暂未入链，将由下一次入链补上：%s", type(exc).__name__)
    return total


def _quick_commit(conn: Connection) -> None:
    """A chaining lost in a crash is lost whole (its entries stay pending, committed by their
    writers): its own transaction need not wait for the WAL flush (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO off")


def _write(
    conn: Connection,
    entries: list[dict[str, Any]],
    subjects: list[dict[str, Any]],
    seq: int,
    head: str,
) -> int:
    try:
        conn.execute(insert(AuditEntry), entries)
    except IntegrityError:
        raise auditkey.AuditKeyError(
            f"the audit log holds an entry past its head (entry {entries[0]['seq']}): "
            "it was written outside the registry"
        ) from None
    if subjects:
        conn.execute(insert(AuditSubject), subjects)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=head))
    return len(entries)


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


STAGED = "laiqu.audit.staged"  # session.info: this transaction staged entries for the chainer


FEW = 16  # events and notes a commit writes in one statement (beyond: one per table)


@event.listens_for(Session, "before_commit")
def _chain_on_commit(session: Session) -> None:
    """The unit of work's one writing place: its events, then its notes (staged for the
    chainer on PostgreSQL, with a few events in the same statement; chained at once on
    SQLite)."""
    if session.in_nested_transaction():
        return  # a savepoint's release: the transaction's commit writes it all with the rest
    pending = unit.unit(session)
    if not pending.notes:
        unit.write_events(session)
        unit.take_notes(session)
        return
    conn = session.connection()
    known = per_transaction(session, KNOWN)
    if not deferred(conn):
        unit.write_events(session)
        append(conn, unit.take_notes(session), known)
        return
    few = len(pending.events) + len(pending.notes) <= FEW
    if not few:
        unit.write_events(session)
    events = unit.take_events(session)
    notes = unit.take_notes(session)
    stage(conn, notes, known, events=events)
    # A refusal (a durable note) is chained right after the commit, as before: rare, and the
    # security events an admin looks for first; other entries wait for a chainer.
    session.info[STAGED] = "now" if any(n.durable for n in notes) else "later"


# --- who chains what a writer staged (PostgreSQL) -------------------------------------------

LAG = 1.0  # seconds a writer leaves its committed entries to a chainer before chaining them
_OWED: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
_BACKGROUND: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()
_OWED_LOCK = threading.Lock()


@event.listens_for(Session, "after_commit")
def _settle_after_commit(session: Session) -> None:
    """A writer that staged entries leaves them to a chainer (``staged_committed``), but
    chains a refusal at once."""
    staged = session.info.pop(STAGED, None)
    if staged == "now":
        engine = _engine(session)
        with _OWED_LOCK:
            _OWED.pop(engine, None)  # chained with it
        settle(engine, wait=False)
    elif staged:
        staged_committed(_engine(session))


def staged_committed(engine: Engine) -> None:
    """A transaction on ``engine`` committed staged entries: who links them, and when.

    The writer does not chain after its commit (that was 8 statements and two transactions
    per check-in), unless it committed a refusal (chained at once). The entries are linked
    by the first of: a ``chainer.Chainer`` of this process (``background``; the station
    service runs one, every second) or of any other process on the database; this
    process's next commit once ``LAG`` seconds have passed
    since the oldest entry it left (a busy writer chains about once a second, whatever its
    rate); ``engine.dispose()`` and the interpreter's exit (a CLI command chains what it
    wrote before it ends); ``audit verify``, checkpoint and who-viewed, which chain first.
    An entry left by a process killed before any of these waits in ``audit_pending`` for the
    next of them; ``verify`` reports how many wait and since when.
    """
    now = time.monotonic()
    with _OWED_LOCK:
        since = _OWED.setdefault(engine, now)
        due = now - since >= LAG and not _BACKGROUND.get(engine)
        if due:
            del _OWED[engine]
    if due:
        settle(engine, wait=False)


def settle_owed(engine: Engine) -> int:
    """Chain now what writers of this process left on ``engine`` (``staged_committed``);
    entries chained (0: nothing owed, or another chainer at work, which links them). A
    failure is logged, not raised."""
    with _OWED_LOCK:
        owed = _OWED.pop(engine, None)
    return 0 if owed is None else settle(engine, wait=False)


def background(engine: Engine, running: bool) -> None:
    """A ``chainer.Chainer`` of this process starts (``running``) or stops on ``engine``: while
    one runs, writers leave their entries to it (no chaining at their commits)."""
    with _OWED_LOCK:
        count = _BACKGROUND.get(engine, 0) + (1 if running else -1)
        if count > 0:
            _BACKGROUND[engine] = count
        else:
            _BACKGROUND.pop(engine, None)


@event.listens_for(Engine, "engine_disposed")
def _settle_on_dispose(engine: Engine) -> None:
    """What this process's writers left is chained before the engine goes (its pool then
    closes the connection the chaining used)."""
    if engine in _OWED:
        settle_owed(engine)
        engine.pool.dispose()


@atexit.register
def _settle_at_exit() -> None:
    for engine in list(_OWED.keys()):
        settle_owed(engine)


@event.listens_for(Session, "after_transaction_end")
def _keep_refusals(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    session.info.pop(STAGED, None)  # a rollback: nothing of it to chain
    notes = unit.take_notes(session)
    durable = [n for n in notes if n.durable]
    if not durable:
        return
    engine = _engine(session)
    with engine.connect() as conn, conn.begin():
        staged = deferred(conn)
        (stage if staged else append)(conn, durable)
    if staged:
        settle(engine, wait=False)


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewed:
    seq: int
    at: datetime
    actor: str
    role: str
    terminal: str | None
    kind: str
    action: str
    purpose: str | None


def who_viewed(session: Session, person_id: uuid.UUID | None, id_key: str) -> list[Viewed]:
    """Every audited act that touched the person, by id or by the keyed hash of the number."""
    key = _key(session.connection())
    match = [AuditSubject.id_hash == subject_hash(key, id_key)]
    if person_id is not None:
        match.append(AuditSubject.person_id == person_id)
    seqs = select(AuditSubject.seq).where(or_(*match))
    rows = session.execute(
        select(
            AuditEntry.seq,
            AuditEntry.at,
            AuditEntry.actor,
            AuditEntry.role,
            AuditEntry.terminal,
            AuditEntry.kind,
            AuditEntry.action,
            AuditEntry.purpose,
        )
        .where(AuditEntry.seq.in_(seqs))
        .order_by(AuditEntry.seq)
    )
    return [Viewed(*row) for row in rows]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    problem: str | None = None  # what is wrong, naming the first bad sequence number
    seq: int | None = None
    head: str = GENESIS  # the hash of the last good entry
    pending: int = 0  # entries found unchained when the verification began (then chained)
    oldest: datetime | None = None  # when the oldest of them was written


Subjects = list[tuple[str, str | None]]

_ENTRY_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.role,
    AuditEntry.terminal,
    AuditEntry.kind,
    AuditEntry.action,
    AuditEntry.purpose,
    AuditEntry.detail,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


def _staging(conn: Connection) -> bool:
    """Whether the schema has revision 0012's ``audit_pending`` (a migration runs older ones)."""
    return bool(conn.dialect.has_table(conn, "audit_pending"))


def _walk(conn: Connection) -> Iterator[tuple[Any, Subjects]]:
    """Every entry in order, with its subjects, CHUNK entries a statement."""
    pending = (
        AuditEntry.pending_id if _staging(conn) else literal(None, BigInteger).label("pending_id")
    )
    last = 0
    while True:
        rows = conn.execute(
            select(*_ENTRY_COLUMNS, pending)
            .where(AuditEntry.seq > last)
            .order_by(AuditEntry.seq)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        subjects: dict[int, Subjects] = {}
        for s in conn.execute(
            select(AuditSubject).where(AuditSubject.seq.between(rows[0].seq, rows[-1].seq))
        ):
            subjects.setdefault(s.seq, []).append((str(s.person_id), s.id_hash))
        for r in rows:
            yield r, subjects.get(r.seq, [])
        last = rows[-1].seq


def _again(
    r: Any, prev: str, subjects: Subjects, key: bytes | None, *, pending: bool = True
) -> str:
    fields = (r.actor, r.role, r.terminal, r.kind, r.action, r.purpose, r.detail)
    linked = r.pending_id if pending else None
    return entry_hash(prev, r.seq, r.at, *fields, subjects, key=key, pending=linked)


def backlog(conn: Connection) -> tuple[int, datetime | None]:
    """How many entries wait to be chained, and when the oldest was written."""
    count, oldest = conn.execute(
        select(func.count(), func.min(AuditPending.at)).where(_UNCHAINED)
    ).one()
    if isinstance(oldest, str):  # SQLite's min() hands back the stored text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), oldest


def verify(conn: Connection, *, legacy: bool = False) -> Verdict:
    """Chain what is pending (``chain``, in ``conn``'s transaction or one of its own), then
    walk the chain: contiguous sequence numbers, each keyed hash recomputed (the key file,
    ``auditkey``; ``legacy``: unkeyed, before 0009), the head matching; then every entry
    still unchained: its own MAC (``audit_pending`` altered or forged) and not already in
    the chain (replayed).

    An entry forged or re-hashed by someone without the key is "altered". ``pending`` and
    ``oldest`` of the verdict tell what was waiting to be chained when it began.
    """
    if conn.in_transaction():
        return _chain_and_verify(conn, legacy)
    with conn.begin():
        return _chain_and_verify(conn, legacy)


def _chain_and_verify(conn: Connection, legacy: bool) -> Verdict:
    """Within one transaction: the head's lock held from the chaining to the end, so no other
    chainer moves the head while the walk reads the entries."""
    if legacy or not _staging(conn):
        return _verify_chain(conn, None if legacy else auditkey.chain_key(conn))
    waiting, oldest = backlog(conn)
    chain(conn)
    verdict = _verify_chain(conn, auditkey.chain_key(conn))
    if verdict.ok:
        verdict = _verify_pending(conn, verdict)
    return replace(verdict, pending=waiting, oldest=oldest)


def _verify_chain(conn: Connection, key: bytes | None) -> Verdict:
    prev, expected, count = GENESIS, 1, 0
    for r, subjects in _walk(conn):
        if r.seq != expected:
            return Verdict(False, count, f"entry {expected} is missing", expected, prev)
        if r.prev_hash != prev:
            return Verdict(
                False, count, f"entry {r.seq} does not follow its predecessor", r.seq, prev
            )
        if _again(r, prev, subjects, key) != r.hash:
            return Verdict(False, count, f"entry {r.seq} was altered", r.seq, prev)
        prev, expected, count = r.hash, expected + 1, count + 1
    head = conn.execute(_HEAD).one()
    if head.seq != count or head.hash != prev:
        return Verdict(
            False,
            count,
            f"the chain ends at entry {count} but the head names entry {head.seq}",
            count + 1,
            prev,
        )
    return Verdict(True, count, head=prev)


def _verify_pending(conn: Connection, chained: Verdict) -> Verdict:
    """The entries ``chain`` left behind: altered or forged, or replays of chained ones."""
    key = auditkey.chain_key(conn)
    rows = conn.execute(select(AuditPending).order_by(AuditPending.id)).all()
    if not rows:
        return chained
    linked = dict(
        conn.execute(
            select(AuditEntry.pending_id, AuditEntry.seq).where(
                AuditEntry.pending_id.in_([r.id for r in rows])
            )
        ).all()
    )
    for r in rows:
        if not _pending_ok(r, key):
            problem = f"unchained entry {r.id} was altered"
        elif r.id in linked:
            problem = f"unchained entry {r.id} replays entry {linked[r.id]}"
        else:
            continue  # committed after the chaining above: the next chainer links it
        return Verdict(False, chained.entries, problem, None, chained.head)
    return chained


def key_fits(conn: Connection) -> bool:
    """Whether the key file in use is the key the audit log was written with: a writer
    started with another key would append entries no ``verify`` could ever pass.

    The chain's last entry decides; when it does not verify, its first entry (the key was
    right and the tail was altered: ``verify``'s finding, not a wrong key); with no entry
    chained yet, the oldest staged entry's MAC. True for an empty log. Two or three rows
    read; raises what ``auditkey.chain_key`` raises (no key file, bad mode)."""
    key = auditkey.chain_key(conn)
    staging = _staging(conn)
    pending = AuditEntry.pending_id if staging else literal(None, BigInteger)
    rows = select(*_ENTRY_COLUMNS, pending.label("pending_id")).limit(1)
    last = conn.execute(rows.order_by(AuditEntry.seq.desc())).first()
    if last is None:
        if not staging:
            return True
        oldest = conn.execute(
            select(AuditPending).where(_UNCHAINED).order_by(AuditPending.id).limit(1)
        ).first()
        return oldest is None or _pending_ok(oldest, key)
    first = conn.execute(rows.order_by(AuditEntry.seq)).one()
    return any(
        _again(r, r.prev_hash, _subjects_of(conn, r.seq), key) == r.hash for r in (last, first)
    )


def _subjects_of(conn: Connection, seq: int) -> list[tuple[str, str | None]]:
    return [
        (str(s.person_id), s.id_hash)
        for s in conn.execute(select(AuditSubject).where(AuditSubject.seq == seq))
    ]


_FITS = "laiqu.audit.key_fits"  # DB-API connection info: the key was checked against the log


def writing_key(conn: Connection) -> bytes:
    """The key to seal new entries with (``auditkey.chain_key``), checked once per DB-API
    connection against the log already written (``key_fits``).

    Raises ``AuditKeyError`` "the audit key file PATH does not fit this database's audit
    log" before anything is written: entries sealed with another key (a shell where
    ``LAIQU_AUDIT_KEY_FILE`` names another database's key) would make every later
    ``audit verify`` fail."""
    key = auditkey.chain_key(conn)
    info = conn.connection.info
    if not info.get(_FITS):
        if not key_fits(conn):
            path = auditkey.key_path(conn.engine.url)
            raise auditkey.AuditKeyError(
                f"the audit key file {path} does not fit this database's audit log"
            )
        info[_FITS] = True
    return key


def rechain(conn: Connection, key: bytes | None, *, pending: bool = True) -> None:
    """Re-hash every entry with ``key`` (None: unkeyed, as before 0009) and move the head
    (migration 0009, and 0012's downgrade with ``pending`` False: hashes without the
    ``audit_pending`` ids; as the owner: the append-only triggers are set aside for it)."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
    prev, seq, changes = GENESIS, 0, []
    for r, subjects in list(_walk(conn)):
        digest = _again(r, prev, subjects, key, pending=pending)
        changes.append({"s": r.seq, "p": prev, "h": digest})
        prev, seq = digest, r.seq
    for chunk in _chunks(changes):
        conn.execute(
            update(AuditEntry)
            .where(AuditEntry.seq == bindparam("s"))
            .values(prev_hash=bindparam("p"), hash=bindparam("h")),
            chunk,
        )
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    if postgres:
        conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    else:
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )
