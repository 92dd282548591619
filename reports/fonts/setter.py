"""Setting text in the font chain: runs per font, Paragraph markup, canvas strings, marks.

A ``TextSetter`` serves one document. Each character is drawn in the first font of the chain
that has its glyph (``chain.FontChain``); a run of characters in the same font is one
``<font>`` span of a Paragraph or one ``drawString``. A character no font has is drawn as
``MARK`` (U+FFFD, the Unicode replacement character, which the shipped font has) and recorded
as a ``Missing``: logged at once (logger ``reports.fonts.setter``) and listed by ``warnings()``
in Chinese with the code point and the place, for the CLI and the document's own note.

Invisible format characters (category Cf: zero-width joiners, bidi controls) and variation
selectors have no glyph of their own and are dropped, not marked.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from reports.fonts.chain import FontChain, font_chain

log = logging.getLogger(__name__)

MARK = "\ufffd"
FALLBACK_MARKS = ("\u25a1", "?")  # if a configured chain somehow lacks U+FFFD
ADVICE = "请安装含该字的字体（如 Debian 的 fonts-hanazono），或用 LAIQU_PDF_FONT 指定字体文件"


@dataclass(frozen=True)
class Missing:
    """A character no font of the chain could draw, and where it is (e.g.
    ``「二、各单位情况」表格第4行「单位」列``)."""

    char: str
    where: str

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"

    def message(self, mark: str = MARK) -> str:
        """The warning in Chinese, naming the character, its code point and its place."""
        return (
            f"警告：{self.where}中的字符「{self.char}」（{self.code}）无法用已有字体绘制，"
            f"PDF 中以 {mark} 标出；{ADVICE}。"
        )


def _ignorable(char: str) -> bool:
    point = ord(char)
    return (
        0xFE00 <= point <= 0xFE0F
        or 0xE0100 <= point <= 0xE01EF
        or unicodedata.category(char) == "Cf"
    )


class TextSetter:
    """Splits text across the font chain for one document and collects what it could not draw.

    ``chain`` defaults to the process's chain (``font_chain()``, which may raise
    ``FontError``). ``log=False`` when the caller shows ``warnings()`` itself (the CLI prints
    them on stderr; logging's last-resort handler would print them a second time).
    """

    def __init__(self, chain: FontChain | None = None, *, log: bool = True) -> None:
        self.chain = chain if chain is not None else font_chain()
        self._log = log
        self.font = self.chain.primary.name
        self._glyphs = self.chain.primary.glyphs
        self.missing: list[Missing] = []
        self._seen: set[Missing] = set()
        self.mark, self._mark_font = MARK, self.font
        for mark in (MARK, *FALLBACK_MARKS):
            found = self.chain.font_for(mark)
            if found is not None:
                self.mark, self._mark_font = mark, found.name
                break

    def _record(self, char: str, where: str) -> None:
        missing = Missing(char, where)
        if missing not in self._seen:
            self._seen.add(missing)
            self.missing.append(missing)
            if self._log:
                log.warning("%s", missing.message(self.mark))

    def runs(self, text: str, where: str) -> list[tuple[str, str]]:
        """``text`` as (font name, characters) runs in drawing order; unknown ones marked."""
        if all(ord(c) in self._glyphs for c in text):
            return [(self.font, text)] if text else []
        runs: list[tuple[str, list[str]]] = []
        for char in text:
            if _ignorable(char):
                continue
            if char.isspace():  # no lookup: a line break or tab is layout, not a glyph
                font = self.font if ord(char) in self._glyphs or not runs else runs[-1][0]
                drawn = char
            elif (found := self.chain.font_for(char)) is not None:
                font, drawn = found.name, char
            else:
                self._record(char, where)
                font, drawn = self._mark_font, self.mark
            if runs and runs[-1][0] == font:
                runs[-1][1].append(drawn)
            else:
                runs.append((font, [drawn]))
        return [(font, "".join(chars)) for font, chars in runs]

    def markup(self, text: str, where: str) -> str:
        """Paragraph markup of ``text`` (escaped) with a ``<font>`` span per run not in the
        primary font (the style's)."""
        return "".join(
            escape(part) if font == self.font else f'<font name="{font}">{escape(part)}</font>'
            for font, part in self.runs(text, where)
        )

    def single(self, text: str, where: str) -> tuple[str, str]:
        """One font for the whole of ``text``, for places that take a single font (chart
        labels, plain table cells): the first font of the chain with every glyph; failing
        that the primary font, the characters it lacks marked."""
        runs = self.runs(text, where)
        if len(runs) <= 1:
            return runs[0] if runs else (self.font, text)
        drawn = "".join(part for _, part in runs)
        for font in self.chain.loaded:
            if all(font.has(c) or c.isspace() for c in drawn):
                return font.name, drawn
        lacking = {c for c in drawn if ord(c) not in self._glyphs and not c.isspace()}
        for char in sorted(lacking):
            self._record(char, where)
        fixed = "".join(self.mark if c in lacking else c for c in drawn)
        return self.font, fixed

    def draw(
        self,
        canvas: Canvas,
        x: float,
        y: float,
        text: str,
        where: str,
        size: float,
        align: Literal["left", "centre", "right"] = "left",
    ) -> None:
        """Draw one line of ``text`` on ``canvas`` at ``size`` points, run by run; the
        canvas's font is the primary one afterwards."""
        runs = self.runs(text, where)
        widths = [stringWidth(part, font, size) for font, part in runs]
        if align == "right":
            x -= sum(widths)
        elif align == "centre":
            x -= sum(widths) / 2
        for (font, part), advance in zip(runs, widths, strict=True):
            canvas.setFont(font, size)
            canvas.drawString(x, y, part)
            x += advance
        canvas.setFont(self.font, size)

    def warnings(self) -> tuple[str, ...]:
        """One Chinese line per character not drawn (and place), in the order met."""
        return tuple(m.message(self.mark) for m in self.missing)
