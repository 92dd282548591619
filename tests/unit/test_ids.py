"""ID numbers: the layered validation of domain-rules.md A5."""

from datetime import date

import pytest

from registry.errors import InvalidNumber
from registry.identity.ids import (
    DocType,
    detect,
    mask,
    parse,
    ric_check_digit,
    upgrade15,
    validate_uscc,
)


def rid(first17: str) -> str:
    return first17 + ric_check_digit(first17)


def test_resident_number_normalised_with_gender_and_birth():
    idn = parse(" 11010519491231002x ")
    assert idn.doc_type is DocType.RESIDENT
    assert idn.number == "11010519491231002X"
    assert idn.birth_date == date(1949, 12, 31)
    assert idn.gender == "2"  # 17th digit 2 is even
    assert idn.key == "resident:11010519491231002X"
    assert idn.warnings == ()


def test_known_check_digits():
    assert ric_check_digit("11010519491231002") == "X"
    assert ric_check_digit("44052418800101001") == "4"
    assert ric_check_digit("81000019940823002") == "1"


def test_wrong_check_digit_refused():
    with pytest.raises(InvalidNumber, match="check character"):
        parse("110105194912310021")


def test_impossible_birth_date_refused():
    with pytest.raises(InvalidNumber, match="birth date"):
        parse(rid("11010519490231002"))  # 31 February


def test_future_birth_date_refused():
    with pytest.raises(InvalidNumber, match="impossible"):
        parse(rid("11010521000101002"))


def test_unknown_region_code_is_a_warning_not_a_refusal():
    idn = parse(rid("11990019800101001"))
    assert idn.warnings and "地区代码 119900" in idn.warnings[0]  # issue 18: Chinese


def test_retired_region_code_accepted():
    # 412723 was retired; numbers issued under it stay valid (stdnum issue #442).
    assert parse(rid("41272319800101001")).doc_type is DocType.RESIDENT


def test_fifteen_digit_number_upgraded():
    assert upgrade15("110105491231002") == "11010519491231002X"
    assert parse("110105491231002").number == "11010519491231002X"


def test_hmt_permit_numbers_by_type():
    for prefix in ("810000", "820000", "830000"):
        number = rid(prefix + "19940823002")
        assert detect(number) is DocType.HMT_PERMIT
        assert parse(number).doc_type is DocType.HMT_PERMIT
    with pytest.raises(InvalidNumber, match="Hong Kong"):
        parse(rid("81000019940823002"), DocType.RESIDENT)


def test_foreign_permanent_resident_numbers():
    assert parse("931586198001010028").doc_type is DocType.FOREIGN_2023
    assert parse("931586198001010028").birth_date == date(1980, 1, 1)
    with pytest.raises(InvalidNumber):
        parse("931586198001010027")
    old = parse("USA110080010113")
    assert old.doc_type is DocType.FOREIGN_2017
    assert old.birth_date == date(1980, 1, 1)
    with pytest.raises(InvalidNumber, match="3 letters"):
        parse("US1110080010113", DocType.FOREIGN_2017)


def test_passport_needs_its_type():
    with pytest.raises(InvalidNumber, match="document type"):
        parse("E12345678")
    assert parse("e12345678", "passport").number == "E12345678"


def test_uscc_accepts_letter_in_first_position():
    assert validate_uscc("91110000600037341L") == "91110000600037341L"
    from stdnum.cn import uscc

    body = "Y1110000600037341"
    code = body + uscc.calc_check_digit(body)
    assert not uscc.is_valid(code)  # stdnum is too strict here
    assert validate_uscc(code) == code
    with pytest.raises(InvalidNumber, match="check character"):
        validate_uscc("91110000600037341M")
    with pytest.raises(InvalidNumber, match="except I, O"):
        validate_uscc("9111000060003734IL")


def test_mask_keeps_region_and_last_four():
    assert mask("11010519491231002X") == "110105********002X"
    assert mask("E12345678") == "*****5678"
    assert mask(None) == ""
