"""Tables of issue #9: the desk outbox, sync batches, the station's ledger of applied uploads."""

from __future__ import annotations
