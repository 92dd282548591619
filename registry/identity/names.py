"""Names for search and comparison: pinyin read as a name is read, and the name's key.

Pinyin. A Chinese name is a surname (one character, or two for a compound surname such as
欧阳, 尉迟, 司马) and a given name, read separately: pypinyin reading the whole name as a
phrase gives 查明 "chaming" (the word 查明, to find out) where the caller says "zhaming", and
曾经纬 "cengjingwei" (曾经, once) for "zengjingwei". So the surname is read with its readings
as a surname (单 shan, 解 xie, 查 zha, 曾 zeng: ``SURNAME_READINGS``, after the readings
dictionaries give for the surname) *and* its ordinary readings (existing searches by those
still work), never cut; the given name with its phrase reading first, then the other
readings of its characters. Readings are stored as ``|reading|reading|`` strings that a
LIKE '%|zeng%' or an index can search, bounded by the column sizes (``MAX_PINYIN``,
``MAX_INITIALS``): the given name's rarer combinations are dropped first, a surname reading
never.

>>> forms("曾凡")
('|cengfan|zengfan|', '|cf|zf|')

Key. ``key(name)`` is the form two names are compared and searched in: the middle-dot
variants of transcribed names (U+00B7 ·, U+2022 •, U+30FB ・, U+FF0E ．, ., U+2027 ‧,
U+FF65 ･, …) are one dot and white space is dropped (also around the dots). The name itself
is stored as read from the card; migration 0015 indexes ``key`` as the SQL expression
``key_sql`` (the same mapping, written out for each engine).

>>> key("买买提 • 艾力") == key("买买提・艾力") == "买买提·艾力"
True
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable

MAX_PINYIN = 400  # persons.name_pinyin
MAX_INITIALS = 200  # persons.name_initials
MAX_GIVEN_COMBINATIONS = 64

# The dot of a name and the characters read as it.
DOT = "\u00b7"
# · · • ‧ ∙ ⋅ ⸱ ・ ． . ･
DOT_VARIANTS = "\u00b7\u0387\u2022\u2027\u2219\u22c5\u2e31\u30fb\uff0e\u002e\uff65"
# White space dropped from a key: the spaces typed or read between the parts of a name (space,
# no-break space, ideographic space, tab). Kept short: SQLite spells the key as nested
# replace() calls and its parser allows only a few dozen levels.
SPACES = " \u00a0\u3000\t"
_KEY_TABLE = {ord(c): DOT for c in DOT_VARIANTS} | {ord(c): None for c in SPACES}


def key(name: str) -> str:
    """The comparison and search form of a name: dot variants as U+00B7, no white space."""
    return name.translate(_KEY_TABLE)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def key_sql(column: str, dialect: str) -> str:
    """``key(column)`` as an SQL expression of ``dialect`` (postgresql or sqlite).

    PostgreSQL: one ``translate`` (characters beyond the replacement string are deleted).
    SQLite: nested ``replace`` calls. An expression index is only used by a query spelling
    the same expression, so queries and migration 0015 both take it from here.
    """
    others = DOT_VARIANTS.replace(DOT, "")
    if dialect == "postgresql":
        source = others + SPACES
        return f"translate({column}, {_sql_literal(source)}, {_sql_literal(DOT * len(others))})"
    expr = column
    for c in others:
        expr = f"replace({expr}, {_sql_literal(c)}, {_sql_literal(DOT)})"
    for c in SPACES:
        expr = f"replace({expr}, {_sql_literal(c)}, '')"
    return expr


def same_name(a: str, b: str) -> bool:
    """Whether two spellings are the same name (``key`` equal)."""
    return key(a) == key(b)


# ------------------------------------------------------------------------------ surnames


def _table(text: str) -> dict[str, tuple[str, ...]]:
    """``"欧阳 ou-yang 单于 chan-yu/shan-yu"`` as {"欧阳": ("ou yang",), ...}."""
    words = text.split()
    return {
        words[i]: tuple(r.replace("-", " ") for r in words[i + 1].split("/"))
        for i in range(0, len(words), 2)
    }


# Compound surnames of 《百家姓》 and those common today. Read together (万俟 moqi, 尉迟
# yuchi, 长孙 zhangsun, 澹台 tantai, 单于 chanyu), not as the characters' first readings.
COMPOUND_SURNAMES: dict[str, tuple[str, ...]] = _table(
    "万俟 mo-qi 司马 si-ma 上官 shang-guan 欧阳 ou-yang 夏侯 xia-hou 诸葛 zhu-ge 闻人 wen-ren "
    "东方 dong-fang 赫连 he-lian 皇甫 huang-fu 尉迟 yu-chi 公羊 gong-yang 澹台 tan-tai "
    "公冶 gong-ye 宗政 zong-zheng 濮阳 pu-yang 淳于 chun-yu 单于 chan-yu/shan-yu 太叔 tai-shu "
    "申屠 shen-tu 公孙 gong-sun 仲孙 zhong-sun 轩辕 xuan-yuan 令狐 ling-hu 钟离 zhong-li "
    "宇文 yu-wen 长孙 zhang-sun 慕容 mu-rong 鲜于 xian-yu 闾丘 lv-qiu 司徒 si-tu 司空 si-kong "
    "亓官 qi-guan 司寇 si-kou 仉督 zhang-du 子车 zi-ju 颛孙 zhuan-sun 端木 duan-mu 巫马 wu-ma "
    "公西 gong-xi 漆雕 qi-diao 乐正 yue-zheng 壤驷 rang-si 公良 gong-liang 拓跋 tuo-ba 夹谷 jia-gu "
    "宰父 zai-fu 谷梁 gu-liang 段干 duan-gan 百里 bai-li 东郭 dong-guo 南门 nan-men 呼延 hu-yan "
    "羊舌 yang-she 微生 wei-sheng 梁丘 liang-qiu 左丘 zuo-qiu 东门 dong-men 西门 xi-men "
    "南宫 nan-gong 第五 di-wu 公仪 gong-yi 公乘 gong-sheng 太史 tai-shi 仲长 zhong-chang "
    "叔孙 shu-sun 屈突 qu-tu 尔朱 er-zhu 东乡 dong-xiang 相里 xiang-li 胡母 hu-mu 司城 si-cheng "
    "张廖 zhang-liao 雍门 yong-men 毋丘 wu-qiu 贺兰 he-lan 綦毋 qi-wu 屋庐 wu-lu 独孤 du-gu "
    "南郭 nan-guo 北宫 bei-gong 王孙 wang-sun 达奚 da-xi 即墨 ji-mo 褚师 chu-shi 公输 gong-shu "
    "范姜 fan-jiang "
)

# Single-character surnames read otherwise than their commonest reading (the surname readings
# the dictionaries give, e.g. 《现代汉语词典》 "姓" senses): most usual first.
SURNAME_READINGS: dict[str, tuple[str, ...]] = _table(
    "单 shan 解 xie 查 zha 曾 zeng 仇 qiu 区 ou 朴 piao 繁 po 盖 ge/gai 乐 yue/le 尉 wei 缪 miao "
    "员 yun 召 shao 种 chong 覃 qin/tan 翟 zhai 隗 wei 折 she 秘 bi 句 gou 华 hua 佴 nai 过 guo "
    "冼 xian 柏 bai 谌 chen/shen 郇 huan/xun 贲 ben 蕃 pi 厍 she 燕 yan 重 chong 莘 shen/xin "
    "纪 ji 能 nai 都 du 宿 su 薄 bo 车 che 长 chang 参 can 沈 shen 石 shi 祭 zhai 阚 kan 粘 nian "
    "亓 qi 殷 yin 藏 zang 相 xiang 应 ying 汤 tang 便 pian 角 jue 芮 rui 阿 a 牟 mou/mu 洗 xian "
    "万 wan 尾 wei 陆 lu 六 lu/liu 叶 ye 黑 he 哈 ha 卜 bu 大 da 率 shuai 贾 jia "
)

# Every CJK block: radicals and strokes, 〇 and 々, Extension A, the unified ideographs, the
# compatibility ideographs, and planes 2 and 3 (Extensions B to H and the compatibility
# supplement), so a name such as 𠮷 (U+20BB7) is Chinese. Code point ranges, not a regular
# expression: compiling a character class that spans planes 2 and 3 costs some 5 ms at every
# start-up of the command line (issue 19).
CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x2E80, 0x2FDF),
    (0x3005, 0x3007),
    (0x3021, 0x3029),
    (0x31C0, 0x31EF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
)


def is_cjk(char: str) -> bool:
    """Whether one character is a CJK character of ``CJK_RANGES``."""
    point = ord(char)
    return any(low <= point <= high for low, high in CJK_RANGES)


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds at least one CJK character."""
    return any(is_cjk(char) for char in text)


def all_cjk(text: str) -> bool:
    """Whether ``text`` is not empty and made of CJK characters only."""
    return bool(text) and all(is_cjk(char) for char in text)


def surname(name: str) -> str:
    """The surname of a Chinese name: a compound surname of ``COMPOUND_SURNAMES`` when the
    name has a given name after it, else the first character; "" for a name that is not all
    Chinese characters (transcribed names with dots, Latin names have no surname to split)."""
    if not all_cjk(name):
        return ""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


Reading = tuple[str, ...]  # syllables


@functools.lru_cache(maxsize=32768)
def _char_readings(char: str) -> tuple[str, ...]:
    # Imported on first use: its dictionaries take a quarter second to load, which every
    # `laiqu` command would otherwise pay at start-up.
    from pypinyin import Style, pinyin

    options = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(_unique(s.lower() for group in options for s in group))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


@functools.lru_cache(maxsize=4096)
def _surname_readings(family: str) -> tuple[Reading, ...]:
    """Every reading of a surname: as a surname first, then the characters' own readings."""
    if family in COMPOUND_SURNAMES:
        own = [tuple(r.split()) for r in COMPOUND_SURNAMES[family]]
    else:
        own = [(r,) for r in SURNAME_READINGS.get(family, ())]
    ordinary = list(itertools.product(*(_char_readings(c) for c in family)))
    return tuple(dict.fromkeys([*own, *ordinary]))


def _given_readings(given: str) -> list[list[str]]:
    """Per syllable, the phrase reading first and then the character's other readings."""
    from pypinyin import Style, pinyin

    phrase = pinyin(given, style=Style.NORMAL, heteronym=False, errors="ignore")
    words = [p[0].lower() for p in phrase if p and p[0]]
    chars = [c for c in given if _char_readings(c)]
    if len(words) != len(chars):  # pypinyin split otherwise than per character: phrase only
        return [[w] for w in words]
    return [_unique([w, *_char_readings(c)]) for w, c in zip(words, chars, strict=True)]


def readings(name: str) -> list[Reading]:
    """The readings of a name as syllables, most likely first (see the module docstring):
    every surname reading with the given name's phrase reading, then with its others."""
    text = name.strip()
    family = surname(text)
    given = itertools.islice(
        itertools.product(*_given_readings(text[len(family) :])), MAX_GIVEN_COMBINATIONS
    )
    families: tuple[Reading, ...] = _surname_readings(family) if family else ((),)
    found = [f + g for g in given for f in families]
    return list(dict.fromkeys(r for r in found if r))


def _joined(items: Iterable[str], limit: int) -> str:
    """``|a|b|`` of ``items`` taken in order while they fit ``limit`` characters, sorted; the
    first item always (cut to the limit when it alone is longer)."""
    kept: list[str] = []
    size = 1
    for item in _unique(items):
        if kept and size + len(item) + 1 > limit:
            continue
        kept.append(item)
        size += len(item) + 1
    return ("|" + "|".join(sorted(kept)) + "|")[:limit] if kept else ""


def forms(name: str) -> tuple[str, str]:
    """Full pinyin and initials of every reading, each as a ``|a|b|`` string of at most
    ``MAX_PINYIN`` / ``MAX_INITIALS`` characters ("" for a name without Chinese readings)."""
    found = readings(name)
    full = _joined(("".join(r) for r in found), MAX_PINYIN)
    initials = _joined(("".join(s[0] for s in r) for r in found), MAX_INITIALS)
    return full, initials


_DIGIT_RUN = re.compile(r"\d{4,}")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a person's name, or None.

    A name holds letters, spaces and the marks of names (·, -, ', .), never a run of four or
    more digits (a number typed into the wrong field would be shown in full wherever names
    are) nor format or control characters (bidirectional overrides garble every list).
    """
    if _DIGIT_RUN.search(unicodedata.normalize("NFKC", name)):
        return "digits"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return "control"
    return None
