"""Days as people and spreadsheets write them: ``1994-01-01``, ``1994/1/1``, ``1994.1.1``,
``19940101``, ``1994年1月1日``; and ``长期`` (or ``9999-12-31``) as the end of a document's
validity, which a resident card prints for long-term cards (GB 16739-2004 / the chip's
``有效期限`` field, where the reader drivers give None).

>>> read_day("1994/1/1")
datetime.date(1994, 1, 1)
>>> read_valid_to("长期") is LONG_TERM
True
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Final

from registry.errors import InvalidInput

LONG_TERM: Final = "long-term"
LONG_TERM_WORDS = frozenset({"长期", "長期", "长期有效", "long-term", "longterm"})
LONG_TERM_DAY = date(9999, 12, 31)
EARLIEST_YEAR = 1880

_SEPARATED = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})", re.ASCII)
_ZH = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?", re.ASCII)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
# A spreadsheet's date-time cell at midnight: "1994/01/07 00:00:00", "1994-01-07T00:00".
_ZERO_TIME = re.compile(r"(?:\s+|T)0?0:00(?::00(?:\.0+)?)?$", re.ASCII)


class BadDay(InvalidInput):
    """A text that is no day: ``reason`` is "shape", "no such day" or "too early"."""

    def __init__(self, message: str, reason: str) -> None:
        self.reason = reason
        super().__init__(message)


def read_day(raw: str) -> date:
    """The day ``raw`` writes (full-width digits folded), or ``BadDay``.

    Accepted: year first, four digits, then month and day with one separator (``-``, ``/``,
    ``.``), or as ``YYYY年M月D日``, or as eight digits ``YYYYMMDD``; each may end with a zero
    time as spreadsheets write a date-time cell (``1994/01/07 00:00:00``). Years before 1880 are
    refused (no living person was born then).
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    text = _ZERO_TIME.sub("", text, count=1)
    found = _ZH.fullmatch(text) or _SEPARATED.fullmatch(text) or _COMPACT.fullmatch(text)
    if not found:
        raise BadDay("the text is not a day in a known form", "shape")
    year, month, day = (int(found.group(i)) for i in (1, found.lastindex - 1, found.lastindex))
    try:
        value = date(year, month, day)
    except ValueError:
        raise BadDay("the text names no such day", "no such day") from None
    if value.year < EARLIEST_YEAR:
        raise BadDay(f"the day is before {EARLIEST_YEAR}", "too early")
    return value


def read_valid_to(raw: str) -> date | str:
    """The last day of a document's validity, or ``LONG_TERM`` for 长期 and 9999-12-31."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if text.lower() in LONG_TERM_WORDS:
        return LONG_TERM
    value = read_day(text)
    return LONG_TERM if value == LONG_TERM_DAY else value
