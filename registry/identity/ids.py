"""Identity document numbers: validate, normalise, and read what a number says.

Layered as domain-rules.md A5 asks: checksum and birth date are hard checks; a region code
that was never in GB/T 2260 (in no year) is only a warning (``IdNumber.warnings``, Chinese).
A birth date is never later than the registry's local day (Asia/Shanghai, not the host's).

>>> parse("11010519491231002x").number
'11010519491231002X'
>>> parse("11010519491231002x").gender, parse("11010519491231002x").birth_date.year
('2', 1949)
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from registry.context import DEFAULT_ZONE
from registry.errors import InvalidInput, InvalidNumber


class DocType(enum.StrEnum):
    """Kinds of identity documents the registry knows."""

    RESIDENT = "resident"  # 居民身份证
    HMT_PERMIT = "hmt_permit"  # 港澳台居民居住证 (810000/820000/830000)
    FOREIGN_2017 = "foreign_2017"  # 外国人永久居留身份证 2017: 3 letters + 12 digits
    FOREIGN_2023 = "foreign_2023"  # 外国人永久居留身份证 2023: 18 digits starting with 9
    PASSPORT = "passport"  # 护照 (foreign guests; number + nationality)
    RESIDENCE_PERMIT = "residence_permit"  # 居住证, issued by the registry itself

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def has_chip(self) -> bool:
        """Whether a desk reader can read this document (so typing it in is a finding)."""
        return self in (
            DocType.RESIDENT,
            DocType.HMT_PERMIT,
            DocType.FOREIGN_2017,
            DocType.FOREIGN_2023,
        )


_LABELS = {
    DocType.RESIDENT: "居民身份证",
    DocType.HMT_PERMIT: "港澳台居民居住证",
    DocType.FOREIGN_2017: "外国人永久居留身份证(2017版)",
    DocType.FOREIGN_2023: "外国人永久居留身份证(2023版)",
    DocType.PASSPORT: "护照",
    DocType.RESIDENCE_PERMIT: "居住证",
}

HMT_PREFIXES = {"810000": "香港", "820000": "澳门", "830000": "台湾"}

_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# ASCII digits only, and \Z, not $ (which also matches before a final newline).
_RE_18 = re.compile(r"^\d{17}[\dX]\Z", re.ASCII)
_RE_15 = re.compile(r"^\d{15}\Z", re.ASCII)
_RE_F2017 = re.compile(r"^[A-Z]{3}\d{12}\Z", re.ASCII)
_RE_F2023 = re.compile(r"^9\d{16}[\dX]\Z", re.ASCII)
_RE_PASSPORT = re.compile(r"^[A-Z0-9]{5,17}\Z")
_RE_ALPHA3 = re.compile(r"^[A-Z]{3}\Z")
_RE_PERMIT = re.compile(r"^[A-Z0-9]{6,30}\Z")


@dataclass(frozen=True)
class IdNumber:
    """A validated, normalised document number and what it tells."""

    doc_type: DocType
    number: str = field(repr=False)
    birth_date: date | None = None
    gender: str | None = None  # GB/T 2261.1 code from the sequence digit, where the number has one
    region_code: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The canonical person key: document type and normalised number."""
        return f"{self.doc_type.value}:{self.number}"

    @property
    def masked(self) -> str:
        return mask(self.number)

    def __repr__(self) -> str:
        return f"IdNumber({self.doc_type.value}, {self.masked})"


def compact(raw: str) -> str:
    """Strip separators and spaces, upper-case letters (x → X); full-width forms to ASCII.

    NFKC folds full-width digits and letters typed with a Chinese IME (１２３ → 123), so the
    same number never gives two persons; digits of other scripts stay and are refused.
    """
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", raw or "")).upper()


def mask(number: str | None) -> str:
    """Mask a document number for lists and logs: keep the region code and the last 4.

    >>> mask("11010519491231002X")
    '110105********002X'
    """
    if not number:
        return ""
    if len(number) >= 15:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    if len(number) > 4:
        return "*" * (len(number) - 4) + number[-4:]
    return "*" * len(number)


def ric_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a citizen number (also 2023 foreign and HMT)."""
    total = sum(int(d) * w for d, w in zip(first17, _RIC_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def upgrade15(number: str) -> str:
    """Upgrade a first-generation 15-digit number to 18 digits (insert 19, add the check).

    >>> upgrade15("110105491231002")
    '11010519491231002X'
    """
    if not _RE_15.match(number):
        raise InvalidNumber("a 15-digit legacy number must be 15 digits")
    first17 = number[:6] + "19" + number[6:]
    return first17 + ric_check_digit(first17)


def detect(raw: str) -> DocType:
    """Guess the document type from the shape of a number; passports must be named."""
    number = compact(raw)
    if _RE_F2017.match(number):
        return DocType.FOREIGN_2017
    if _RE_F2023.match(number):
        return DocType.FOREIGN_2023
    if _RE_18.match(number) and number[:6] in HMT_PREFIXES:
        return DocType.HMT_PERMIT
    if _RE_18.match(number) or _RE_15.match(number):
        return DocType.RESIDENT
    raise InvalidNumber(
        f"{mask(number) or 'the number'} is not a resident ID, residence-permit or foreign "
        "permanent-resident number; give the document type for a passport"
    )


def registry_today() -> date:
    """The registry's local day (Asia/Shanghai), whatever the host's time zone."""
    return datetime.now(DEFAULT_ZONE).date()


def parse(
    raw: str, doc_type: DocType | str | None = None, *, today: date | None = None
) -> IdNumber:
    """Validate and normalise a number of the given (or detected) document type.

    ``today``: the day no birth date may be later than; by default the registry's local day
    (``registry_today``; use cases pass ``Context.today()``). Raises ``InvalidNumber``.
    """
    number = compact(raw)
    kind = doc_type_of(doc_type) if doc_type else detect(number)
    parser = _PARSERS[kind]
    return parser(number, today or registry_today())


def doc_type_of(value: DocType | str) -> DocType:
    """The document type named by ``value``; an unknown name is invalid input."""
    try:
        return DocType(value)
    except ValueError:
        known = ", ".join(t.value for t in DocType)
        raise InvalidInput(
            f"unknown document type {str(value)[:40]!r}; types are {known}"
        ) from None


def _digits_date(text: str) -> date:
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidNumber("the birth date inside the number is not a real date") from None


def _citizen_shape(number: str, what: str, today: date) -> tuple[date, str]:
    if _RE_15.match(number):
        number = upgrade15(number)
    if not _RE_18.match(number):
        raise InvalidNumber(f"a {what} number has 18 characters: 17 digits and a digit or X")
    if ric_check_digit(number[:17]) != number[17]:
        raise InvalidNumber(f"the check character of this {what} number is wrong")
    born = _digits_date(number[6:14])
    if born > today or born.year < 1880:
        raise InvalidNumber("the birth date inside the number is impossible")
    return born, "1" if int(number[16]) % 2 else "2"


def _parse_resident(number: str, today: date) -> IdNumber:
    if _RE_15.match(number):
        number = upgrade15(number)
    if number[:6] in HMT_PREFIXES:
        raise InvalidNumber(
            "this number starts with 810000/820000/830000: it is a Hong Kong, Macao or Taiwan "
            "residence permit, not a resident ID card"
        )
    if number[:1] == "9" and len(number) == 18:
        raise InvalidNumber("a number starting with 9 is a foreign permanent resident card")
    born, gender = _citizen_shape(number, "resident ID", today)
    warnings: tuple[str, ...] = ()
    if not region_ever_valid(number[:6]):
        # A code of any year is fine: numbers keep the code of their first issue, and a
        # person born before a code existed gets it when the number is issued later.
        warnings = (f"地区代码 {number[:6]} 不在任何年份的 GB/T 2260 行政区划代码中，请核对证件",)
    return IdNumber(DocType.RESIDENT, number, born, gender, number[:6], warnings)


@functools.lru_cache(maxsize=8192)
def region_ever_valid(code: str) -> bool:
    """Whether ``code`` was a county-level code of GB/T 2260 in any year (1980 on).

    Source: python-stdnum's ``cn/loc`` table (every edition, with the years each code was
    in force). Cached per code: the table search is the slowest part of a parse. python-stdnum
    is imported here, not with the module: it imports ``pydoc`` (a command that parses no
    number, such as ``person search 张``, does not pay for it).
    """
    from stdnum import numdb

    try:
        results = numdb.get("cn/loc").info(code)
    except KeyError:  # pragma: no cover - stdnum raises KeyError on some partial codes
        return False
    return any("county" in props for _part, props in results)


def _parse_hmt(number: str, today: date) -> IdNumber:
    if not _RE_18.match(number) or number[:6] not in HMT_PREFIXES:
        raise InvalidNumber(
            "a Hong Kong/Macao/Taiwan residence permit number is 18 characters starting "
            "with 810000, 820000 or 830000"
        )
    born, gender = _citizen_shape(number, "residence permit", today)
    return IdNumber(DocType.HMT_PERMIT, number, born, gender, number[:6])


def _mrz_check(text: str) -> str:
    weights = (7, 3, 1)
    total = 0
    for i, ch in enumerate(text):
        value = int(ch) if ch.isdigit() else ord(ch) - 55
        total += value * weights[i % 3]
    return str(total % 10)


def _parse_foreign_2017(number: str, today: date) -> IdNumber:
    if not _RE_F2017.match(number):
        raise InvalidNumber("a 2017 foreign permanent resident number is 3 letters and 12 digits")
    yy, mm, dd = int(number[7:9]), int(number[9:11]), int(number[11:13])
    century = 1900 if 2000 + yy > today.year else 2000
    try:
        born = date(century + yy, mm, dd)
    except ValueError:
        raise InvalidNumber("the birth date inside the number is not a real date") from None
    if born > today:
        raise InvalidNumber("the birth date inside the number is impossible")
    warnings: tuple[str, ...] = ()
    # The 7-3-1 check digit comes from a single source (protocol doc §4.3): warn, do not refuse.
    if _mrz_check(number[:14]) != number[14]:
        warnings = ("校验位不符合 7-3-1 规则，请核对证件",)
    gender = "1" if int(number[13]) % 2 else "2"
    return IdNumber(DocType.FOREIGN_2017, number, born, gender, None, warnings)


def _parse_foreign_2023(number: str, today: date) -> IdNumber:
    if not _RE_F2023.match(number):
        raise InvalidNumber(
            "a 2023 foreign permanent resident number is 18 characters starting with 9"
        )
    born, gender = _citizen_shape(number, "foreign permanent resident", today)
    return IdNumber(DocType.FOREIGN_2023, number, born, gender, None)


def _parse_passport(number: str, today: date) -> IdNumber:
    if not _RE_PASSPORT.match(number):
        raise InvalidNumber("a passport number is 5 to 17 letters and digits")
    return IdNumber(DocType.PASSPORT, number)


def _parse_residence_permit(number: str, today: date) -> IdNumber:
    if not _RE_PERMIT.match(number):
        raise InvalidNumber("a residence permit number is 6 to 30 letters and digits")
    return IdNumber(DocType.RESIDENCE_PERMIT, number)


_PARSERS = {
    DocType.RESIDENT: _parse_resident,
    DocType.HMT_PERMIT: _parse_hmt,
    DocType.FOREIGN_2017: _parse_foreign_2017,
    DocType.FOREIGN_2023: _parse_foreign_2023,
    DocType.PASSPORT: _parse_passport,
    DocType.RESIDENCE_PERMIT: _parse_residence_permit,
}


def is_valid(raw: str, doc_type: DocType | str | None = None) -> bool:
    try:
        parse(raw, doc_type)
    except InvalidNumber:
        return False
    return True


def nationality(raw: str) -> str:
    """Validate an ISO 3166 alpha-3 nationality code."""
    code = compact(raw)
    if not _RE_ALPHA3.match(code):
        raise InvalidNumber("a nationality is a three-letter ISO 3166 code such as USA or PAK")
    return code


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def validate_uscc(raw: str) -> str:
    """Validate a unified social credit code (GB 32100-2015), letters in position 1 included.

    ``stdnum.cn.uscc`` requires the first 8 characters to be digits, which rejects codes of
    registration authorities such as ``Y`` (other) or ``N`` (agriculture).
    """
    from stdnum.cn import uscc  # imported on use: see region_ever_valid

    code = uscc.compact(raw or "")
    if len(code) != 18:
        raise InvalidNumber("a unified social credit code has 18 characters")
    if any(c not in _USCC_ALPHABET for c in code):
        raise InvalidNumber(
            "a unified social credit code uses digits and capital letters except I, O, Z, S, V"
        )
    if not code[2:8].isdigit():
        raise InvalidNumber("characters 3-8 of a credit code are the region code (6 digits)")
    if uscc.calc_check_digit(code[:17]) != code[17]:
        raise InvalidNumber("the check character of this credit code is wrong")
    return code
