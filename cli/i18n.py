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


class HelpFormatter(click.HelpFormatter):
    """click's help layout with Chinese punctuation: ``用法：laiqu …`` and ``选项：``."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, catalogue().gettext("Usage:") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")


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
