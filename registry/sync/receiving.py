"""The station receives a desk's upload batch as a user's use case (the station service).

``station.apply_batch`` does the work; this first checks that the uploader may report for the
sending venue (a desk or intermediary user: its own venue; a coordinator: a venue in the own
subtree; admin: any) and refuses the whole batch otherwise (``OutOfScope``, audited), so a
credential of one hotel cannot upload in the name of another.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from registry.context import Context
from registry.privacy import access
from registry.sync.station import Item, Result, apply_batch, find_venue
from registry.sync.vouch import Uploader


def receive(
    session: Session,
    ctx: Context,
    venue_identity: dict[str, Any],
    items: Sequence[Item],
    received_at: datetime,
) -> list[Result]:
    """Apply one batch for the acting user; one result per item, in order.

    Raises ``UnknownVenue`` (the venue is not registered at the station) and ``OutOfScope``
    (the user may not report for it); both leave nothing written but the refusal's audit entry.
    """
    venue = find_venue(session, venue_identity)
    ctx = access.require(session, ctx, "person.write", venue=venue)
    uploader = Uploader(ctx.actor, ctx.terminal, venue.jurisdiction_code)
    return apply_batch(session, venue_identity, items, received_at, uploader)
