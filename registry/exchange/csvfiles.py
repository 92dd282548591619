"""CSV in and out: decode (UTF-8 with or without BOM, or GB18030, weighing both readings),
map the columns of a row onto the core's use cases, and write rows back out masked and safe
for spreadsheets.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from sqlalchemy import String

from registry.db.models import Employer, House, Jurisdiction, Person
from registry.identity import dates, text

KINDS = ("persons", "houses", "employers")
ENCODINGS = ("utf-8-sig", "gb18030")
# What a spreadsheet may run as a formula (OWASP CSV injection), full-width forms included
# (an IME turns = into ＝ and some spreadsheets still evaluate it).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
QUOTE = "'"

# Encodings an export may be written in (``codecs.lookup(name).name``): text encodings a
# spreadsheet opens, never a codec such as rot13 or idna.
EXPORT_ENCODINGS = frozenset(
    ["utf-8", "utf-8-sig", "gbk", "gb18030", "gb2312", "big5", "big5hkscs"]
)

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
    """The text of a CSV file and the encoding that read it (forced, else detected).

    A UTF-16 file (Excel's "Unicode text") and a UTF-8 file with a BOM are read by their
    byte-order mark. Otherwise both readings are weighed (``guess``): a GBK file whose bytes
    happen to be valid UTF-8 (``郑伟`` is D6A3 CEB0, Hebrew and Greek in UTF-8) is read as
    GB18030, and a file both readings fit is refused with advice to pass ``--encoding``. A
    file that is UTF-8 up to a broken byte is refused rather than read as GB18030, which
    would turn every Chinese character into mojibake without an error.
    """
    if not encoding and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    if not encoding and data[:3] == b"\xef\xbb\xbf":
        encoding = "utf-8-sig"
    if encoding:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise CsvError(
                f"文件不是 {encoding} 编码的文本（第 {line} 行有无效的字节）：请另存为 UTF-8 CSV，"
                "或用 --encoding 指定正确的编码"
            ) from None
        except LookupError:
            raise CsvError(f"不认识的编码 {encoding}") from None
    return guess(data)


def guess(data: bytes) -> tuple[str, str]:
    """The text and encoding of a file without a BOM: UTF-8 or GB18030, by both readings.

    Each reading is counted: *common* ideographs (in GB 2312, the 6,763 characters most names
    use), *rare* ideographs (any other CJK block) and *odd* characters (neither ASCII, an
    ideograph nor what a registry file holds besides: CJK punctuation, full-width forms,
    middle dots, dashes, quotes, Latin letters). Bytes that are valid UTF-8 are read as UTF-8
    unless the GB18030 reading is the more plausible one:

    1. a UTF-8 reading that is mostly common Chinese (common ideographs at least as many as
       its rare and odd characters together: names with one ``°``, ``×`` or emoji) is UTF-8;
    2. a GB18030 reading is *convincing* only when it holds no odd character and more common
       than rare ideographs; if it is not, UTF-8 (``Ali\u202eBaba`` reads ``Ali鈥瓸aba``: two
       rare ideographs — the text is UTF-8, and the control check refuses its row);
    3. a convincing GB18030 reading against a UTF-8 one without ideographs or odd characters
       (``José`` is ``Jos茅`` in GBK) is ambiguous: both readings are text;
    4. otherwise GB18030 (the issue-18 case: ``郑伟`` in GBK is valid UTF-8 reading Hebrew and
       Greek marks, no CJK, where the GB18030 reading is all GB 2312).

    Raises ``CsvError`` for an ambiguous or undecodable file.
    """
    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _utf8_before(data, exc.start):
            line = data.count(b"\n", 0, exc.start) + 1
            raise CsvError(
                f"文件按 UTF-8 编码，但第 {line} 行有无效的字节（文件可能已损坏）："
                "请检查该行，或用 --encoding 指定编码"
            ) from None
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise CsvError(
                "文件不是 UTF-8 和 GB18030 编码的文本：请另存为 UTF-8 CSV，或用 --encoding 指定编码"
            ) from None
    if utf8.isascii():
        return utf8, "utf-8"
    u_common, u_rare, u_odd = _counts(utf8)
    if u_common and u_common >= u_rare + u_odd:
        return utf8, "utf-8"
    try:
        gbk = data.decode("gb18030")
    except UnicodeDecodeError:
        return utf8, "utf-8"
    g_common, g_rare, g_odd = _counts(gbk)
    if g_odd or g_common <= g_rare:
        return utf8, "utf-8"
    if not (u_common or u_rare or u_odd):
        raise CsvError(
            "无法确定文件编码（按 UTF-8 和按 GB18030 读都说得通）：请用 --encoding utf-8 或 "
            "--encoding gb18030 指明文件的编码"
        )
    return gbk, "gb18030"


def _counts(text: str) -> tuple[int, int, int]:
    """Common (GB 2312) ideographs, other ideographs and odd characters of ``text``: see
    ``guess``."""
    common = rare = odd = 0
    for char in text:
        if char.isascii():
            continue
        if _ideograph(char):
            if _in_gb2312(char):
                common += 1
            else:
                rare += 1
        elif not _expected(char):
            odd += 1
    return common, rare, odd


def _ideograph(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH"))


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


_DOTS = frozenset("\u00b7\u2022\u2027\u30fb\uff65")


def _expected(char: str) -> bool:
    """A non-ASCII character a registry file may hold besides ideographs."""
    code = ord(char)
    if char in _DOTS or 0x3000 <= code <= 0x303F or 0xFF01 <= code <= 0xFF5E:
        return True
    if 0x2010 <= code <= 0x201F or char in "…—、":  # dashes and quotes
        return True
    return 0xC0 <= code <= 0x24F and unicodedata.category(char).startswith("L")


def _utf8_before(data: bytes, end: int) -> bool:
    """Whether the valid UTF-8 before a decoding error holds Chinese characters: then the
    file is UTF-8 with a broken byte (GBK text rarely reads as UTF-8 ideographs)."""
    head = data[:end].decode("utf-8-sig", errors="ignore")
    return sum(_ideograph(c) for c in head) >= 2


@dataclass
class Row:
    line: int  # physical line where the row starts (header is line 1)
    values: dict[str, str]  # canonical column → cell text
    raw: list[str]
    extra: int = 0  # cells beyond the header


def lines_of(text: str) -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV text with the line each is on (the header is line 1).

    Every record must be one line of the file: no cell of a registry file holds a line break
    (names, addresses, numbers), so a record read over several lines is an unclosed quote,
    which would swallow the rows after it (issue 18). Lines end at LF (CRLF included); a lone
    CR inside a cell is that cell's problem (``check_row``). Raises ``CsvError`` naming the
    line where the bad record starts (never its text: it may hold an ID number).
    """
    if "\r" in text and "\n" not in text:  # old Mac line ends: CR alone ends every line
        text = text.replace("\r", "\n")
    reader = csv.reader(io.StringIO(text, newline="\n"))
    start = 1
    try:
        for cells in reader:
            if reader.line_num != start:
                raise CsvError(
                    f"第 {start} 行的引号没有闭合（该行一直读到了第 {reader.line_num} 行）："
                    "姓名、地址等都不会含换行，请补上引号或删掉多余的引号后重新导入"
                )
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        detail = str(exc)
        if "field larger than field limit" in detail:
            detail = f"单元格超过 {csv.field_size_limit()} 个字符"
        elif "unexpected end of data" in detail:
            detail = "引号没有闭合"
        elif "new-line character" in detail:
            detail = "单元格中有单独的回车符（CR）：请把文件另存为通常换行的 CSV"
        else:
            detail = "不是有效的 CSV 格式：请检查引号和分隔符"
        raise CsvError(f"第 {start} 行无法解析（{detail}）") from None


def mapped_rows(
    records: Iterator[tuple[int, list[str]]], header: list[str], mapped: list[str | None]
) -> list[Row]:
    """The non-blank records after the header as ``Row``s, cells under canonical names."""
    rows: list[Row] = []
    for line, cells in records:
        if any(c.strip() for c in cells):
            values = {
                canon: unquote(cells[i]).strip()
                for i, canon in enumerate(mapped)
                if canon and i < len(cells)
            }
            rows.append(Row(line, values, cells, len(cells) - len(header)))
    return rows


def read_rows(text: str, kind: str) -> tuple[list[str], list[Row]]:
    """Header and rows of a CSV text, columns mapped to canonical names.

    A file that the csv module cannot parse (a cell over its field limit) or whose records
    do not match its lines (``lines_of``) is refused as a whole, naming the line; a row with
    more cells than the header is kept and refused when imported.
    """
    records = lines_of(text)
    try:
        _, header = next(records)
    except StopIteration:
        raise CsvError("文件是空的") from None
    aliases = {a.lower(): canon for canon, names in COLUMNS[kind].items() for a in names}
    mapped = [aliases.get(h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED[kind] if c not in mapped]
    if missing:
        wanted = "、".join(f"{c}（{COLUMNS[kind][c][1]}）" for c in missing)
        raise CsvError(f"缺少必需的列：{wanted}")
    return header, mapped_rows(records, header, mapped)


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


def label(key: str) -> str:
    """The Chinese column name of a canonical column (``birth_date`` → ``出生日期``), as
    row errors name it whatever language the file's header is in."""
    return next((columns[key][1] for columns in COLUMNS.values() if key in columns), key)


def check_row(kind: str, row: Row) -> None:
    """Refuse a row the use cases should never see: extra cells, blanks, controls, overlong."""
    if row.extra > 0:
        raise CsvError(f"本行有 {row.extra} 个多余的单元格（比列名多）：请检查分隔符和引号")
    blank = [c for c in REQUIRED[kind] if not row.values.get(c)]
    if blank:
        raise CsvError("缺少必填项：" + "、".join(f"{c}（{COLUMNS[kind][c][1]}）" for c in blank))
    for key, value in row.values.items():
        name = COLUMNS[kind].get(key, (key, label(key)))[1]  # the Chinese column name
        if (bad := text.problem(value)) is not None:
            raise CsvError(f"{name}含有控制字符、换行或文字方向控制符（{bad}）：请删除后重试")
        width = WIDTHS[kind].get(key)
        if width and len(value) > width:
            raise CsvError(f"{name}超过 {width} 个字符（{len(value)} 个）")


# --- rows into use cases ------------------------------------------------------------------


def parse_int(values: dict[str, str], key: str) -> int | None:
    text = values.get(key, "")
    if not text:
        return None
    if len(text) > 12 or not text.isascii() or not text.isdigit():
        raise CsvError(f"{label(key)}应为不小于 0 的整数，不是 {text[:40]!r}")
    value = int(text)
    if value > MAX_INT:
        raise CsvError(f"{label(key)}太大：{text}")
    return value


def parse_day(values: dict[str, str], key: str) -> date | None:
    """The day in column ``key`` (``registry.identity.dates.read_day`` forms), None if blank.

    The error quotes the cell as it is in the file.
    """
    cell = values.get(key, "")
    if not cell:
        return None
    try:
        return dates.read_day(cell)
    except dates.BadDay as exc:
        raise CsvError(_bad_day(key, cell, exc.reason)) from None


def parse_valid_to(values: dict[str, str], key: str) -> date | str | None:
    """The valid-to column: a day, ``dates.LONG_TERM`` for 长期 or 9999-12-31, None if blank."""
    cell = values.get(key, "")
    if not cell:
        return None
    try:
        return dates.read_valid_to(cell)
    except dates.BadDay as exc:
        raise CsvError(_bad_day(key, cell, exc.reason, long_term=True)) from None


def _bad_day(key: str, cell: str, reason: str, *, long_term: bool = False) -> str:
    shown = text.shown(cell[:40])
    if reason == "no such day":
        return f"{label(key)}的“{shown}”不是存在的日期"
    if reason == "too early":
        return f"{label(key)}的“{shown}”早于 {dates.EARLIEST_YEAR} 年"
    forms = "YYYY-MM-DD、YYYY/M/D、YYYY.M.D 或 YYYYMMDD" + ("，或“长期”" if long_term else "")
    return f"{label(key)}应为日期（{forms}），不是“{shown}”"


def parse_flag(values: dict[str, str], key: str) -> bool:
    return values.get(key, "").strip().lower() in ("1", "true", "yes", "y", "是", "已签")


@contextmanager
def written_whole(path: Path, encoding: str = "utf-8-sig") -> Iterator[TextIO]:
    """A text handle on a temporary file beside ``path``, renamed onto it when the block ends
    without an error and removed otherwise: ``path`` holds the old file or the whole new one,
    never a part (POSIX rename is atomic within a directory). The file is readable by its
    owner only (mode 0600, as ``mkstemp`` creates it): it holds personal data.

    Raises ``LookupError`` for an unknown encoding (before anything is created) and
    ``OSError`` when the directory cannot be written.
    """
    codecs.lookup(encoding)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    temporary = Path(name)
    try:
        with open(fd, "w", encoding=encoding, newline="", errors="strict") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def write_rejects(path: Path, header: list[str], rejected: list[tuple[Row, str]]) -> None:
    """The rejected rows as they came, plus their line number and the reason (UTF-8 BOM)."""
    with written_whole(path) as handle:
        writer = csv.writer(handle)
        writer.writerow([*(neutralise(h) for h in header), "行号", "原因"])
        for row, reason in rejected:
            writer.writerow([*(neutralise(c) for c in row.raw), row.line, neutralise(reason)])


# --- export --------------------------------------------------------------------------------
