"""The same upload batches as a file, for stations behind a gate (网闸) with no connection.

A file carries the venue's identity, the batches and a SHA-256 checksum over the canonical
JSON of everything else: a damaged or edited file fails the check and is refused whole. The
station's ledger makes a second import of the same file change nothing. The station can
write a receipt (the outcome per item, checksummed the same way) that the desk imports to
settle its outbox.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from registry.context import Context
from registry.errors import InvalidInput
from registry.sync import outbox, payload
from registry.sync.push import BATCH, desk_venue, next_batch, queue_heartbeats
from registry.sync.station import apply_batch

UPLOAD = "laiqu-sync/1"
RECEIPT = "laiqu-sync-receipt/1"


class DamagedFile(InvalidInput):
    """The file is not a complete, unaltered sync file: nothing of it is applied."""


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def seal(body: dict[str, Any]) -> str:
    """The document as text, with its checksum."""
    sealed = {**body, "checksum": hashlib.sha256(_canonical(body)).hexdigest()}
    return json.dumps(sealed, ensure_ascii=False, indent=1)


def unseal(text: str | bytes) -> dict[str, Any]:
    """The document of a sealed text; ``DamagedFile`` unless it is whole and unaltered."""
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DamagedFile(f"the file is not a sync file (not JSON: {exc})") from exc
    if not isinstance(doc, dict) or "checksum" not in doc:
        raise DamagedFile("the file has no checksum")
    given = doc.pop("checksum")
    if hashlib.sha256(_canonical(doc)).hexdigest() != given:
        raise DamagedFile("the checksum does not match: the file is damaged or was altered")
    if doc.get("format") not in (UPLOAD, RECEIPT):
        raise DamagedFile(f"unknown sync file format {doc.get('format')!r}")
    return doc


def export(session: Session, ctx: Context, venue_ref: str | None, batch: int = BATCH) -> str:
    """Every open item of the desk as a sealed upload file; the items are marked sent."""
    venue = desk_venue(session, venue_ref)
    queue_heartbeats(session, ctx, venue)
    now = datetime.now(UTC)
    batches = []
    while True:
        items = next_batch(session, batch, now, due_only=False, fresh_only=True)
        if not items:
            break
        batches.append(items)
    return seal(
        {
            "format": UPLOAD,
            "venue": payload.venue_identity(venue),
            "exported_at": ctx.now().isoformat(),
            "items": sum(len(b) for b in batches),
            "batches": batches,
        }
    )


def apply_upload(session: Session, doc: dict[str, Any], received_at: datetime) -> dict[str, Any]:
    """Station side: apply every batch of an upload file; the receipt document."""
    if doc["format"] != UPLOAD:
        raise DamagedFile("this is a receipt, not an upload file: import it at the desk")
    results: list[dict[str, str | None]] = []
    for items in doc["batches"]:
        results += apply_batch(session, doc["venue"], items, received_at)
    return {"format": RECEIPT, "venue": doc["venue"], "results": results}


def apply_receipt(session: Session, doc: dict[str, Any]) -> int:
    """Desk side: settle the outbox from a station's receipt; the number of items settled."""
    if doc["format"] != RECEIPT:
        raise DamagedFile("this is an upload file: import it at the station")
    venue = desk_venue(session, None)
    if doc["venue"].get("id") != str(venue.id):
        raise InvalidInput("the receipt is for another venue")
    outbox.settle(session, doc["results"], datetime.now(UTC))
    return len(doc["results"])
