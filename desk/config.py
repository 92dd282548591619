"""What a desk remembers between starts: its venue, reader, station and port.

A small JSON file next to the SQLite database (``<file>.desk.json``), else
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


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: data[k] for k in KEYS if isinstance(data, dict) and data.get(k) is not None}


def save(path: Path, values: dict[str, Any]) -> None:
    """Write the file whole (a temporary file renamed over it)."""
    data = {k: values[k] for k in KEYS if values.get(k) is not None}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
