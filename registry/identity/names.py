"""Name pinyin for search: every reading of polyphonic characters, full and initials.

pypinyin reads 曾 as "ceng" and 单 as "dan" by default; a caller on the phone says "zeng" and
"shan". So we keep all readings (``heteronym=True``), bounded to a few combinations, as
``|reading|reading|`` strings that a LIKE '%|zeng%' or an index can search.

>>> forms("曾凡")
('|cengfan|zengfan|', '|cf|zf|')
"""

from __future__ import annotations

import itertools
import re
import unicodedata

MAX_COMBINATIONS = 16


def _readings(name: str) -> list[list[str]]:
    # Imported on first use: its dictionaries take a quarter second to load, which every
    # `laiqu` command would otherwise pay at start-up.
    from pypinyin import Style, pinyin

    syllables = pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore")
    return [sorted({s.lower() for s in options if s}) for options in syllables if options]


def forms(name: str) -> tuple[str, str]:
    """Full pinyin and initials of every reading, each as a ``|a|b|`` string."""
    readings = _readings(name)
    if not readings:
        return "", ""
    full: list[str] = []
    initials: list[str] = []
    for combo in itertools.islice(itertools.product(*readings), MAX_COMBINATIONS):
        full.append("".join(combo))
        initials.append("".join(s[0] for s in combo))
    return "|" + "|".join(sorted(set(full))) + "|", "|" + "|".join(sorted(set(initials))) + "|"


_DIGIT_RUN = re.compile(r"\d{4,}")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a person's name, or None.

    A name holds letters, spaces and the marks of names (·, -, ', .), never a run of four or
    more digits (a number typed into the wrong field would be shown in full wherever names
    are) nor format or control characters (bidirectional overrides garble every list).
    """
    if _DIGIT_RUN.search(unicodedata.normalize("NFKC", name)):
        return "digits"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return "control"
    return None
