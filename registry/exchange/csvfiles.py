"""CSV in and out: decode (UTF-8 with or without BOM, else GB18030), map the columns of a row
onto the core's use cases, and write rows back out masked and safe for spreadsheets.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import String

from registry.db.models import Employer, House, Jurisdiction, Person

KINDS = ("persons", "houses", "employers")
ENCODINGS = ("utf-8-sig", "gb18030")
# What a spreadsheet may run as a formula (OWASP CSV injection), full-width forms included
# (an IME turns = into ＝ and some spreadsheets still evaluate it).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
QUOTE = "'"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0/C1 controls but tab, LF, CR

# Canonical column → accepted header spellings (English as exported, and Chinese).
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "persons": {
        "id_number": ("id_number", "证件号码", "身份证号", "公民身份号码"),
        "name": ("name", "姓名"),
        "doc_type": ("doc_type", "证件类型"),
        "gender": ("gender", "性别"),
        "birth_date": ("birth_date", "出生日期"),
        "ethnicity": ("ethnicity", "民族"),
        "nationality": ("nationality", "国籍"),
        "english_name": ("english_name", "英文姓名"),
        "phone": ("phone", "电话", "联系电话"),
        "hukou_address": ("hukou_address", "户籍地址"),
        "valid_to": ("valid_to", "有效期至"),
    },
    "houses": {
        "address": ("address", "地址"),
        "jurisdiction": ("jurisdiction", "辖区", "辖区代码"),
        "landlord": ("landlord", "房东证件号码"),
        "capacity": ("capacity", "核定人数"),
        "filing_number": ("filing_number", "备案号"),
        "pledge_signed": ("pledge_signed", "保证书"),
        "use": ("use", "用途"),
        "rooms": ("rooms", "房间数"),
        "door_plate": ("door_plate", "门牌编码"),
    },
    "employers": {
        "name": ("name", "单位名称", "名称"),
        "uscc": ("uscc", "统一社会信用代码"),
        "jurisdiction": ("jurisdiction", "辖区", "辖区代码"),
        "headcount": ("headcount", "申报人数", "从业人数"),
        "industry": ("industry", "行业"),
        "address": ("address", "地址"),
    },
}
REQUIRED = {
    "persons": ("id_number", "name"),
    "houses": ("address", "jurisdiction"),
    "employers": ("name", "uscc", "jurisdiction"),
}


class CsvError(ValueError):
    """A file or a row that cannot be read; the message is already for the user."""


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV file and the encoding that read it (forced, else UTF-8, else GBK).

    A UTF-16 file (Excel's "Unicode text") is read by its byte-order mark. A file that is
    UTF-8 up to a broken byte is refused rather than read as GB18030, which would turn every
    Chinese character into mojibake without an error.
    """
    if not encoding and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    for candidate in (encoding,) if encoding else ENCODINGS:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError as exc:
            if not encoding and candidate == "utf-8-sig" and _utf8_before(data, exc.start):
                line = data.count(b"\n", 0, exc.start) + 1
                raise CsvError(
                    f"文件按 UTF-8 编码，但第 {line} 行有无效的字节（文件可能已损坏）："
                    "请检查该行，或用 --encoding 指定编码"
                ) from None
            continue
        except LookupError:
            raise CsvError(f"不认识的编码 {candidate}") from None
        return text, candidate
    tried = encoding or "UTF-8 和 GB18030"
    raise CsvError(f"文件不是 {tried} 编码的文本：请另存为 UTF-8 CSV，或用 --encoding 指定编码")


def _utf8_before(data: bytes, end: int) -> bool:
    """Whether the valid UTF-8 before a decoding error holds Chinese characters: then the
    file is UTF-8 with a broken byte (GBK text rarely reads as UTF-8 ideographs)."""
    head = data[:end].decode("utf-8-sig", errors="ignore")
    return sum("\u4e00" <= c <= "\u9fff" for c in head) >= 2


@dataclass
class Row:
    line: int  # physical line where the row starts (header is line 1)
    values: dict[str, str]  # canonical column → cell text
    raw: list[str]
    extra: int = 0  # cells beyond the header


def read_rows(text: str, kind: str) -> tuple[list[str], list[Row]]:
    """Header and rows of a CSV text, columns mapped to canonical names.

    A file that the csv module cannot parse (a cell over its field limit) is refused as a
    whole; a row with more cells than the header is kept and refused when imported.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise CsvError("文件是空的") from None
        aliases = {a.lower(): canon for canon, names in COLUMNS[kind].items() for a in names}
        mapped = [aliases.get(h.strip().lower()) for h in header]
        missing = [c for c in REQUIRED[kind] if c not in mapped]
        if missing:
            wanted = "、".join(f"{c}（{COLUMNS[kind][c][1]}）" for c in missing)
            raise CsvError(f"缺少必需的列：{wanted}")
        rows: list[Row] = []
        start = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                values = {
                    canon: unquote(cells[i]).strip()
                    for i, canon in enumerate(mapped)
                    if canon and i < len(cells)
                }
                rows.append(Row(start, values, cells, len(cells) - len(header)))
            start = reader.line_num + 1
    except csv.Error as exc:
        detail = str(exc)
        if "field larger than field limit" in detail:
            detail = f"单元格超过 {csv.field_size_limit()} 个字符"
        raise CsvError(f"第 {reader.line_num} 行无法解析（{detail}）") from None
    return header, rows


def unquote(text: str) -> str:
    """Undo ``neutralise``: the quote it put before a formula start or a quote."""
    if text[:1] == QUOTE and text[1:2] and text[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return text[1:]
    return text


def neutralise(value: object) -> str:
    """A cell a spreadsheet will not run as a formula; ``unquote`` gives the value back.

    A value that starts with a quote gets one more, so the round trip is exact.
    """
    text = "" if value is None else str(value)
    return QUOTE + text if text.startswith((*FORMULA_STARTS, QUOTE)) else text


# Longest text of each CSV column: the width of the column it is stored in.
_STORED = {
    "persons": {
        "id_number": Person.number,
        "name": Person.name,
        "doc_type": Person.doc_type,
        "nationality": Person.nationality,
        "english_name": Person.english_name,
        "phone": Person.phone,
        "hukou_address": Person.hukou_address,
    },
    "houses": {
        "address": House.address,
        "jurisdiction": Jurisdiction.code,
        "landlord": Person.number,
        "filing_number": House.filing_number,
        "use": House.use,
        "door_plate": House.door_plate,
    },
    "employers": {
        "name": Employer.name,
        "uscc": Employer.uscc,
        "jurisdiction": Jurisdiction.code,
        "industry": Employer.industry,
        "address": Employer.address,
    },
}
WIDTHS = {
    kind: {
        key: column.type.length
        for key, column in columns.items()
        if isinstance(column.type, String) and column.type.length
    }
    for kind, columns in _STORED.items()
}
MAX_INT = 2**31 - 1


def check_row(kind: str, row: Row) -> None:
    """Refuse a row the use cases should never see: extra cells, blanks, controls, overlong."""
    if row.extra > 0:
        raise CsvError(f"本行有 {row.extra} 个多余的单元格（比列名多）：请检查分隔符和引号")
    blank = [c for c in REQUIRED[kind] if not row.values.get(c)]
    if blank:
        raise CsvError("缺少必填项：" + "、".join(f"{c}（{COLUMNS[kind][c][1]}）" for c in blank))
    for key, text in row.values.items():
        if CONTROL.search(text):
            raise CsvError(f"{key} 含有控制字符（如 NUL）：请删除后重试")
        width = WIDTHS[kind].get(key)
        if width and len(text) > width:
            raise CsvError(f"{key} 超过 {width} 个字符（{len(text)} 个）")


# --- rows into use cases ------------------------------------------------------------------


def parse_int(values: dict[str, str], key: str) -> int | None:
    text = values.get(key, "")
    if not text:
        return None
    if len(text) > 12 or not text.isascii() or not text.isdigit():
        raise CsvError(f"{key} 应为不小于 0 的整数，不是 {text[:40]!r}")
    value = int(text)
    if value > MAX_INT:
        raise CsvError(f"{key} 太大：{text}")
    return value


def parse_day(values: dict[str, str], key: str) -> date | None:
    text = values.get(key, "").replace("/", "-")
    if not text:
        return None
    if not _DATE.fullmatch(text):
        raise CsvError(f"{key} 应为 YYYY-MM-DD 日期，不是 {text[:40]!r}")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CsvError(f"{key} 应为 YYYY-MM-DD 日期，不是 {text!r}（没有这一天）") from None
    if day.year < 1880:
        raise CsvError(f"{key} 早于 1880 年：{text}")
    return day


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_flag(values: dict[str, str], key: str) -> bool:
    return values.get(key, "").strip().lower() in ("1", "true", "yes", "y", "是", "已签")
















def write_rejects(path: Path, header: list[str], rejected: list[tuple[Row, str]]) -> None:
    """The rejected rows as they came, plus their line number and the reason (UTF-8 BOM)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*(neutralise(h) for h in header), "行号", "原因"])
        for row, reason in rejected:
            writer.writerow([*(neutralise(c) for c in row.raw), row.line, neutralise(reason)])


# --- export --------------------------------------------------------------------------------






