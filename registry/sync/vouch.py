"""What the station believes of an upload: who did it comes from the credential, not the desk.

A desk's upload item carries the desk's own record of who acted (``registered_by``, ``actor``,
``terminal``) and when. Over the station service the uploader is known: the user of the
credential and the device. Before a batch is applied, ``vouch`` rewrites every item's acting
user and terminal to the uploader's and each event's jurisdiction to the uploading venue's, and
refuses an item whose instants lie in the future (beyond ``SKEW`` of the station's clock): a
desk can neither act in another's name nor date a report ahead to fake its on-time rate.

Shapes: items are the upload items of ``registry.sync.payload`` (``data`` holds one row per
table name, values as JSON text). Returns the refusal reason per item id; the items are changed
in place. Source of the rule: issue #15 (a desk wrote events as ``postgres`` and dated a stay
2030 through the upload route).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from registry.identity.ids import ric_check_digit

SKEW = timedelta(minutes=5)  # desks' clocks drift; anything later is refused
ACTING = {"stay": "registered_by", "residence": "registered_by", "employment": "registered_by"}
INSTANTS = ("checked_in_at", "checked_out_at", "reported_at", "occurred_at", "created_at")
DAYS = ("valid_from", "valid_to")
DETAIL_MAX = 4000  # characters of an uploaded event's detail as JSON; a desk's own are < 1,000
_RESIDENT = re.compile(r"(?<![0-9A-Za-z])([0-9]{17})([0-9Xx])(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Uploader:
    """Who sends the batch: the credential's login, its device or address, its venue."""

    login: str
    terminal: str | None
    jurisdiction: str


def vouch(items: list[dict[str, Any]], uploader: Uploader, received_at: datetime) -> dict[str, str]:
    """Rewrite who acted to ``uploader`` and refuse future instants; reasons by item id."""
    latest = received_at + SKEW
    today = (latest + timedelta(hours=8)).date()  # the latest local day anywhere in China
    refused: dict[str, str] = {}
    for item in items:
        data = item.get("data") or {}
        for name, row in data.items():
            if not isinstance(row, dict) or name in ("person", "document", "house", "employer"):
                continue
            if name in ACTING:
                row[ACTING[name]] = uploader.login
                row["terminal"] = uploader.terminal
            if name == "event":
                row["actor"] = uploader.login
                row["terminal"] = uploader.terminal
                row["jurisdiction_code"] = uploader.jurisdiction
                if (why := _detail_problem(row.get("detail"))) is not None:
                    refused[str(item.get("id"))] = why
            if (why := _when_problem(row, latest, today)) is not None:
                refused[str(item.get("id"))] = f"the {name}'s {why}"
    return refused


def _when_problem(row: dict[str, Any], latest: datetime, today: date) -> str | None:
    """What is wrong with the row's times, each instant parsed once: ``"KEY is in the
    future"`` (an instant after ``latest``, a day after ``today``), else ``"KEY has no time
    zone"`` (an instant without a UTC offset: a desk sends its instants with one, and Beijing
    time read as UTC would be 8 hours off); None when nothing is. An unreadable instant is
    left to the use case that reads it."""
    naive = None
    for key in INSTANTS:
        value = row.get(key)
        if not isinstance(value, str):
            continue
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            continue
        if at.tzinfo is None:
            naive = naive or key
            at = at.replace(tzinfo=UTC)
        if at > latest:
            return f"{key} is in the future"
    for key in DAYS:
        value = row.get(key)
        if isinstance(value, str) and len(value) == 10 and date.fromisoformat(value) > today:
            return f"{key} is in the future"
    return f"{naive} has no time zone" if naive else None


def _detail_problem(detail: Any) -> str | None:
    """Why an uploaded event's detail may not enter the station's journal (append-only,
    kept for years): longer than ``DETAIL_MAX`` as JSON, or holding a full resident ID
    number (a valid GB 11643 check character; the journal names persons by id, PIPL Art. 51).
    None when it may."""
    text = json.dumps(detail, ensure_ascii=False, default=str)
    if len(text) > DETAIL_MAX:
        return f"the event's detail is longer than {DETAIL_MAX} characters"
    for found in _RESIDENT.finditer(text):
        if ric_check_digit(found.group(1)) == found.group(2).upper():
            return "the event's detail holds a full ID number"
    return None
