"""The PDFs' font chain (issue 18, item 3), checked with poppler on real PDFs.

- a community named ``𠮷祥社区`` (U+20BB7, CJK Extension B) prints whole when a system font
  with Extension B is installed (Debian ``fonts-hanazono``, installed by ``.ci/run``);
- every font is embedded, ``STSong-Light`` never appears;
- a fresh machine (no system font: ``LAIQU_FONT_DIRS`` pointed at an empty directory) still
  writes readable, embedded Chinese with the shipped subset (``laiqu demo`` on such a machine:
  ``tests/cli/test_subprocess.py``);
- a character no font has is drawn as the mark and warned about, naming it and its place.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from report_town import C1, CITY, build
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from cli.report import report as report_group
from registry.context import Context
from registry.db.engine import make_engine, session_factory
from registry.db.models import Jurisdiction
from reports import fonts
from reports.content import build_monthly
from reports.figures import MonthlyReport
from reports.fonts.chain import font_chain, reset
from reports.pdf import render

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")

ROOT = Path(__file__).resolve().parents[2]
JI = "\U00020bb7"  # 𠮷, CJK Extension B
COMMUNITY = f"{JI}祥社区"
# Characters of the newest CJK blocks (Extension H, I; Unicode 15–15.1), which no Debian font
# of the chain covers yet; the test takes the first one no font has.
NEWEST = ("\U00031350", "\U0002ebf0", "\U000323af")


@pytest.fixture(autouse=True)
def fresh_chain(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees the environment it sets: the chain is rebuilt from it."""
    monkeypatch.delenv(fonts.ENV_FONT, raising=False)
    monkeypatch.delenv(fonts.ENV_DIRS, raising=False)
    reset()
    yield
    reset()


def _town(sqlite_template: Path, tmp_path: Path, community: str) -> sessionmaker[Session]:
    """The report town (``report_town``) with its community 百花社区 named ``community``."""
    from dbtools import NOW

    path = tmp_path / "town.sqlite"
    shutil.copy(sqlite_template, path)
    sf = session_factory(make_engine(f"sqlite:///{path}"))
    build(sf, Context(actor="tester", now_fixed=NOW))
    with sf.begin() as s:
        s.execute(update(Jurisdiction).where(Jurisdiction.code == C1).values(name=community))
    return sf


def _report(sf: sessionmaker[Session], code: str) -> MonthlyReport:
    from dbtools import NOW

    with sf() as s:
        return build_monthly(s, code, "2026-05", ctx=Context(actor="tester", now_fixed=NOW))


def _text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _fonts(path: Path) -> list[str]:
    return subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]


def _uncovered() -> str:
    chain = font_chain()
    for char in NEWEST:
        if chain.font_for(char) is None:
            return char
    pytest.skip("every candidate character has a font on this machine")


def _assert_embedded(path: Path) -> list[str]:
    listing = _fonts(path)
    assert listing, "no fonts in the PDF"
    for line in listing:
        assert " yes yes " in line, f"font not embedded: {line}"
        assert "STSong" not in line
    return listing


def test_extension_b_prints_whole_in_the_monthly_report(
    sqlite_template: Path, tmp_path: Path
) -> None:
    found = font_chain().font_for(JI)
    if found is None:
        pytest.skip("no font with CJK Extension B installed (.ci/run installs fonts-hanazono)")
    sf = _town(sqlite_template, tmp_path, COMMUNITY)
    for code in (CITY, C1):  # a row of the units table; the title, subtitle and header
        out = tmp_path / f"{code}.pdf"
        assert render(_report(sf, code), out) == ()
        text = _text(out)
        assert COMMUNITY in text, text
        assert fonts.MARK not in text
        listing = _assert_embedded(out)
        assert any("HanaMin" in line or "ZenHei" in line for line in listing), listing
    assert f"{COMMUNITY}流动人口居住登记月报" in "".join(_text(out).split())


def test_fresh_machine_uses_the_shipped_font(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    monkeypatch.setenv(fonts.ENV_DIRS, str(empty))
    chain = font_chain()
    assert [f.source for f in chain.loaded] == [f"{fonts.SHIPPED}#0"]
    sf = _town(sqlite_template, tmp_path, "百花社区")
    out = tmp_path / "fresh.pdf"
    assert render(_report(sf, CITY), out) == ()
    listing = _assert_embedded(out)
    assert all("WenQuanYiMicroHeiGB2312Subset" in line for line in listing), listing
    flat = "".join(_text(out).split())
    for words in ("深圳市流动人口居住登记月报", "百花社区", "园岭派出所", "二、各单位情况"):
        assert words in flat, words
    # Extension B is beyond the shipped subset: without a system font, the mark and a warning.
    second = tmp_path / "b"
    second.mkdir()
    sf2 = _town(sqlite_template, second, COMMUNITY)
    warned = render(_report(sf2, CITY), tmp_path / "b.pdf")
    assert warned and all("U+20BB7" in line for line in warned), warned
    assert f"{fonts.MARK}祥社区" in _text(tmp_path / "b.pdf")
    assert [f.source for f in chain.loaded] == [f"{fonts.SHIPPED}#0"]


def test_a_character_no_font_has_is_marked_and_warned(
    sqlite_template: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    odd = _uncovered()
    code = f"U+{ord(odd):04X}"
    sf = _town(sqlite_template, tmp_path, f"{odd}{JI}社区")
    out = tmp_path / "odd.pdf"
    with caplog.at_level(logging.WARNING, logger="reports.fonts"):
        warned = render(_report(sf, CITY), out)
    assert warned, "no warning"
    row = next(line for line in warned if "「二、各单位情况」" in line)
    assert code in row and odd in row and "第" in row and "行" in row, row
    assert all(code in line for line in warned), warned  # 𠮷 has a font: never warned
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("reports.fonts")]
    assert logged == list(warned)
    text = _text(out)
    assert f"{fonts.MARK}{JI}社区" in text or font_chain().font_for(JI) is None
    assert odd not in text
    flat = "".join(text.split())
    assert "缺字说明" in flat and code in flat  # the PDF's own note
    _assert_embedded(out)
    # The command line says it on stderr, in Chinese, once per place, and still writes the PDF.
    runner = CliRunner()
    target = tmp_path / "cli.pdf"
    obj = SimpleNamespace(sessions=sf, ctx=Context(actor="tester"))
    with caplog.at_level(logging.WARNING, logger="reports.fonts"):
        caplog.clear()
        done = runner.invoke(
            report_group,
            ["monthly", "--month", "2026-05", "--jurisdiction", CITY, "--out", str(target)],
            obj=obj,
        )
    assert done.exit_code == 0, done.output
    assert [line for line in done.stderr.splitlines() if line.startswith("警告：")] == list(warned)
    assert not caplog.records  # the CLI prints; it does not log a second copy
    assert target.read_bytes().startswith(b"%PDF-")


def test_slip_draws_names_through_the_chain(tmp_path: Path) -> None:
    from desk.slip import render_slip
    from registry.db.models import Person, Stay

    odd = _uncovered()
    stay = Stay(room="101", checked_in_at=datetime(2026, 6, 1, 2, tzinfo=UTC),
                expected_checkout=None, capture="chip")
    people = [
        Person(name=f"{JI}祥", number="110105199001010111", gender="1"),
        Person(name=f"李{odd}", number="110105199001010111", gender="2"),
    ]
    from registry.lookup.desk import Guest

    party = [Guest(stay=stay, person=p) for p in people]
    path = tmp_path / "slip.pdf"
    path.write_bytes(render_slip(f"{JI}祥宾馆", party, Context(actor="tester")))
    text = _text(path)
    if font_chain().font_for(JI) is not None:
        assert f"{JI}祥" in text and f"{JI}祥宾馆" in text
    assert f"李{fonts.MARK}" in text and odd not in text
    assert "110105********0111" in text
    _assert_embedded(path)


def test_configured_font_comes_first_and_must_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fonts.ENV_FONT, "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc#0")
    if not Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").is_file():
        pytest.skip("fonts-wqy-microhei is not installed")
    chain = font_chain()
    assert chain.primary.source.endswith("wqy-microhei.ttc#0")
    assert chain.loaded[1].source == f"{fonts.SHIPPED}#0"
    monkeypatch.setenv(fonts.ENV_FONT, "/nonexistent/font.ttf")
    with pytest.raises(fonts.FontError, match="no such font file"):
        font_chain()
    monkeypatch.setenv(fonts.ENV_FONT, f"{fonts.SHIPPED}#x")
    with pytest.raises(fonts.FontError, match="must be a number"):
        font_chain()


def test_setter_runs_split_drop_and_mark() -> None:
    setter = fonts.TextSetter(log=False)
    odd = _uncovered()
    assert setter.runs("深圳市 2026", "甲") == [(setter.font, "深圳市 2026")]
    assert setter.runs("买\u200d买\u202e提", "乙") == [(setter.font, "买买提")]  # Cf dropped
    runs = setter.runs(f"{JI}祥{odd}社区{odd}", "丙")
    assert "".join(part for _, part in runs) == f"{JI}祥{fonts.MARK}社区{fonts.MARK}"
    if font_chain().font_for(JI) is not None:
        assert runs[0][0] != setter.font and runs[1][0] == setter.font
    assert [(m.char, m.where) for m in setter.missing] == [(odd, "丙")]  # once per place
    setter.runs(odd, "丁")
    assert [m.where for m in setter.missing] == ["丙", "丁"]
    assert setter.warnings()[1].startswith(f"警告：丁中的字符「{odd}」（U+{ord(odd):04X}）")


def test_the_shipped_font_holds_gb2312_and_the_products_text() -> None:
    """The subset is rebuilt (``python -m reports.fonts.build_subset``) when new text needs it:
    every character of GB 2312, and every one of the product's own text that WenQuanYi Micro
    Hei has, is in the shipped font."""
    from reportlab.pdfbase.ttfonts import TTFont

    from reports.fonts.build_subset import SOURCE, gb2312, wanted

    shipped = TTFont("shipped-check", str(fonts.SHIPPED)).face.charToGlyph
    assert not [c for c in gb2312() if ord(c) not in shipped]
    assert ord(fonts.MARK) in shipped
    assert fonts.SHIPPED.stat().st_size < 2_000_000
    if not SOURCE.is_file():
        pytest.skip("fonts-wqy-microhei is not installed")
    source = TTFont("source-check", str(SOURCE), subfontIndex=0).face.charToGlyph
    lacking = sorted(p for p in wanted() if p in source and p not in shipped)
    assert not lacking, f"rebuild the shipped font: it lacks {''.join(map(chr, lacking))}"
