"""The 34 province-level divisions by the first two digits of a GB/T 2260 region code.

A person's origin province is read from the household-registration region code
(``persons.hukou_region``); Hong Kong, Macao and Taiwan residence permits carry 810000,
820000 and 830000. Anything else (a foreign document, no code) is "other".

>>> province_name("44")
'广东省'
>>> province_name(None)
'境外及未知'
"""

from __future__ import annotations

PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}
OTHER = "境外及未知"


def province_name(prefix: str | None) -> str:
    """The province of a two-digit region prefix, or ``OTHER``."""
    return PROVINCES.get(prefix or "", OTHER)
