"""The audit log's use cases, as a user (admin only): who viewed a person, verifying the
chain, signed checkpoints of its length and head."""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.access_models import AuditEntry
from registry.db.models import Person
from registry.privacy import auditkey
from registry.privacy.audit import (
    GENESIS,
    Verdict,
    Viewed,
    chain,
    note,
    rechain,
    verify,
    who_viewed,
)


def who_viewed_number(session: Session, ctx: Context, number: str) -> tuple[str, list[Viewed]]:
    """``who_viewed`` by document number (admin); the query itself is audited."""
    from registry.identity.ids import parse
    from registry.privacy import access

    ctx = access.require(session, ctx, "audit.read")
    idn = parse(number) if number else None
    if idn is None:
        from registry.errors import InvalidInput

        raise InvalidInput("an ID number is needed")
    person_id = session.scalar(select(Person.id).where(Person.id_key == idn.key))
    chain(session.connection())  # the entries still staged count too
    rows = who_viewed(session, person_id, idn.key)
    note(session, ctx, "read", "audit.who_viewed", persons=(person_id,), number=idn.masked)
    return idn.masked, rows


def who_viewed_person(session: Session, ctx: Context, person: Person) -> tuple[str, list[Viewed]]:
    """``who_viewed`` of a registered person (admin), by id and by the keyed hash of the
    number; returns the masked number and the entries; the query itself is audited."""
    from registry.identity.ids import mask
    from registry.privacy import access

    ctx = access.require(session, ctx, "audit.read")
    chain(session.connection())  # the entries still staged count too
    rows = who_viewed(session, person.id, person.id_key)
    masked = mask(person.number)
    note(session, ctx, "read", "audit.who_viewed", persons=(person.id,), number=masked)
    return masked, rows


def verify_as(session: Session, ctx: Context) -> Verdict:
    """``verify`` for a user (admin), audited."""
    from registry.privacy import access

    ctx = access.require(session, ctx, "audit.read")
    verdict = verify(session.connection())
    note(session, ctx, "admin", "audit.verify", ok=verdict.ok, entries=verdict.entries)
    return verdict


FORMAT = "laiqu-audit-checkpoint/1"


def make_checkpoint(session: Session, ctx: Context) -> tuple[Verdict, dict[str, Any] | None]:
    """A signed checkpoint of the verified chain (admin), audited; None when it does not verify.

    Shape: ``{"format", "entries": int, "head": hex, "at": ISO 8601, "signature": hex}``, the
    signature an HMAC of the other fields with a key derived from the audit key file
    (``auditkey.sign``): no database login can forge one.
    """
    from registry.privacy import access

    ctx = access.require(session, ctx, "audit.read")
    conn = session.connection()
    verdict = verify(conn)
    note(session, ctx, "admin", "audit.checkpoint", ok=verdict.ok, entries=verdict.entries)
    if not verdict.ok:
        return verdict, None
    fields = {
        "format": FORMAT,
        "entries": verdict.entries,
        "head": verdict.head,
        "at": ctx.now().isoformat(),
    }
    return verdict, {**fields, "signature": auditkey.sign(auditkey.chain_key(conn), fields)}


def verify_checkpoint(session: Session, ctx: Context, checkpoint: dict[str, Any]) -> Verdict:
    """``verify``, then the chain against a checkpoint (admin), audited.

    Not ok when the checkpoint's signature is wrong (``seq`` None), when the chain is shorter
    than the checkpoint (a cut-off tail: ``seq`` the first missing entry), or when the entry at
    the checkpoint's position is not the one it signed (a re-built chain: ``seq`` that entry).
    """
    from registry.privacy import access

    ctx = access.require(session, ctx, "audit.read")
    conn = session.connection()
    verdict = _against(conn, checkpoint)
    note(
        session,
        ctx,
        "admin",
        "audit.verify",
        ok=verdict.ok,
        entries=verdict.entries,
        checkpoint=checkpoint.get("entries"),
    )
    return verdict


def _against(conn: Connection, checkpoint: dict[str, Any]) -> Verdict:
    fields = {k: checkpoint.get(k) for k in ("format", "entries", "head", "at")}
    signature = checkpoint.get("signature")
    good = isinstance(signature, str) and hmac.compare_digest(
        signature, auditkey.sign(auditkey.chain_key(conn), fields)
    )
    if not good or fields["format"] != FORMAT or not isinstance(fields["entries"], int):
        return Verdict(False, 0, "the checkpoint's signature is wrong")
    verdict = verify(conn)
    if not verdict.ok:
        return verdict
    wanted: int = fields["entries"]
    if verdict.entries < wanted:
        return Verdict(
            False,
            verdict.entries,
            f"entries {verdict.entries + 1} to {wanted} were cut off",
            verdict.entries + 1,
        )
    at = (
        conn.execute(select(AuditEntry.hash).where(AuditEntry.seq == wanted)).scalar_one()
        if wanted
        else GENESIS
    )
    if at != fields["head"]:
        return Verdict(False, verdict.entries, f"entry {wanted} is not the checkpoint's", wanted)
    return verdict


def rekey_legacy(conn: Connection) -> int:
    """Re-key an existing unkeyed chain with the key file (created if missing); entries done.

    Nothing to do for an empty chain or one already keyed (an upgrade after a downgrade).
    Refused (``AuditKeyError``) when the unkeyed chain does not verify either: re-keying would
    launder a tampering.
    """
    count = conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    if not count:
        return 0
    path = auditkey.key_path(conn.engine.url)
    if path is not None:
        auditkey.create_key(path)
    key = auditkey.read_key(path) if path is not None else auditkey.PROCESS_KEY
    conn.connection.info[auditkey.INFO] = key
    if verify(conn).ok:
        return 0
    verdict = verify(conn, legacy=True)
    if not verdict.ok:
        raise auditkey.AuditKeyError(
            f"the audit log does not verify before re-keying: {verdict.problem}"
        )
    rechain(conn, key)
    return int(count)
