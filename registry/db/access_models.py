"""Tables of issue #8: registry users, their roles and scopes, and the hash-chained audit log."""

from __future__ import annotations
