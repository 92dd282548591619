"""The append-only, hash-chained audit log: every read, search, reveal, export, report, write
and refusal, with who, when, from which terminal, why and which persons (PIPL Art 51/55).

Use cases ``note`` entries on their session; they are chained when the transaction commits
(``before_commit``), so the chain head is locked only for the commit, not for the whole use
case. A refusal is ``durable``: when the caller rolls back, it is still written, in a
transaction of its own. Each entry's hash covers its fields, its subjects and the previous
entry's hash; ``audit_head`` names the last entry, so a cut-off tail is noticed as well.
Subjects are person ids and an HMAC of ``doc_type:number``, never the number in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, event, insert, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction

from registry.context import Context
from registry.db.access_models import AuditEntry, AuditHead, AuditKey, AuditSubject
from registry.db.cache import per_transaction
from registry.db.models import Person
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
) -> str:
    """HMAC-SHA-256 (``key``; None: the unkeyed SHA-256 of before 0009) over the previous
    hash and the entry's canonical form."""
    body = json.dumps(
        [
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
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return auditkey.legacy_seal(prev, body) if key is None else auditkey.seal(key, prev, body)


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


def _key(conn: Connection) -> str:
    """The database's HMAC key; it never changes, so each DB-API connection reads it once."""
    info = conn.connection.info
    if "laiqu.audit.key" not in info:
        info["laiqu.audit.key"] = conn.execute(_KEY).scalar_one()
    return str(info["laiqu.audit.key"])


def append(conn: Connection, notes: list[Note], known: dict[uuid.UUID, str] | None = None) -> int:
    """Chain ``notes`` after the head (locked first: concurrent writers queue, never fork).

    ``known`` maps person ids to their ``id_key`` where the caller has them at hand.
    """
    if not notes:
        return 0
    seq, prev = conn.execute(_LOCK_HEAD).one()
    key = _key(conn)
    chain = auditkey.chain_key(conn)
    keys: dict[uuid.UUID, str] = dict(known or {})
    wanted = {p for n in notes for p in n.persons} - keys.keys()
    for chunk in _chunks(sorted(wanted, key=str)):
        rows = conn.execute(select(Person.id, Person.id_key).where(Person.id.in_(chunk)))
        keys.update((pid, key_) for pid, key_ in rows)
    entries, subjects = [], []
    for n in notes:
        seq += 1
        subj = [(p, subject_hash(key, keys[p]) if p in keys else None) for p in n.persons]
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
            [(str(p), h) for p, h in subj],
            key=chain,
        )
        entries.append(
            {
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
        )
        subjects.extend({"seq": seq, "person_id": p, "id_hash": h} for p, h in subj)
        prev = digest
    return _write(conn, entries, subjects, seq, prev)


def _write(
    conn: Connection,
    entries: list[dict[str, Any]],
    subjects: list[dict[str, Any]],
    seq: int,
    head: str,
) -> int:
    conn.execute(insert(AuditEntry), entries)
    if subjects:
        conn.execute(insert(AuditSubject), subjects)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=head))
    return len(entries)


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


@event.listens_for(Session, "before_commit")
def _chain_on_commit(session: Session) -> None:
    """The unit of work's one writing place: its events, then its notes chained."""
    if session.in_nested_transaction():
        return  # a savepoint's release: the transaction's commit writes it all with the rest
    unit.write_events(session)
    notes = unit.take_notes(session)
    if notes:
        append(session.connection(), notes, per_transaction(session, KNOWN))


@event.listens_for(Session, "after_transaction_end")
def _keep_refusals(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    notes = unit.take_notes(session)
    durable = [n for n in notes if n.durable]
    if not durable:
        return
    with session.get_bind().connect() as conn, conn.begin():
        append(conn, durable)


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


Subjects = list[tuple[str, str | None]]


def _walk(conn: Connection) -> Iterator[tuple[Any, Subjects]]:
    """Every entry in order, with its subjects, CHUNK entries a statement."""
    last = 0
    while True:
        rows = conn.execute(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(CHUNK)
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


def _again(r: Any, prev: str, subjects: Subjects, key: bytes | None) -> str:
    fields = (r.actor, r.role, r.terminal, r.kind, r.action, r.purpose, r.detail)
    return entry_hash(prev, r.seq, r.at, *fields, subjects, key=key)


def verify(conn: Connection, *, legacy: bool = False) -> Verdict:
    """Walk the chain: contiguous sequence numbers, each keyed hash recomputed (the key file,
    ``auditkey``; ``legacy``: unkeyed, before 0009), the head matching.

    An entry forged or re-hashed by someone without the key is "altered".
    """
    key = None if legacy else auditkey.chain_key(conn)
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
    head = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    if head.seq != count or head.hash != prev:
        return Verdict(
            False,
            count,
            f"the chain ends at entry {count} but the head names entry {head.seq}",
            count + 1,
            prev,
        )
    return Verdict(True, count, head=prev)


def key_fits(conn: Connection) -> bool:
    """Whether the key file in use seals the chain's last entry: a writer started with
    another key would append entries no ``verify`` could ever pass. True for an empty chain.
    One entry read; raises what ``auditkey.chain_key`` raises (no key file, bad mode)."""
    last = conn.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    if last is None:
        return True
    subjects = [
        (str(s.person_id), s.id_hash)
        for s in conn.execute(select(AuditSubject).where(AuditSubject.seq == last.seq))
    ]
    return _again(last, last.prev_hash, subjects, auditkey.chain_key(conn)) == last.hash


def rechain(conn: Connection, key: bytes | None) -> None:
    """Re-hash every entry with ``key`` (None: unkeyed, as before 0009) and move the head
    (migration 0009, as the owner: the append-only triggers are set aside for it)."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
    prev, seq, changes = GENESIS, 0, []
    for r, subjects in list(_walk(conn)):
        digest = _again(r, prev, subjects, key)
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
