"""The fonts of the PDFs (monthly report, desk slip): one chain of embedded TrueType fonts.

- ``chain``: which fonts, in which order (``$LAIQU_PDF_FONT``, the shipped GB 2312 subset of
  WenQuanYi Micro Hei, then Debian's CJK fonts under ``$LAIQU_FONT_DIRS``), and which font
  has a character's glyph;
- ``setter``: text split into runs per font for Paragraphs and canvases; a character no
  font has is drawn as a visible mark and reported (``Missing``);
- ``build_subset``: the maintainer's script that made the shipped font (needs fontTools).

Every font is embedded as a subset: nothing depends on the viewer's fonts (domain-rules.md
§0.9; reportlab's non-embedded ``STSong-Light`` is never used).
"""

from reports.fonts.chain import ENV_DIRS, ENV_FONT, SHIPPED, FontChain, FontError, font_chain
from reports.fonts.setter import MARK, Missing, TextSetter

__all__ = [
    "ENV_DIRS",
    "ENV_FONT",
    "MARK",
    "SHIPPED",
    "FontChain",
    "FontError",
    "Missing",
    "TextSetter",
    "font_chain",
]
