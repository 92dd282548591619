"""The command line's message catalogue: click's own texts in Simplified Chinese.

click marks its texts (``Usage:``, ``Error: {message}``, ``Missing option``, ``Invalid value
for …``, ``Show this message and exit.``) with ``gettext``, binding ``gettext.gettext`` as ``_``
(and ``ngettext``) in each of its modules. ``install()`` rebinds those names to the laiqu
catalogue (``cli/locale/zh_CN/LC_MESSAGES/laiqu.mo``, compiled by Babel from ``laiqu.po``), so
every text click shows comes out in Chinese whatever the locale of the terminal, and the
prefix of an error is ``错误：``. The catalogue is read with the standard library's ``gettext``:
Babel is needed to compile it, not to run.
"""

from __future__ import annotations

import gettext
import importlib
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import click

DOMAIN = "laiqu"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGE = "zh_CN"
# The click modules that bind ``_``/``ngettext`` at import time (click 8.1 – 8.3).
CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.shell_completion",
    "click.termui",
    "click.types",
    "click.utils",
    "click._termui_impl",
)


CLOSING = set("）】」』。，、；：！？》”’")
_TOKEN = re.compile(r"[\x21-\x7e]+|\s+|.")  # a run of ASCII, a run of spaces, or one character


def width_of(text: str) -> int:
    """Columns ``text`` takes on a terminal: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` columns (plus a hanging closing punctuation mark):
    breaks between Chinese characters or at spaces, never inside an ASCII word (an option name,
    a URL) unless it is wider than a line."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if token.isspace():
            if line:
                line += " "
            continue
        while width_of(token) > width:  # a word wider than a line: cut it
            cut = next(i for i in range(len(token), 0, -1) if width_of(token[:i]) <= width)
            if line.strip():
                lines.append(line.rstrip())
            lines.append(token[:cut])
            token, line = token[cut:], ""
        hangs = token in CLOSING  # closing punctuation never starts a line: it hangs
        if width_of(line + token) > width and line.strip() and not hangs:
            lines.append(line.rstrip())
            line = ""
        line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def paragraphs(text: str) -> list[tuple[bool, str]]:
    """Paragraphs of a help text (blank-line separated) as (kept as written, text); click's
    ``\\b`` line keeps a paragraph's lines; otherwise its lines are joined, without a space
    between two Chinese characters."""
    found: list[tuple[bool, str]] = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        rows = block.splitlines()
        if rows and rows[0].strip() == "\b":
            found.append((True, "\n".join(rows[1:])))
            continue
        joined = ""
        for row in (r.strip() for r in rows):
            wide = joined and width_of(joined[-1]) == 2 and width_of(row[:1]) == 2
            joined += row if not joined or wide else " " + row
        found.append((False, joined))
    return found


class HelpFormatter(click.HelpFormatter):
    """click's help layout for Chinese: ``用法：laiqu …``, ``选项：``, and lines wrapped by the
    columns they take on a terminal (a Chinese character takes two)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, catalogue().gettext("Usage:") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        out: list[str] = []
        for kept, paragraph in paragraphs(text):
            if kept:
                rows = paragraph.splitlines()
            else:
                rows = wrap(paragraph, max(self.width - self.current_indent, 20))
            out.append("\n".join(indent + row for row in rows))
        self.write("\n\n".join(out) + "\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first_col = min(max((width_of(a) for a, _ in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if width_of(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width_of(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = [
                line
                for _kept, paragraph in paragraphs(second)
                for line in wrap(paragraph, max(self.width - first_col - self.current_indent, 10))
            ]
            pad = " " * (first_col + self.current_indent)
            self.write("\n".join([lines[0], *(pad + line for line in lines[1:])]) + "\n")


@cache
def catalogue() -> gettext.GNUTranslations:
    """The compiled Chinese catalogue (raises ``OSError`` when the .mo file is missing)."""
    with (LOCALE_DIR / LANGUAGE / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as file:
        return gettext.GNUTranslations(file)


def install() -> None:
    """Make click speak Chinese: rebind its modules' ``_`` and ``ngettext``, and lay out help
    with Chinese punctuation (``click.Context.formatter_class``). Idempotent."""
    click.Context.formatter_class = HelpFormatter
    translations = catalogue()
    for name in CLICK_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - a module a later click no longer has
            continue
        if hasattr(module, "_"):
            module._ = translations.gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = translations.ngettext  # type: ignore[attr-defined]
