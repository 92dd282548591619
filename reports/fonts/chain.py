"""The chain of embedded TrueType fonts the PDFs draw with, and which font has which glyph.

Order (domain-rules.md §0.9: every PDF embeds its fonts, the viewer's fonts are never needed):

1. ``$LAIQU_PDF_FONT``: a ``.ttf``/``.ttc`` file, ``PATH#INDEX`` for a face of a collection.
   A configured font that cannot be loaded is a ``FontError``.
2. The font shipped in this package, ``wqy-microhei-gb2312.ttf``: WenQuanYi Micro Hei cut to
   GB 2312 and the product's own text (``build_subset.py``), so a machine where only
   ``pip install`` ran still draws readable, embedded Chinese.
3. Debian's fonts, looked up by path under ``$LAIQU_FONT_DIRS`` (directories separated by
   ``os.pathsep``; default ``/usr/share/fonts``, ``/usr/local/share/fonts``,
   ``~/.local/share/fonts``): WenQuanYi Zen Hei and Micro Hei (``fonts-wqy-zenhei``,
   ``fonts-wqy-microhei``), AR PL UMing/UKai (``fonts-arphic-uming``, ``fonts-arphic-ukai``),
   then HanaMin A and B (``fonts-hanazono``), which cover CJK Extension B (U+20000–U+2A6DF)
   and more. They only widen the coverage, and load lazily: only when a character is not in
   an earlier font.

A character's font is the first of the chain whose ``cmap`` maps it. Loading a system font
costs 0.05–0.15 s (reportlab parses it whole); the shipped subset about 0.01 s.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

ENV_FONT = "LAIQU_PDF_FONT"
ENV_DIRS = "LAIQU_FONT_DIRS"
DEFAULT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
)
SHIPPED = Path(__file__).with_name("wqy-microhei-gb2312.ttf")
# (path under a font directory, face index); a flat copy (the file name alone) is found too.
SYSTEM: tuple[tuple[str, int], ...] = (
    ("truetype/wqy/wqy-zenhei.ttc", 0),
    ("truetype/wqy/wqy-microhei.ttc", 0),
    ("truetype/arphic/uming.ttc", 0),
    ("truetype/arphic/ukai.ttc", 0),
    ("truetype/hanazono/HanaMinA.ttf", 0),
    ("truetype/hanazono/HanaMinB.ttf", 0),
)


class FontError(RuntimeError):
    """The configured font cannot be used, or the shipped font is missing (broken install)."""


@dataclass(frozen=True)
class ChainFont:
    """A registered font of the chain: its reportlab name and the file (``path#index``)."""

    name: str
    source: str
    glyphs: dict[int, int]  # code point -> glyph id, as read from the font's cmap

    def has(self, char: str) -> bool:
        return ord(char) in self.glyphs


_WIDE = re.compile(r"<([0-9A-F]{2})> <([0-9A-F]{5,6})>")


def _utf16(match: re.Match[str]) -> str:
    point = int(match[2], 16) - 0x10000
    return f"<{match[1]}> <{0xD800 + (point >> 10):04X}{0xDC00 + (point & 0x3FF):04X}>"


class _EmbeddedFont(TTFont):
    """reportlab's TTFont with a correct text layer beyond the BMP.

    reportlab 4/5 writes a ToUnicode entry as ``<%04X>`` of the code point, so U+20BB7 becomes
    the five digits ``<20BB7>``, which poppler reads as U+20BB: the text layer loses the
    character. The PDF reference (§9.10.3) wants UTF-16BE: ``<D842DFB7>``.
    """

    def addObjects(self, doc: Any) -> None:
        before = set(doc.idToObject)
        super().addObjects(doc)
        for key in set(doc.idToObject) - before:
            if key.startswith("toUnicodeCMap:"):
                stream = doc.idToObject[key]
                stream.content = _WIDE.sub(_utf16, stream.content)


def _register(path: Path, index: int) -> ChainFont:
    name = f"laiqu-{path.stem}-{index}"
    if name in pdfmetrics.getRegisteredFontNames():
        font = pdfmetrics.getFont(name)
    else:
        font = _EmbeddedFont(name, str(path), subfontIndex=index)
        pdfmetrics.registerFont(font)
    return ChainFont(name, f"{path}#{index}", font.face.charToGlyph)


def _parse(spec: str) -> tuple[Path, int]:
    path, _, index = spec.partition("#")
    try:
        return Path(path).expanduser(), int(index or 0)
    except ValueError:
        raise FontError(f"{ENV_FONT}={spec!r}: the face index after '#' must be a number") from None


def system_fonts(dirs: Sequence[str]) -> list[tuple[Path, int]]:
    """The known system fonts present under ``dirs``, in chain order (no file is opened)."""
    found: list[tuple[Path, int]] = []
    for relative, index in SYSTEM:
        for folder in dirs:
            base = Path(folder).expanduser()
            hit = next((p for p in (base / relative, base / Path(relative).name) if p.is_file()),
                       None)
            if hit is not None:
                found.append((hit, index))
                break
    return found


class FontChain:
    """The fonts in order; ``font_for`` answers which one draws a character.

    The first fonts are loaded at once; the system fonts when first needed. Thread-safe (the
    desk's slips are drawn in a thread pool).
    """

    def __init__(
        self, first: Sequence[tuple[Path, int]], later: Sequence[tuple[Path, int]]
    ) -> None:
        self._fonts = [_register(path, index) for path, index in first]
        self._pending = list(later)
        self._lock = threading.Lock()
        self._memo: dict[str, ChainFont | None] = {}

    @property
    def primary(self) -> ChainFont:
        """The first font: the one styles and canvases start with."""
        return self._fonts[0]

    @property
    def loaded(self) -> tuple[ChainFont, ...]:
        return tuple(self._fonts)

    def font_for(self, char: str) -> ChainFont | None:
        """The first font with a glyph for ``char`` (one code point), or None if none has."""
        try:
            return self._memo[char]
        except KeyError:
            pass
        found = next((f for f in self._fonts if f.has(char)), None)
        if found is None:
            found = next((f for f in self._load_pending() if f.has(char)), None)
        self._memo[char] = found
        return found

    def _load_pending(self) -> Iterator[ChainFont]:
        """Load the remaining system fonts one by one, yielding each as it becomes available."""
        while True:
            with self._lock:
                if not self._pending:
                    return
                path, index = self._pending.pop(0)
                try:
                    font = _register(path, index)
                except (TTFError, OSError, IndexError) as exc:
                    log.warning("font %s#%d skipped: %s", path, index, exc)
                    continue
                self._fonts.append(font)
            yield font


@lru_cache(maxsize=8)
def _chain(configured: str | None, dirs: tuple[str, ...]) -> FontChain:
    first: list[tuple[Path, int]] = []
    if configured:
        path, index = _parse(configured)
        if not path.is_file():
            raise FontError(f"{ENV_FONT}={configured!r}: no such font file")
        try:
            _register(path, index)
        except (TTFError, OSError, IndexError) as exc:
            raise FontError(
                f"{ENV_FONT}={configured!r}: not a usable TrueType font: {exc}"
            ) from exc
        first.append((path, index))
    if not SHIPPED.is_file():
        raise FontError(f"the shipped font {SHIPPED} is missing: reinstall laiqu")
    first.append((SHIPPED, 0))
    return FontChain(first, system_fonts(dirs))


def font_dirs() -> tuple[str, ...]:
    """The directories searched for system fonts: ``$LAIQU_FONT_DIRS`` or the defaults."""
    value = os.environ.get(ENV_DIRS)
    if value is None:
        return DEFAULT_DIRS
    return tuple(part for part in value.split(os.pathsep) if part)


def font_chain() -> FontChain:
    """The process's font chain for the current ``$LAIQU_PDF_FONT`` and ``$LAIQU_FONT_DIRS``.

    Raises ``FontError`` when the configured font cannot be loaded.
    """
    return _chain(os.environ.get(ENV_FONT) or None, font_dirs())


def reset() -> None:
    """Forget the chains built so far (for tests that change the environment)."""
    _chain.cache_clear()
