"""The folded form addresses are searched in, the same on both engines.

A house's address is stored as typed (``华师路 １２ 號``); a search for ``华师路12号`` must find
it. ``fold`` maps the full-width ASCII forms (U+FF01–FF5E, typed with a Chinese IME) to ASCII,
the traditional 號 to 号, drops white space (ASCII and the ideographic space U+3000) and lower-
cases. PostgreSQL computes it with ``lower(translate(address, FROM, TO))`` (``sql``); SQLite
with this module's ``fold``, registered on every connection as the function ``laiqu_fold``
(``registry.db.engine``). Both give the same string: ``translate`` maps a character of ``FROM``
to the one at its place in ``TO`` and deletes those past the end of ``TO``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, func, literal

MAPPED_FROM = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "號"
TO = "".join(chr(c) for c in range(0x21, 0x7F)) + "号"
DROPPED = " \u3000\t\r\n"
FROM = MAPPED_FROM + DROPPED
SQLITE_FUNCTION = "laiqu_fold"
_TABLE = str.maketrans(MAPPED_FROM, TO, DROPPED)


def fold(text: str | None) -> str | None:
    """``text`` folded (see the module); None stays None (SQL NULL)."""
    return None if text is None else text.translate(_TABLE).lower()


def sql(column: Any, dialect: str) -> Any:
    """The SQL expression of ``fold(column)`` on ``dialect`` (``postgresql`` or ``sqlite``)."""
    if dialect == "postgresql":
        return func.lower(func.translate(column, literal(FROM, String), literal(TO, String)))
    return getattr(func, SQLITE_FUNCTION)(column)
