from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from registry.identity import names
from registry.identity.names import forms, key


def test_polyphonic_surnames_keep_every_reading():
    full, initials = forms("曾凡")
    assert "|zengfan|" in full and "|cengfan|" in full
    assert "|zf|" in initials
    assert "|shantianfang|" in forms("单田芳")[0]
    assert "|qiuying|" in forms("仇英")[0]


def test_plain_name():
    assert forms("张三") == ("|zhangsan|", "|zs|")


def test_surname_read_apart_from_the_given_name():
    """Issue 18 item 1: the inputs of the issue, with the ordinary readings kept."""
    cases = {
        "查明": (["zhaming", "chaming"], ["zm", "cm"]),
        "解放": (["xiefang", "jiefang"], ["xf", "jf"]),
        "单纯": (["shanchun", "danchun"], ["sc", "dc"]),
        "曾经纬": (["zengjingwei", "cengjingwei"], ["zjw", "cjw"]),
        "单家和": (["shanjiahe", "danjiahe", "chanjiahe"], ["sjh", "djh"]),
    }
    for name, (readings, initials) in cases.items():
        full, heads = forms(name)
        for r in readings:
            assert f"|{r}|" in full, (name, r, full)
        for i in initials:
            assert f"|{i}|" in heads, (name, i, heads)


def test_compound_surnames():
    assert names.surname("欧阳娜娜") == "欧阳" and names.surname("欧阳") == "欧"
    assert names.surname("阿不都热合曼·买买提") == ""
    assert "|ouyangnana|" in forms("欧阳娜娜")[0] and "|oynn|" in forms("欧阳娜娜")[1]
    assert "|yuchigong|" in forms("尉迟恭")[0] and "|ycg|" in forms("尉迟恭")[1]
    assert "|moqixie|" in forms("万俟卨")[0]
    assert "|simaguang|" in forms("司马光")[0]
    assert "|zhangsunwuji|" in forms("长孙无忌")[0]


def test_long_name_keeps_its_phrase_reading_and_fits_the_columns():
    full, initials = forms("阿不都热合曼·买买提")
    assert "|abudurehemanmaimaiti|" in full and "|abdrhmmmt|" in initials
    long = "克里斯托弗" * 20  # 100 characters, the longest name
    full, initials = forms(long)
    assert full and len(full) <= names.MAX_PINYIN and len(initials) <= names.MAX_INITIALS


def test_key_folds_dots_and_spaces():
    variants = ["买买提·艾力", "买买提•艾力", "买买提・艾力", "买买提.艾力", "买买提．艾力",
                "买买提‧艾力", "买买提･艾力", "买买提 · 艾力", "买买提\u3000・ 艾力"]  # fmt: skip
    assert {key(v) for v in variants} == {"买买提·艾力"}
    assert key("买买提·艾山") != key("买买提·艾力")
    assert names.same_name("买买提 • 艾力", "买买提·艾力")


def test_key_sql_spells_key():
    """The SQL expression of each engine maps every character as ``key`` does."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    sample = "买 买提" + names.DOT_VARIANTS + names.SPACES + "艾力𠮷"
    assert conn.execute(f"SELECT {names.key_sql('?', 'sqlite')}", (sample,)).fetchone()[0] == key(
        sample
    )
    pg = names.key_sql("name", "postgresql")
    assert pg.startswith("translate(name, ")


HANZI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
SURNAME = st.sampled_from(sorted(names.SURNAME_READINGS) + sorted(names.COMPOUND_SURNAMES))


@settings(max_examples=200, deadline=None)
@given(family=SURNAME, given_name=st.text(HANZI, min_size=1, max_size=4))
def test_every_surname_reading_with_the_given_name(family: str, given_name: str) -> None:
    """No surname reading is ever cut, whatever the given name."""
    full, heads = forms(family + given_name)
    given_reading = lazy_pinyin(given_name, style=Style.NORMAL, errors="ignore")
    assert len(full) <= names.MAX_PINYIN and len(heads) <= names.MAX_INITIALS
    for reading in names._surname_readings(family):
        assert f"|{''.join(reading)}{''.join(given_reading)}|" in full
        assert f"|{''.join(s[0] for s in (*reading, *given_reading))}|" in heads


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.text(HANZI, min_size=1, max_size=6), min_size=2, max_size=4),
    dots=st.lists(st.sampled_from(names.DOT_VARIANTS), min_size=3, max_size=3),
    spaces=st.lists(st.sampled_from(["", " ", "\u3000", "\u00a0"]), min_size=6, max_size=6),
)
def test_any_dot_spelling_has_one_key(parts: list[str], dots: list[str], spaces: list[str]):
    spelled = parts[0]
    for i, part in enumerate(parts[1:]):
        spelled += spaces[2 * i] + dots[i] + spaces[2 * i + 1] + part
    assert key(spelled) == "·".join(parts)
