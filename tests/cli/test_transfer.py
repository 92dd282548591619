"""import/export CSV: encodings, line numbers, all-or-nothing, --skip-bad, masking, formulas."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from laiqu_helpers import A, B, C, Laiqu, number

from registry.exchange import csvfiles

PERSONS = f"证件号码,姓名,性别,民族,电话\n{A},张三,男,汉,13812345678\n{B},李四,女,01,\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_import_persons_in_any_common_encoding(laiqu: Laiqu, tmp_path: Path, encoding) -> None:
    path = tmp_path / "persons.csv"
    path.write_bytes(PERSONS.encode(encoding))
    data = laiqu.json("import", "persons", str(path))
    assert data["imported"] == 2 and data["rejected"] == 0
    names = [p["name"] for p in laiqu.json("person", "search", "110105")["persons"]]
    assert names == ["张三"]
    assert laiqu.json("person", "show", A)["ethnicity"] == "01"


def test_forced_encoding_and_undecodable(laiqu: Laiqu, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(PERSONS.encode("gbk"))
    wrong = laiqu("import", "persons", str(path), "--encoding", "utf-8", ok=False)
    assert wrong.exit_code == 1 and "--encoding" in wrong.stderr
    assert laiqu.json("import", "persons", str(path), "--encoding", "gbk")["imported"] == 2


def test_bad_rows_are_reported_and_nothing_is_imported(laiqu: Laiqu, tmp_path, counts) -> None:
    bad = A[:-1] + ("0" if A[-1] != "0" else "1")
    path = tmp_path / "p.csv"
    path.write_text(
        f'id_number,name,birth_date\n{C},王五,\n{bad},坏号,\n"{B}",李四,1990-13-01\n',
        encoding="utf-8",
    )
    before = counts()
    result = laiqu("import", "persons", str(path), ok=False)
    assert result.exit_code == 1
    assert "第 3 行：证件号码的校验位不对" in result.stderr
    assert "第 4 行：出生日期的“1990-13-01”不是存在的日期" in result.stderr  # issue 18
    assert "2 行有误（第一处在第 3 行），未导入任何记录" in result.stderr
    assert counts() == before


def test_skip_bad_writes_the_rejects(laiqu: Laiqu, city, tmp_path: Path) -> None:
    path = tmp_path / "houses.csv"
    path.write_text(
        "address,jurisdiction,capacity,filing_number,pledge_signed\n"
        "湖南路 1 号,310104010101,2,沪租 1,是\n"
        "湖南路 2 号,404,2,,\n"
        "湖南路 3 号,310104010101,很多,,\n",
        encoding="utf-8",
    )
    data = laiqu.json("import", "houses", str(path), "--skip-bad")
    assert (data["imported"], data["rejected"]) == (1, 2)
    rejects = Path(data["rejects_file"])
    assert rejects == tmp_path / "houses.rejects.csv"
    rows = list(csv.reader(rejects.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][-2:] == ["行号", "原因"]
    assert [r[-2] for r in rows[1:]] == ["3", "4"]
    assert "辖区 404 尚未登记" in rows[1][-1]


def test_missing_column_is_refused(laiqu: Laiqu, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("name,jurisdiction\n迅达,310104\n", encoding="utf-8")
    result = laiqu("import", "employers", str(path), ok=False)
    assert result.exit_code == 1 and "缺少必需的列：uscc" in result.stderr


def test_import_employers(laiqu: Laiqu, city, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "单位名称,统一社会信用代码,辖区代码,申报人数\n华阳餐饮,91310105MA1GB00027,310104010101,3\n",
        encoding="gb18030",
    )
    assert laiqu.json("import", "employers", str(path))["imported"] == 1


def test_export_masks_and_neutralises(laiqu: Laiqu, city, tmp_path: Path) -> None:
    laiqu("person", "add", "--id", A, "--name", "=HYPERLINK(1)", "--phone", "+8613812345678")
    out = tmp_path / "out.csv"
    data = laiqu.json("export", "persons", "--out", str(out))
    assert data["rows"] == 1 and data["masked"] is True
    text = out.read_text(encoding="utf-8-sig")
    assert A not in text and "110105********0111" in text
    row = next(csv.DictReader(text.splitlines()))
    assert row["name"] == "'=HYPERLINK(1)"
    assert row["phone"].startswith("'+") or "*" in row["phone"]
    full = tmp_path / "full.csv"
    laiqu("export", "persons", "--out", str(full), "--full-ids")
    assert A in full.read_text(encoding="utf-8-sig")


def test_round_trip_with_full_ids(laiqu: Laiqu, city, tmp_path: Path, sqlite_template) -> None:
    laiqu("person", "add", "--id", A, "--name", "张三", "--phone", "13812345678")
    laiqu("person", "add", "--id", number("510107", "19901231", 45), "--name", "-减号")
    out = tmp_path / "persons.csv"
    laiqu("export", "persons", "--out", str(out), "--full-ids", "--encoding", "gb18030")
    fresh = tmp_path / "fresh.sqlite"
    fresh.write_bytes(Path(sqlite_template).read_bytes())
    other = Laiqu(f"sqlite:///{fresh}")
    assert other.json("import", "persons", str(out))["imported"] == 2
    assert [p["name"] for p in other.json("person", "search", "510107")["persons"]] == ["-减号"]
    houses = tmp_path / "houses.csv"
    laiqu("export", "houses", "--out", str(houses), "--jurisdiction", "310104")
    assert "天平路 88 弄" in houses.read_text(encoding="utf-8-sig")


def test_neutralise_and_unquote() -> None:
    for text in ("=1+1", "+86", "-2", "@SUM(A1)"):
        assert csvfiles.unquote(csvfiles.neutralise(text)) == text
    assert csvfiles.neutralise("张三") == "张三" and csvfiles.neutralise(None) == ""
