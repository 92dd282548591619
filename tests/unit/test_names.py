from registry.identity.names import forms


def test_polyphonic_surnames_keep_every_reading():
    full, initials = forms("曾凡")
    assert "|zengfan|" in full and "|cengfan|" in full
    assert "|zf|" in initials
    assert "|shantianfang|" in forms("单田芳")[0]
    assert "|qiuying|" in forms("仇英")[0]


def test_plain_name():
    assert forms("张三") == ("|zhangsan|", "|zs|")
