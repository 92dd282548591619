"""Decks of synthetic cards for the emulator: generated people, never real persons.

A deck is a JSON file (``{"format": "laiqu-deck/1", "cards": [...]}``, one object per card
with the ``CardRead`` field names, dates as ``YYYY-MM-DD``, ``valid_to`` ``"长期"`` for
long-term, plus ``fingerprints`` (0-2 templates) and ``append_address``). Photos and
fingerprints are deterministic opaque bytes derived from the number: pass-through and hashing
can be asserted, and no face is ever synthesised.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from drivers.frames import FP_LEN, PHOTO_LEN
from registry.identity.cards import CardRead
from registry.identity.ids import DocType, ric_check_digit

FORMAT = "laiqu-deck/1"
LONG_TERM_TEXT = "长期"


@dataclass(frozen=True)
class DeckCard:
    """One card of a deck: the chip data plus what else the chip holds."""

    card: CardRead
    append_address: str | None = None


def opaque_bytes(seed: str, size: int) -> bytes:
    """Deterministic filler (SHA-256 in counter mode): not an image, not a template."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def complete(card: CardRead, fingerprints: int = 0) -> CardRead:
    """Fill photo, fingerprints and chip serial from the number when the card has none."""
    photo = card.photo or opaque_bytes("photo:" + card.number, PHOTO_LEN)
    fps = card.fingerprints
    if fps is None and fingerprints:
        fps = opaque_bytes("fp:" + card.number, FP_LEN * fingerprints)
    serial = card.chip_serial or hashlib.sha256(card.number.encode()).hexdigest()[:16].upper()
    return replace(card, photo=photo, fingerprints=fps, chip_serial=serial)


def _mrz_digit(text: str) -> str:
    weights = (7, 3, 1)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * weights[i % 3]
                for i, c in enumerate(text))
    return str(total % 10)


def citizen_number(region: str, born: date, sequence: int) -> str:
    """An 18-character number with a valid MOD 11-2 check (17th digit: odd male, even female)."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + ric_check_digit(first17)


_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红"
_REGIONS = {  # code: (province, city, district)
    "110105": ("北京市", "北京市", "朝阳"), "310104": ("上海市", "上海市", "徐汇"),
    "440106": ("广东省", "广州市", "天河"), "510107": ("四川省", "成都市", "武侯"),
    "330106": ("浙江省", "杭州市", "西湖"), "650102": ("新疆维吾尔自治区", "乌鲁木齐市", "天山"),
    "230102": ("黑龙江省", "哈尔滨市", "道里"),
}


def _resident(rng: random.Random, region: str, *, ethnicity: str, gender: str, born: date,
              valid_from: date, valid_to: date | None) -> CardRead:
    seq = rng.randrange(0, 499) * 2 + (1 if gender == "1" else 2)
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    street = f"{rng.choice('东西南北中')}{rng.choice('山河湖海林')}路{rng.randrange(1, 300)}号"
    province, city, district = _REGIONS[region]
    place = province + (city if city != province else "") + district + "区"
    return CardRead(
        DocType.RESIDENT, name, gender, born, number=citizen_number(region, born, seq % 1000),
        issuer=f"{city}公安局{district}分局", valid_from=valid_from,
        valid_to=valid_to, ethnicity=ethnicity, address=place + street,
    )


_RESIDENTS = (  # region, ethnicity, gender, born, valid from, valid to, fingerprints, append
    ("110105", "01", "1", date(1988, 3, 14), date(2019, 6, 1), date(2039, 6, 1), 0, None),
    ("310104", "01", "2", date(1962, 11, 2), date(2012, 5, 20), None, 0, None),  # 长期
    ("440106", "03", "1", date(1989, 7, 30), date(2015, 2, 1), date(2025, 2, 1), 0, None),  # old
    ("650102", "05", "2", date(1995, 1, 9), date(2016, 8, 8), date(2036, 8, 8), 2,
     "新疆维吾尔自治区乌鲁木齐市天山区和平路8号"),
    ("510107", "98", "1", date(1990, 12, 31), date(2021, 3, 3), date(2041, 3, 3), 1, None),
    ("230102", "97", "2", date(2008, 4, 16), date(2024, 4, 1), date(2029, 4, 1), 0, None),
)


def default_deck(seed: int = 467) -> list[DeckCard]:
    """The built-in deck: every layout, 长期 and expired cards, 97/98, fingerprints."""
    rng = random.Random(seed)
    cards = [
        DeckCard(complete(_resident(rng, region, ethnicity=eth, gender=gender, born=born,
                                    valid_from=start, valid_to=end), fingerprints=fps), append)
        for region, eth, gender, born, start, end, fps, append in _RESIDENTS
    ]
    cards += [
        DeckCard(complete(CardRead(
            DocType.HMT_PERMIT, "陈家乐", "1", date(1985, 9, 21),
            number=citizen_number("810000", date(1985, 9, 21), 13), issuer="深圳市公安局",
            valid_from=date(2024, 10, 1), valid_to=date(2029, 10, 1),
            address="广东省深圳市福田区福华路1号",
            extras=MappingProxyType({"pass_number": "H60012345", "issue_count": "01"})))),
        DeckCard(complete(CardRead(
            DocType.HMT_PERMIT, "林怡君", "2", date(1992, 2, 29),
            number=citizen_number("830000", date(1992, 2, 29), 24), issuer="厦门市公安局",
            valid_from=date(2023, 1, 5), valid_to=date(2028, 1, 5),
            address="福建省厦门市思明区鹭江道2号",
            extras=MappingProxyType({"pass_number": "03456789", "issue_count": "02"})))),
        DeckCard(complete(_foreign_2017())),
        DeckCard(complete(_foreign_2023())),
    ]
    return cards


def _foreign_2017() -> CardRead:
    body = "USA3101" + "820615" + "1"
    return CardRead(
        DocType.FOREIGN_2017, "SMITH, JOHN ALEXANDER", "1", date(1982, 6, 15),
        number=body + _mrz_digit(body), valid_from=date(2018, 7, 1), valid_to=date(2028, 7, 1),
        english_name="SMITH, JOHN ALEXANDER", nationality="USA",
        extras=MappingProxyType({"card_version": "01", "authority_code": "3100"}),
    )


def _foreign_2023() -> CardRead:
    first17 = "931586" + "19800101" + "002"
    return CardRead(
        DocType.FOREIGN_2023, "艾莎", "2", date(1980, 1, 1),
        number=first17 + ric_check_digit(first17),
        valid_from=date(2024, 1, 10), valid_to=date(2034, 1, 10),
        english_name="KHAN, AISHA MARIAM ABDULLAH BINTE RAHMAN",
        nationality="PAK", extras=MappingProxyType({"renewal_count": "00",
                                                    "previous_link": "015"}),
    )


# --- JSON ----------------------------------------------------------------------------------

def card_to_dict(card: CardRead) -> dict[str, Any]:
    """A JSON-able dict of a card (bytes as hex); also the emulator control wire format."""
    out: dict[str, Any] = {}
    for f in fields(card):
        value = getattr(card, f.name)
        if f.name == "valid_to" and value is None:
            value = LONG_TERM_TEXT
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = value.hex()
        elif f.name == "extras":
            value = dict(value)
        elif f.name == "doc_type":
            value = value.value
        if value is not None:
            out[f.name] = value
    return out


def card_from_dict(data: dict[str, Any]) -> CardRead:
    """Inverse of ``card_to_dict``; missing photo/chip serial are derived from the number."""
    kw = dict(data)
    extra_fp = int(kw.pop("fingerprints_count", 0) or 0)
    if isinstance(kw.get("fingerprints"), int):
        extra_fp = kw.pop("fingerprints")
    kw.pop("append_address", None)
    kw["doc_type"] = DocType(kw["doc_type"])
    for key in ("birth_date", "valid_from", "valid_to", "read_at"):
        if kw.get(key) in (None, LONG_TERM_TEXT):
            kw[key] = None
        elif key == "read_at":
            kw.pop(key)
        else:
            kw[key] = date.fromisoformat(kw[key])
    for key in ("photo", "fingerprints"):
        if isinstance(kw.get(key), str):
            kw[key] = bytes.fromhex(kw[key])
    kw["extras"] = MappingProxyType(dict(kw.get("extras") or {}))
    return complete(CardRead(**kw), fingerprints=extra_fp)


def deck_to_json(deck: list[DeckCard]) -> str:
    cards = []
    for entry in deck:
        item = card_to_dict(entry.card)
        item.pop("photo", None)  # derived from the number on load
        if entry.card.fingerprints:
            item["fingerprints"] = len(entry.card.fingerprints) // FP_LEN
        if entry.append_address:
            item["append_address"] = entry.append_address
        cards.append(item)
    return json.dumps({"format": FORMAT, "cards": cards}, ensure_ascii=False, indent=1)


def deck_from_json(text: str) -> list[DeckCard]:
    data = json.loads(text)
    items = data["cards"] if isinstance(data, dict) else data
    return [DeckCard(card_from_dict(item), item.get("append_address")) for item in items]


def load_deck(path: str | Path | None = None) -> list[DeckCard]:
    """A deck from a JSON file, or the built-in default deck."""
    if path is None or str(path) in ("", "default"):
        return default_deck()
    return deck_from_json(Path(path).read_text(encoding="utf-8"))
