"""References to records by id, as lists print them: the first 8 hexadecimal characters of a
UUID (``short``), longer prefixes that tell several records apart, and the index range a prefix
spans. Shared by the place resolver (``registry.places.common.by_ref``) and the person and
finding references (``registry.lookup.refs``); kept here so that a search imports no place use
case (the command line's start-up, issue 19).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement

SHORT = 8  # characters of an id a list prints (the shortest prefix a reference may be)
MAX_CANDIDATES = 10  # listed when a reference is ambiguous
_HEX = re.compile(r"[0-9a-f]{8,32}")


def short(value: uuid.UUID) -> str:
    """The reference a list prints for a record id: its first 8 hexadecimal characters."""
    return value.hex[:SHORT]


def distinct_prefixes(ids: Sequence[uuid.UUID], at_least: int = SHORT) -> dict[uuid.UUID, str]:
    """For each id the shortest prefix (``at_least`` characters or more, 8 by default, 32 at
    most) that tells it from the others."""
    length = min(max(SHORT, at_least), 32)
    while length < 32 and len({i.hex[:length] for i in ids}) < len(set(ids)):
        length += 4
    return {i: i.hex[:length] for i in ids}


def id_prefix(text: str) -> str | None:
    """``text`` as an id prefix (8 to 32 hexadecimal characters once hyphens are dropped, lower
    case), or None when it is none: what a list row or ``--json`` gives a user to type."""
    hexa = text.strip().replace("-", "").lower()
    return hexa if _HEX.fullmatch(hexa) else None


def id_range(column: Any, prefix: str) -> list[ColumnElement[bool]]:
    """``column`` (a UUID key) starts with the hexadecimal ``prefix``: a range on its index,
    the same on both engines (no cast, no LIKE)."""
    low = uuid.UUID(prefix.ljust(32, "0"))
    high = uuid.UUID(prefix.ljust(32, "f"))
    return [column >= low, column <= high]
