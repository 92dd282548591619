"""Tables of issue #8's retention: purge runs and kept aggregates (if any)."""

from __future__ import annotations
