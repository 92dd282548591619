"""``demo``: placeholder while being written."""

from __future__ import annotations

COMMANDS: list[object] = []
