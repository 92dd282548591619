"""The hostile-input corpus: malformed and malicious CSV files for ``laiqu import``.

Each case is (kind, file bytes, expected): ``"refused"`` means exit 1 with one ``错误：`` line
and nothing imported; ``"imported"`` means the input is odd but valid and is imported whole.
Built in code, not stored, because one case is a 10 MB cell. Synthetic numbers only.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from laiqu_helpers import number

GRID = "310104010101"  # of laiqu_helpers.build_city
X = number("510107", "19900101", 71)  # fresh numbers, not in the city
Y = number("510107", "19910202", 82)
FORMULAS = ("=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "＝1+1")
SQL = ("'; DROP TABLE persons;--", "%", "_", "\\", "张%_\\'\"")


def persons(*rows: str, header: str = "id_number,name") -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode("utf-8")


def refused() -> dict[str, tuple[str, bytes]]:
    """Files that must be refused as a whole."""
    big = "x" * 10_000_000
    cases: dict[str, tuple[str, bytes]] = {
        "empty": ("persons", b""),
        "header_only_wrong": ("persons", b"foo,bar\n1,2\n"),
        "binary": ("persons", bytes(range(256)) * 40),
        "utf8_broken_byte": ("persons", persons(f"{X},张三", f"{Y},李四")[:-4] + b"\xff\n"),
        "latin1_forced_wrong": ("persons", "id_number,name\n1,é\n".encode("utf-16-le")),
        "utf16_bad_number": ("persons", "id_number,name\n张三,x\n".encode("utf-16")),
        "nul_in_name": ("persons", persons(f"{X},张\x00三")),
        "nul_in_header": ("persons", b"id_number\x00,name\n" + X.encode() + b",zhang\n"),
        "control_chars": ("persons", persons(f"{X},张\x1b[31m三")),
        "huge_cell_10mb": ("persons", persons(f"{X},{big}")),
        "huge_cell_quoted": ("persons", persons(f'{X},"{big}')),
        "too_many_columns": ("persons", persons(f"{X},张三,extra,more")),
        "unbalanced_quote": ("persons", persons(f'"{X},张三', f"{Y},李四")),
        "missing_name_cell": ("persons", persons(f"{X}")),
        "blank_required": ("persons", persons(f"{X},  ")),
        "bad_number_sql": ("persons", persons("'; DROP TABLE persons;--,张三")),
        "bad_number_like": ("persons", persons("%,张三", "_,李四")),
        "date_zero": (
            "persons",
            persons(f"{X},张三,0000-00-00", header="id_number,name,birth_date"),
        ),
        "date_feb30": (
            "persons",
            persons(f"{X},张三,2026-02-30", header="id_number,name,birth_date"),
        ),
        "date_future_birth": (
            "persons",
            persons(f"{X},张三,9999-12-31", header="id_number,name,birth_date"),
        ),
        "date_words": ("persons", persons(f"{X},张三,yesterday", header="id_number,name,valid_to")),
        "date_huge": (
            "persons",
            persons(f"{X},张三,{'9' * 400}", header="id_number,name,valid_to"),
        ),
        "name_overlong": ("persons", persons(f"{X},{'张' * 101}")),
        "number_overlong": ("persons", persons(f"{'1' * 5000},张三")),
        "phone_overlong": (
            "persons",
            persons(f"{X},张三,{'1' * 40}", header="id_number,name,phone"),
        ),
        "nationality_overlong": (
            "persons",
            persons(
                f"E12345678,JOHN,passport,{'Z' * 50}", header="id_number,name,doc_type,nationality"
            ),
        ),
        "doc_type_unknown": (
            "persons",
            persons(f"{X},张三,bogus", header="id_number,name,doc_type"),
        ),
        "gender_sql": ("persons", persons(f"{X},张三,' OR 1=1 --", header="id_number,name,gender")),
        "one_bad_row_of_two": ("persons", persons(f"{X},张三", "123,李四")),
        "house_capacity_huge": (
            "houses",
            f"address,jurisdiction,capacity\n某路1号,{GRID},{'9' * 30}\n".encode(),
        ),
        "house_capacity_negative": (
            "houses",
            f"address,jurisdiction,capacity\n某路1号,{GRID},-5\n".encode(),
        ),
        "house_capacity_formula": (
            "houses",
            f"address,jurisdiction,capacity\n某路1号,{GRID},=1+1\n".encode(),
        ),
        "house_address_overlong": (
            "houses",
            f"address,jurisdiction\n{'路' * 301},{GRID}\n".encode(),
        ),
        "house_jurisdiction_sql": ("houses", "address,jurisdiction\n某路1号,' OR ''='\n".encode()),
        "house_jurisdiction_like": ("houses", "address,jurisdiction\n某路1号,%\n".encode()),
        "employer_uscc_sql": (
            "employers",
            f"name,uscc,jurisdiction\n某厂,'; DROP TABLE employers;--,{GRID}\n".encode(),
        ),
        "employer_name_overlong": (
            "employers",
            f"name,uscc,jurisdiction\n{'厂' * 201},X,{GRID}\n".encode(),
        ),
        "employer_headcount_text": (
            "employers",
            f"name,uscc,jurisdiction,headcount\n某厂,X,{GRID},很多\n".encode(),
        ),
    }
    return cases


def imported() -> dict[str, tuple[str, bytes, int]]:
    """Odd but valid files: (kind, bytes, rows imported)."""
    names = [*FORMULAS, *SQL]
    rows = [f"{number('510107', '19800101', 100 + i)},{_csv(n)}" for i, n in enumerate(names)]
    return {
        "formula_and_sql_names": ("persons", persons(*rows), len(rows)),
        "gbk": ("persons", f"证件号码,姓名\n{X},张三\n".encode("gb18030"), 1),
        "utf16_excel": ("persons", f"id_number,name\n{X},张三\n".encode("utf-16"), 1),
        "bom_crlf": ("persons", f"\ufeffid_number,name\r\n{X},张三\r\n".encode(), 1),
        "valid_to_9999": (
            "persons",
            persons(f"{X},张三,9999-12-31", header="id_number,name,valid_to"),
            1,
        ),
    }


def _csv(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


