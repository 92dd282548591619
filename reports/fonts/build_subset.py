"""Build the CJK font shipped with laiqu: a TrueType subset of WenQuanYi Micro Hei.

Run once by a maintainer, not at install or run time; the result is committed next to this
script as ``wqy-microhei-gb2312.ttf`` (package data of ``reports``)::

    pip install fonttools            # 4.x; only this script needs it
    apt-get install fonts-wqy-microhei
    python -m reports.fonts.build_subset [--source PATH] [--out PATH]

Source: ``/usr/share/fonts/truetype/wqy/wqy-microhei.ttc`` face 0 (WenQuanYi Micro Hei
0.2.0-beta, Debian package ``fonts-wqy-microhei``), a TrueType (glyf) font.

Licence: Apache-2.0, or GPL-3+ with the font exception (the upstream's choice of licences);
we redistribute under Apache-2.0. ``LICENSE-wqy-microhei.txt`` beside the font holds the
copyright notice and the licence text. Changes made (Apache-2.0 §4b): glyphs outside the set
below removed, hinting dropped, the names say "GB2312 subset".

Characters kept:

- every character of GB 2312 (its 6,763 hanzi and its 682 other characters), taken by
  decoding each double-byte code A1A1–F7FE with Python's ``gb2312`` codec;
- printable ASCII and Latin-1, general punctuation, CJK symbols and punctuation, full-width
  forms, box drawing and geometric shapes the font has (not the invisible format characters,
  category Cf, which the reports drop);
- the four middle dots of foreign names (U+00B7, U+2022, U+30FB, U+FF65) and the replacement
  character U+FFFD (the mark the reports draw for a character no font has);
- every non-ASCII character in the product's own text: the string literals of ``reports``,
  ``desk``, ``registry`` and ``cli`` (section titles, labels, place names of the demo town).

The output is reproducible: same source font and fontTools version, same bytes (the head
table's timestamp is kept from the source).
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
OUT = HERE / "wqy-microhei-gb2312.ttf"
TEXT_DIRS = ("reports", "desk", "registry", "cli")
RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x218F),  # letterlike symbols, number forms
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed alphanumerics
    (0x2500, 0x25FF),  # box drawing, block elements, geometric shapes
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # half- and full-width forms
)
EXTRA = "\u00b7\u2022\u30fb\uff65\ufffd"
FAMILY = "WenQuanYi Micro Hei GB2312 Subset"


def gb2312() -> set[str]:
    """Every character GB 2312 encodes (7,445: 6,763 hanzi and 682 others)."""
    chars: set[str] = set()
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def own_text() -> set[str]:
    """The non-ASCII characters of the product's source files (its user-facing text)."""
    chars: set[str] = set()
    for name in TEXT_DIRS:
        for path in sorted((ROOT / name).rglob("*.py")):
            chars.update(ch for ch in path.read_text(encoding="utf-8") if ord(ch) > 0x7F)
    return chars


def wanted() -> set[int]:
    """The code points to keep, less the invisible format characters (category Cf: zero-width
    and bidi controls), which the reports drop rather than draw."""
    points = {ord(ch) for ch in gb2312() | own_text() | set(EXTRA)}
    for first, last in RANGES:
        points.update(range(first, last + 1))
    return {p for p in points if unicodedata.category(chr(p)) != "Cf"}


def build(source: Path, out: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(source), fontNumber=0, recalcTimestamp=False)
    cmap = font.getBestCmap()
    keep = sorted(p for p in wanted() if p in cmap)
    hanzi = [ch for ch in gb2312() if "\u4e00" <= ch <= "\u9fff"]
    missing = [ch for ch in hanzi if ord(ch) not in cmap]
    if len(hanzi) != 6763 or missing:
        sys.exit(f"source lacks GB 2312 hanzi: {''.join(missing)[:40]}")
    options = subset.Options()
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=keep)
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = FAMILY
        elif record.nameID == 3:
            record.string = f"{FAMILY};laiqu"
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "")
    font.save(str(out))
    print(f"{out}: {len(keep)} characters, {out.stat().st_size:,} bytes")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    build(args.source, args.out)


if __name__ == "__main__":
    main()
