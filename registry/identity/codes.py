"""Code tables the core and the drivers share: gender (GB/T 2261.1), ethnicity (GB/T 3304).

Keyed by code, never by position: cards carry 97 and 98 beyond the 56 groups.
"""

from __future__ import annotations

GENDERS: dict[str, str] = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}

ETHNICITIES: dict[str, str] = {
    "01": "汉",
    "02": "蒙古",
    "03": "回",
    "04": "藏",
    "05": "维吾尔",
    "06": "苗",
    "07": "彝",
    "08": "壮",
    "09": "布依",
    "10": "朝鲜",
    "11": "满",
    "12": "侗",
    "13": "瑶",
    "14": "白",
    "15": "土家",
    "16": "哈尼",
    "17": "哈萨克",
    "18": "傣",
    "19": "黎",
    "20": "傈僳",
    "21": "佤",
    "22": "畲",
    "23": "高山",
    "24": "拉祜",
    "25": "水",
    "26": "东乡",
    "27": "纳西",
    "28": "景颇",
    "29": "柯尔克孜",
    "30": "土",
    "31": "达斡尔",
    "32": "仫佬",
    "33": "羌",
    "34": "布朗",
    "35": "撒拉",
    "36": "毛南",
    "37": "仡佬",
    "38": "锡伯",
    "39": "阿昌",
    "40": "普米",
    "41": "塔吉克",
    "42": "怒",
    "43": "乌孜别克",
    "44": "俄罗斯",
    "45": "鄂温克",
    "46": "德昂",
    "47": "保安",
    "48": "裕固",
    "49": "京",
    "50": "塔塔尔",
    "51": "独龙",
    "52": "鄂伦春",
    "53": "赫哲",
    "54": "门巴",
    "55": "珞巴",
    "56": "基诺",
    "97": "其他",
    "98": "外国血统中国籍人士",
}


def gender_name(code: str | None) -> str:
    """Chinese name of a gender code; unknown codes are shown as they are."""
    if code is None:
        return ""
    return GENDERS.get(code, code)


def ethnicity_code(text: str) -> str | None:
    """The GB/T 3304 code ``text`` names: the code (``01``), the name (``汉``) or the name
    with 族 (``汉族``); None when it names none."""
    text = text.strip()
    if text in ETHNICITIES:
        return text
    return _BY_NAME.get(text.removesuffix("族")) or _BY_NAME.get(text)


def ethnicity_name(code: str | None) -> str:
    """Chinese name of an ethnicity code (without 族); unknown codes are shown as they are."""
    if code is None:
        return ""
    return ETHNICITIES.get(code, code)

_BY_NAME = {name: code for code, name in ETHNICITIES.items()}

# GB/T 4754-2017 国民经济行业分类: the 20 sections (门类) A–T.
INDUSTRY_SECTIONS: dict[str, str] = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}
