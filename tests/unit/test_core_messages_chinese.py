"""Every message the core raises on purpose has a Chinese wording (registry/messages.py).

The raise statements of ``registry/`` are read from the source: each literal or f-string
message (placeholders filled with ``1``, ``'x'`` or a word) must come out of ``phrase`` with
Chinese in it, so a new English message fails here until it is worded.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from registry.messages import phrase

ROOT = Path(__file__).resolve().parents[2] / "registry"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Not for users: programming errors, and the wrapper that prefixes another (worded) message.
NOT_SHOWN = ("naive datetime given", "unknown audit kind", "arrival ", "unknown search template")
# Messages whose placeholder takes one of a few words: a real example of each.
EXAMPLES = {
    "a name may not hold": "a name may not hold a run of digits",
    "jurisdiction code": "jurisdiction code 'x' is not a city code (4 or 6 digits)",
    "a 1 cannot be merged": "a venue cannot be merged into itself",
    "read from the card: ": "read from the card: the name may not hold control characters (U+202E)",
    "the 1 1 is referred to": "the house 华师路1号 is referred to by 2 residences; merge it",
    # the place resolver and level check, worded for each kind (venue, house, employer)
    "1 'x' is not registered": "house 'x' is not registered",
    "a 1 is needed: its id": "a house is needed: its id (8 or more characters) or its name",
    "1 names 1 1s, by name": (
        "abcd1234 names 2 houses, by name and by the start of an id: 华师路3号 [1bca5bbe], "
        "华师路2号 [abcd1234f7ae]; give the id in brackets"
    ),
    "1 is the start of 1 1 ids": (
        "abcd1234 is the start of 2 house ids: 华师路3号 [abcd12341bca], 华师路2号 [abcd1234f7ae]; "
        "give more characters"
    ),
    "the 1s are in different jurisdictions": (
        "the venues are in different jurisdictions (31010401 kept, 31010402 merged): give across"
    ),
    "a 1 belongs to a station": (
        "a house belongs to a station, community or grid, not to the district 310104"
    ),
}


def samples(node: ast.expr, fill: str) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value
            if isinstance(v, ast.Constant)
            else "'x'"
            if isinstance(v, ast.FormattedValue) and v.conversion == ord("r")
            else fill
            for v in node.values
        )
    return None


def raised_messages() -> list[tuple[str, int, list[str]]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                texts = [samples(node.exc.args[0], fill) for fill in ("1", "move-in", "desk")]
                if texts[0] and not CJK.search(texts[0]) and re.search("[a-z]{3}", texts[0]):
                    found.append((str(path.relative_to(ROOT)), node.lineno, texts))
    return found


def test_every_raised_message_has_a_chinese_wording() -> None:
    english = [
        f"{path}:{line}: {texts[0]}"
        for path, line, texts in raised_messages()
        if not texts[0].startswith(NOT_SHOWN)
        and not any(
            t and CJK.search(phrase(t))
            for t in [*texts, *(e for k, e in EXAMPLES.items() if texts[0].startswith(k))]
        )
    ]
    assert english == []


def test_the_messages_of_issue_19() -> None:
    assert phrase("the check-out time is before the check-in").startswith("退房时间早于入住时间")
    assert phrase("the check character of this credit code is wrong").startswith("统一社会信用代码")
    assert phrase("the gender (女) does not agree with ID number 1101**********0011") == (
        "性别（女）与证件号码 1101**********0011 不符"
    )


def test_the_warnings_of_numbers_are_worded() -> None:
    from registry.identity import ids

    first17 = "11990019880314001"
    parsed = ids.parse(first17 + ids.ric_check_digit(first17), "resident")
    assert parsed.warnings  # an unknown region code is a warning, not a refusal
    for warning in parsed.warnings:
        assert CJK.search(phrase(warning)), warning
    assert phrase("region code 999999 is not in the historic GB/T 2260 table").startswith(
        "号码中的行政区划代码 999999"
    )
    assert "7-3-1" in phrase("the check digit does not follow the 7-3-1 rule")
