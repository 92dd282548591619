"""What a desk remembers between starts: its venue, reader, station and port.

Per venue (``{"last": {...}, "venues": {venue: {...}}}``): two desks of two hotels on one
database file each keep their own reader and port; ``laiqu desk`` alone takes the last one,
``laiqu desk --venue V`` what V's desk used. A small JSON file next to the SQLite database
(``<file>.desk.json``), else
``$XDG_CONFIG_HOME/laiqu/desk.json`` (``~/.config/laiqu/desk.json``); ``$LAIQU_DESK_CONFIG``
names another file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

ENV = "LAIQU_DESK_CONFIG"
KEYS = ("venue", "reader", "station", "port", "station_user", "token_file", "ca_file")


def config_path(db_url: str) -> Path:
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database + ".desk.json")
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "laiqu" / "desk.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    if "last" not in data and "venues" not in data:  # an older flat file: one desk
        data = {"last": data, "venues": {}}
    return data


def _pick(values: object) -> dict[str, Any]:
    if not isinstance(values, dict):
        return {}
    return {k: values[k] for k in KEYS if values.get(k) is not None}


def load(path: Path, venue: str | None = None) -> dict[str, Any]:
    """What ``venue``'s desk used (any venue: the last desk started)."""
    data = _read(path)
    if venue is None:
        return _pick(data.get("last"))
    venues = data.get("venues")
    found = _pick(venues.get(venue) if isinstance(venues, dict) else None)
    if not found:
        last = _pick(data.get("last"))
        found = last if last.get("venue") == venue else {}
    return found


def save(path: Path, values: dict[str, Any]) -> None:
    """This desk's settings under its venue and as the last ones; the other venues' kept.
    The file written whole (a temporary file of this process renamed over it)."""
    picked = _pick(values)
    data = _read(path)
    venues = data.get("venues") if isinstance(data.get("venues"), dict) else {}
    if picked.get("venue"):
        venues[str(picked["venue"])] = picked
    data = {"last": picked, "venues": venues}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
