"""The CJK font of the PDFs: a TrueType font embedded (as a subset) in every report.

reportlab's ``STSong-Light`` CID font is not embedded, so viewers without a Chinese font
pack show boxes (domain-rules.md §0.9, §D). We look for a TrueType font in this order:

1. ``$LAIQU_PDF_FONT``: a path to a ``.ttf``/``.ttc`` file, optionally ``PATH#INDEX`` to
   pick a face of a collection. A configured font that cannot be loaded is an error.
2. Debian's WenQuanYi Zen Hei, WenQuanYi Micro Hei, AR PL UMing (``fonts-wqy-zenhei``,
   ``fonts-wqy-microhei``, ``fonts-arphic-uming``).
3. ``STSong-Light``, with a ``FontWarning``: the PDF then needs a viewer with a font pack.

Registration happens once per process and font file.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

ENV_FONT = "LAIQU_PDF_FONT"
CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf", 0),
)
FALLBACK = "STSong-Light"


class FontWarning(UserWarning):
    """No embeddable CJK font was found; the PDF relies on the viewer's fonts."""


class FontError(RuntimeError):
    """The configured font cannot be used."""


@dataclass(frozen=True)
class CjkFont:
    """A registered font: its reportlab name, whether it is embedded, where it came from."""

    name: str
    embedded: bool
    source: str


def _parse(spec: str) -> tuple[Path, int]:
    path, _, index = spec.partition("#")
    try:
        return Path(path).expanduser(), int(index or 0)
    except ValueError:
        raise FontError(f"{ENV_FONT}={spec!r}: the face index after '#' must be a number") from None


def _register_ttf(path: Path, index: int) -> CjkFont:
    name = f"laiqu-cjk-{path.stem}-{index}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=index))
    return CjkFont(name, True, f"{path}#{index}")


@lru_cache(maxsize=8)
def _resolve(configured: str | None) -> CjkFont:
    if configured:
        path, index = _parse(configured)
        if not path.is_file():
            raise FontError(f"{ENV_FONT}={configured!r}: no such font file")
        try:
            return _register_ttf(path, index)
        except (TTFError, OSError, IndexError) as exc:
            raise FontError(
                f"{ENV_FONT}={configured!r}: not a usable TrueType font: {exc}"
            ) from exc
    for candidate, index in CANDIDATES:
        path = Path(candidate)
        if path.is_file():
            try:
                return _register_ttf(path, index)
            except (TTFError, OSError, IndexError):
                continue
    warnings.warn(
        f"no CJK TrueType font found (set {ENV_FONT} or install fonts-wqy-zenhei); using "
        f"{FALLBACK}, which is not embedded: some viewers will show boxes",
        FontWarning,
        stacklevel=3,
    )
    if FALLBACK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return CjkFont(FALLBACK, False, FALLBACK)


def cjk_font() -> CjkFont:
    """Register (once) and return the CJK font the reports use."""
    return _resolve(os.environ.get(ENV_FONT) or None)
