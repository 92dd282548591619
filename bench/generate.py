"""A synthetic city for tests and benchmarks, deterministic from a seed.

Jurisdictions (city → districts → stations → communities → grids), houses, hotels with rooms,
employers with valid credit codes, persons with valid-checksum ID numbers (resident IDs from
many provinces plus locals, some Hong Kong/Macao/Taiwan permits and 2023 foreign permanent
resident numbers), Chinese names (polyphonic surnames such as 曾, 单, 仇 included; pinyin from
``registry.identity.names.forms``), phones, documents, a year of hotel stays, residences and
employments with open and closed valid-time intervals. A sprinkle of late reports, over-capacity and
unfiled houses, expired documents, manual captures and unregistered employers gives the
matchings something to find. Journal ``events`` rows are optional (``--events``).

Every value is synthetic: no real person's data. Rows go straight into the tables built by the
migrations, through ``registry.exchange.bulk`` (COPY on PostgreSQL, executemany on SQLite).

    python bench/generate.py --db sqlite:///city.sqlite --persons 1000000 --seed 7

As a module: ``generate(engine, persons=50_000, seed=1)`` or iterate ``City(...).tables()``.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, Engine, text

from registry.db.engine import make_engine
from registry.db.schema import upgrade
from registry.exchange import bulk
from registry.identity import names
from registry.identity.ids import parse, ric_check_digit

# Monday 2026-06-15 10:00 in Shanghai: the instant the tests use as "now".
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
CST = timedelta(hours=8)
ACTOR = "generator"
CHUNK = 20_000

CITY = ("440300", "深圳市")
DISTRICTS = (
    ("440303", "罗湖区"),
    ("440304", "福田区"),
    ("440305", "南山区"),
    ("440306", "宝安区"),
    ("440307", "龙岗区"),
    ("440308", "盐田区"),
    ("440309", "龙华区"),
    ("440310", "坪山区"),
    ("440311", "光明区"),
)

# Origin regions (GB/T 2260 codes valid in the historic table), weighted roughly like the
# migrant sources of a Pearl River Delta city: Guangdong, Hunan, Guangxi, Hubei, Jiangxi ...
_ORIGIN_TABLE = """
    广东省 20 441323惠东县 441523陆河县 445281普宁市 440882雷州市 441481兴宁市
    湖南省 14 430182宁乡市 430726石门县 431126宁远县 430521邵东县 433124花垣县 433127永顺县
    广西壮族自治区 10 450324全州县 450423蒙山县 451022田东县
    湖北省 8 420982安陆市 420984汉川市 421182武穴市 422822建始县 422823巴东县
    江西省 8 360222浮梁县 360730宁都县 360983高安市 360121南昌县
    河南省 8 410622淇县 411325内乡县 411421民权县
    四川省 7 511381阆中市 511825天全县 511923平昌县 513226金川县 513323丹巴县
    重庆市 4 500237巫山县 500240石柱土家族自治县 500103渝中区
    福建省 3 350121闽侯县 350583南安市 350825连城县
    贵州省 3 522628锦屏县 522725瓮安县 522726独山县 522623施秉县 522627天柱县
    安徽省 2 340122肥东县 341221临泉县 341323灵璧县 340121长丰县 340621濉溪县
    江苏省 1 320682如皋市 320723灌云县 321023宝应县
    浙江省 1 330282慈溪市 330521德清县 330921岱山县 330122桐庐县 330127淳安县
    山东省 1 370829嘉祥县 371427夏津县 371622阳信县
    河北省 1 130229玉田县 130725尚义县 131082三河市
    山西省 1 140225浑源县 140427壶关县 140724昔阳县 140121清徐县
    陕西省 1 610522潼关县 610726宁强县 610825定边县 610326眉县
    云南省 1 530128禄劝彝族苗族自治县 532531绿春县 530124富民县
    海南省 1 469002琼海市 469021定安县
    黑龙江省 1 230123依兰县 231221望奎县
    吉林省 1 220182榆树市 222401延吉市
    辽宁省 1 210922彰武县 211224昌图县
    甘肃省 1 620525张家川回族自治县 621223宕昌县
    内蒙古自治区 1 150821五原县 152224突泉县
    北京市 1 110105朝阳区 110108海淀区
    上海市 1 310104徐汇区 310115浦东新区
    天津市 1 120104南开区
    新疆维吾尔自治区 1 650521巴里坤哈萨克自治县
    宁夏回族自治区 1 640324同心县
    青海省 1 632802德令哈市
    西藏自治区 1 540330边坝县
"""
ORIGINS: tuple[tuple[str, int, tuple[tuple[str, str], ...]], ...] = tuple(
    (province, int(weight), tuple((place[:6], place[6:]) for place in places))
    for province, weight, *places in (line.split() for line in _ORIGIN_TABLE.strip().splitlines())
)
DISTRICT_NAMES = dict(DISTRICTS)
HMT = (("810000", "香港"), ("820000", "澳门"), ("830000", "台湾"))
# 2023 foreign permanent resident numbers: 9 + province of issue + ISO 3166 numeric country.
FOREIGN = (
    ("840", "USA", "约翰·史密斯", "JOHN SMITH"),
    ("410", "KOR", "金敏俊", "KIM MINJUN"),
    ("392", "JPN", "佐藤健", "SATO KEN"),
    ("643", "RUS", "伊万·彼得罗夫", "IVAN PETROV"),
    ("586", "PAK", "阿里·汗", "ALI KHAN"),
    ("704", "VNM", "阮文安", "NGUYEN VAN AN"),
    ("276", "DEU", "托马斯·穆勒", "THOMAS MUELLER"),
)

# Surnames with rough frequency weights; 曾, 单, 仇, 解, 查, 区, 乐, 朴 are polyphonic.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤单仇解查区乐朴翟盖"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰华红玉梅建国文辉鹏飞宇浩然子涵欣怡梓轩"
    "雨萱佳琪思远志强海燕春秀玲晓东丹凤亮成斌凯俊峰婷雪琳颖慧宁波鑫晨阳彬德福荣贵祥瑞嘉乐"
    "长行重朝和都传调率曲藏解单"
)
STREET_WORDS = (
    "深南", "滨海", "沙河", "桃园", "龙珠", "前海", "科苑", "南海", "创业", "宝安", "新安",
    "西乡", "福永", "沙井", "松岗", "布吉", "坂田", "横岗", "龙城", "民治", "观澜", "大浪",
    "石岩", "公明", "梅林", "香蜜", "华强", "东门", "翠竹", "莲塘", "沙头", "福华", "益田",
    "红荔", "笋岗", "泥岗", "清水河", "蛇口", "后海", "大冲",
)
STREET_KINDS = ("路", "大道", "街", "一路", "二路", "三路", "巷")
ESTATE_WORDS = ("花园", "新村", "公寓", "小区", "家园", "苑", "大厦", "村")
TOWNS = ("城关", "新华", "和平", "石桥", "龙泉", "东风", "河口", "白沙", "黄田", "青山")
HOTEL_BRANDS = (
    "如家", "汉庭", "7天", "锦江之星", "格林豪泰", "维也纳", "城市便捷", "海友", "宜必思",
)
INDUSTRIES = (("C", "电子科技"), ("F", "商贸"), ("E", "建筑工程"), ("H", "餐饮管理"),
              ("I", "信息技术"), ("G", "物流"), ("O", "家政服务"), ("C", "五金制品"))
def _unique(seen: set[tuple[str, str]], jurisdiction: str, text: str) -> str:
    """``text`` made unique in its jurisdiction by a numbered suffix, without drawing from
    the generator (the rest of the data stays what the seed gave): the registry refuses a
    second venue of one name or house at one address in a jurisdiction (issue #19)."""
    candidate, n = text, 1
    while (jurisdiction, candidate) in seen:
        n += 1
        candidate = f"{text}（{n}）"
    seen.add((jurisdiction, candidate))
    return candidate


POSTS = ("普工", "操作员", "技术员", "厨师", "服务员", "保安", "司机", "快递员", "店员", "文员")
ETHNIC = ("01",) * 90 + ("03", "05", "06", "08", "08", "08", "12", "13", "15", "22")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _uscc_check(code17: str) -> str:
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code17, weights, strict=True))
    return USCC_ALPHABET[(31 - total) % 31]


class FastRandom(random.Random):
    """``random.Random`` whose integer draws are one float draw (fast; bias below 2**-40)."""

    def _randbelow(self, n: int) -> int:  # type: ignore[override]
        return int(self.random() * n)


class _Ids:
    """Deterministic random-looking UUIDs by index: an odd multiplier bijection mod 2**128."""

    def __init__(self, rng: random.Random) -> None:
        self.mul = rng.getrandbits(128) | 1
        self.add = rng.getrandbits(128)

    def __call__(self, i: int) -> uuid.UUID:
        return uuid.UUID(int=((i + 1) * self.mul + self.add) & ((1 << 128) - 1))


def _region_valid(region: str, year: int) -> bool:
    """Whether the historic GB/T 2260 table knows ``region`` for a person born in ``year``."""
    first17 = f"{region}{year}0601001"
    return not parse(first17 + ric_check_digit(first17)).warnings


@functools.cache
def _regions(cat: int, year: int) -> tuple[list[tuple[str, str, str]], list[float]]:
    """(province, region code, county) choices for locals (0) or floating persons (1)."""
    if cat == 0:
        weighted = [(("广东省深圳市", code, name), 1.0) for code, name in DISTRICTS]
    else:
        weighted = [
            ((province, code, name), weight / len(places))
            for province, weight, places in ORIGINS
            for code, name in places
        ]
    kept = [(choice, w) for choice, w in weighted if _region_valid(choice[1], year)]
    return [c for c, _ in kept], list(itertools.accumulate(w for _, w in kept))


@functools.cache
def _forms(name: str) -> tuple[str, str]:
    return names.forms(name)


def _local_day(instant: datetime) -> date:
    return (instant + CST).date()


@dataclass
class Stats:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class Jur:
    code: str
    name: str
    level: str
    parent: str | None
    path: str


class City:
    """The rows of one synthetic city, table by table, in foreign-key order."""

    def __init__(
        self,
        persons: int,
        seed: int = 1,
        *,
        now: datetime = NOW,
        stays_per_person: float = 1.0,
        events: bool = False,
    ) -> None:
        if persons < 10:
            raise ValueError("a city needs at least 10 persons")
        self.n = persons
        self.seed = seed
        self.now = now
        self.stays_per_person = stays_per_person
        self.events = events
        self.rng = FastRandom(seed)
        rng = self.rng
        self.person_id = _Ids(rng)
        self.document_id = _Ids(rng)
        self.n_stations = max(2, persons // 20_000)
        self.n_houses = max(5, persons // 3)
        self.n_hotels = max(2, persons // 2_000)
        self.n_employers = max(3, persons // 200)
        # Filled while generating, used by later tables.
        self.grids: list[str] = []
        self.communities: list[str] = []
        self.house_ids: list[uuid.UUID] = []
        self.house_grid: list[str] = []
        self.house_capacity: list[int] = []
        self.house_crowded: bytearray = bytearray()
        self.hotels: list[tuple[uuid.UUID, str, list[str]]] = []
        self.employers: list[tuple[uuid.UUID, str]] = []
        self.category = bytearray(persons)  # 0 local, 1 floating, 2 hmt, 3 foreign
        self._name_pool: list[tuple[str, str, str]] = []
        self._name_cum: list[float] = []
        self.streets = [w + k for w in STREET_WORDS for k in STREET_KINDS]

    # ---------------------------------------------------------------- places

    def jurisdictions(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        city_code, city_name = CITY
        nodes = [Jur(city_code, city_name, "city", None, f"/{city_code}/")]
        districts = DISTRICTS[: max(1, min(len(DISTRICTS), self.n_stations))]
        for s in range(self.n_stations):
            dcode, dname = districts[s % len(districts)]
            if s < len(districts):
                nodes.append(Jur(dcode, dname, "district", city_code, f"/{city_code}/{dcode}/"))
            dpath = f"/{city_code}/{dcode}/"
            scode = f"{dcode}{s + 1:03d}"
            word = rng.choice(STREET_WORDS)
            nodes.append(Jur(scode, f"{word}派出所", "station", dcode, f"{dpath}{scode}/"))
            for c in range(4):
                ccode = f"{scode}{c + 1:02d}"
                cname = f"{rng.choice(STREET_WORDS)}社区"
                cpath = f"{dpath}{scode}/{ccode}/"
                nodes.append(Jur(ccode, cname, "community", scode, cpath))
                self.communities.append(ccode)
                for g in range(3):
                    gcode = f"{ccode}{g + 1:02d}"
                    nodes.append(Jur(gcode, f"第{g + 1}网格", "grid", ccode, f"{cpath}{gcode}/"))
                    self.grids.append(gcode)
        return [(j.code, j.name, j.level, j.parent, j.path) for j in nodes]

    def _address(self, grid: str) -> tuple[str, str, str, str, str, str]:
        rng = self.rng
        street = rng.choice(self.streets)
        estate = rng.choice(STREET_WORDS) + rng.choice(ESTATE_WORDS)
        number = rng.randint(1, 399)
        building, unit, room = rng.randint(1, 30), rng.randint(1, 4), rng.randint(1, 33) * 100
        room += rng.randint(1, 12)
        district = DISTRICT_NAMES.get(grid[:6], "")
        address = f"深圳市{district}{street}{number}号{estate}{building}栋{unit}单元{room}室"
        plate = f"{grid[:6]}{street[:2]}{number:03d}{building:02d}{unit}{room:04d}"
        return address, street, f"{building}栋", f"{unit}单元", f"{room}室", plate

    def houses(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        seen_addresses: set[tuple[str, str]] = set()
        for i in range(self.n_houses):
            hid = uuid.UUID(int=rng.getrandbits(128))
            grid = rng.choice(self.grids)
            address, street, building, unit, room, plate = self._address(grid)
            address = _unique(seen_addresses, grid, address)  # one house per address (#19)
            use = rng.choices(("rental", "owner", "dormitory"), (85, 10, 5))[0]
            capacity = rng.choice((2, 3, 4, 4, 5, 6, 8)) if use != "dormitory" else 12
            unfiled = rng.random() < 0.08
            landlord = self.person_id(rng.randrange(self.n)) if rng.random() < 0.93 else None
            filing = None if unfiled else f"ZL{grid[:6]}{i:08d}"
            pledge = not (unfiled and rng.random() < 0.5)
            self.house_ids.append(hid)
            self.house_grid.append(grid)
            self.house_capacity.append(capacity)
            self.house_crowded.append(1 if rng.random() < 0.02 else 0)
            created = self.now - timedelta(days=rng.randint(400, 2000))
            yield (
                hid, grid, address, street, building, unit, room, f"{plate}-{i}", landlord,
                use, rng.randint(1, 4), capacity, filing, pledge, created,
            )

    def venues(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        seen_names: set[tuple[str, str]] = set()
        for _ in range(self.n_hotels):
            vid = uuid.UUID(int=rng.getrandbits(128))
            community = rng.choice(self.communities)
            street = rng.choice(self.streets)
            name = f"{rng.choice(HOTEL_BRANDS)}酒店（{street}{rng.randint(1, 99)}店）"
            name = _unique(seen_names, community, name)  # one venue per name (#19)
            floors, per_floor = rng.randint(2, 8), rng.randint(8, 20)
            rooms = [f"{f}{r:02d}" for f in range(1, floors + 1) for r in range(1, per_floor + 1)]
            self.hotels.append((vid, community, rooms))
            created = self.now - timedelta(days=rng.randint(400, 3000))
            yield (vid, name, "hotel", community, f"深圳市{street}{rng.randint(1, 399)}号", created)
        for kind, label in (("intermediary", "房屋租赁中介"), ("station", "社区服务站")):
            for c in self.communities[:: max(1, len(self.communities) // 20)]:
                vid = uuid.UUID(int=rng.getrandbits(128))
                yield (vid, f"{c}{label}", kind, c, None, self.now - timedelta(days=500))

    def rooms(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for vid, _community, rooms in self.hotels:
            for number in rooms:
                yield (uuid.UUID(int=rng.getrandbits(128)), vid, number, rng.choice((1, 2, 2, 3)))

    def employers_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for i in range(self.n_employers):
            eid = uuid.UUID(int=rng.getrandbits(128))
            community = rng.choice(self.communities)
            section, trade = rng.choice(INDUSTRIES)
            word = rng.choice(STREET_WORDS) + rng.choice("华兴达盛鑫源通泰信和")
            registered = rng.random() > 0.02
            code = None
            if registered:
                body = "91" + community[:6] + "".join(rng.choices(USCC_ALPHABET, k=9))
                code = body + _uscc_check(body)
            self.employers.append((eid, community))
            headcount = rng.randint(5, 300) if registered else None
            created = self.now - timedelta(days=rng.randint(400, 3000))
            yield (
                eid, f"深圳市{word}{trade}有限公司{i}", code, section,
                f"深圳市{rng.choice(self.streets)}{rng.randint(1, 399)}号", community,
                headcount, registered, created,
            )

    # --------------------------------------------------------------- persons

    def _names(self) -> None:
        rng = self.rng
        size = max(500, min(200_000, self.n // 5))
        seen: set[str] = set()
        pool: list[tuple[str, str, str]] = []
        surnames = list(SURNAMES)
        s_weights = [1.0 / (i + 3) for i in range(len(surnames))]
        while len(pool) < size:
            surname = rng.choices(surnames, s_weights)[0]
            given = "".join(rng.choices(GIVEN, k=1 if rng.random() < 0.3 else 2))
            name = surname + given
            if name in seen:
                continue
            seen.add(name)
            full, initials = names.forms(name)
            pool.append((name, full, initials))
        self._name_pool = pool
        self._name_cum = list(itertools.accumulate(1.0 / (i + 20) for i in range(size)))

    def _number(self, region: str, born: date, gender: str, used: set[str]) -> str:
        rng = self.rng
        while True:
            seq = rng.randint(0, 99) * 10 + rng.randrange(1 if gender == "1" else 0, 10, 2)
            first17 = f"{region}{born:%Y%m%d}{seq:03d}"
            number = first17 + ric_check_digit(first17)
            if number not in used:
                used.add(number)
                return number

    def persons(self) -> Iterator[tuple[list[dict[str, Any]], list[tuple[Any, ...]]]]:
        """Chunks of (persons as mappings, documents as tuples)."""
        if not self._name_pool:
            self._names()
        rng = self.rng
        used: set[str] = set()
        phone_heads = ("13", "15", "17", "18", "19", "13", "18")
        for start in range(0, self.n, CHUNK):
            people: list[dict[str, Any]] = []
            docs: list[tuple[Any, ...]] = []
            picks = rng.choices(self._name_pool, cum_weights=self._name_cum, k=CHUNK)
            for i in range(start, min(self.n, start + CHUNK)):
                name, full, initials = picks[i - start]
                r = rng.random()
                cat = 0 if r < 0.25 else 1 if r < 0.95 else 2 if r < 0.98 else 3
                gender = "1" if rng.random() < 0.55 else "2"
                age_days = rng.randint(18 * 365, 62 * 365) if rng.random() < 0.93 else (
                    rng.randint(1, 18 * 365 - 1)
                )
                born = _local_day(self.now) - timedelta(days=age_days)
                english = nationality = None
                if cat == 0 and not _regions(0, born.year)[0]:
                    cat = 1  # no district of today's city existed when this person was born
                self.category[i] = cat
                if cat < 2:
                    pool, cum = _regions(cat, born.year)
                    province, region, county = rng.choices(pool, cum_weights=cum)[0]
                    if cat == 0:
                        doc_type, category = "resident", "local"
                        street = rng.choice(self.streets)
                        hukou = f"{province}{county}{street}{rng.randint(1, 399)}号"
                    else:
                        doc_type, category = "resident", "floating"
                        hukou = (
                            f"{province}{county}{rng.choice(TOWNS)}镇"
                            f"{rng.choice(STREET_WORDS)}村{rng.randint(1, 200)}号"
                        )
                elif cat == 2:
                    region, county = rng.choice(HMT)
                    doc_type, category = "hmt_permit", "hmt"
                    hukou = None
                else:
                    code, nationality, name, english = rng.choice(FOREIGN)
                    full, initials = _forms(name)
                    region = "944" + code
                    doc_type, category = "foreign_2023", "foreign"
                    hukou = None
                number = self._number(region, born, gender, used)
                created = self.now - timedelta(seconds=rng.randint(3600, 3 * 365 * 86400))
                pid = self.person_id(i)
                phone = None
                if rng.random() < 0.9:
                    phone = rng.choice(phone_heads) + f"{rng.randrange(10**9):09d}"
                people.append(
                    {
                        "id": pid,
                        "id_key": f"{doc_type}:{number}",
                        "doc_type": doc_type,
                        "number": number,
                        "name": name,
                        "name_pinyin": full,
                        "name_initials": initials,
                        "english_name": english,
                        "gender": gender,
                        "ethnicity": rng.choice(ETHNIC) if cat < 2 else None,
                        "birth_date": born,
                        "nationality": nationality,
                        "hukou_address": hukou,
                        "hukou_region": region if cat < 3 else None,
                        "phone": phone,
                        "category": category,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                chip = rng.random() > 0.04
                valid_from = _local_day(created) - timedelta(days=rng.randint(0, 3000))
                long_term = age_days > 46 * 365 and doc_type == "resident"
                valid_to = None if long_term else valid_from + timedelta(
                    days=3652 if age_days > 26 * 365 else 1826
                )
                if valid_to is not None and rng.random() < 0.02:
                    valid_to = _local_day(self.now) - timedelta(days=rng.randint(1, 200))
                docs.append(
                    (
                        self.document_id(i), pid, doc_type, number,
                        f"{county}公安局" if cat < 2 else "国家移民管理局",
                        valid_from, valid_to, long_term, "chip" if chip else "manual",
                        created if chip else None,
                        name if chip else None, gender if chip else None,
                        born if chip else None,
                        people[-1]["ethnicity"] if chip else None,
                        hukou if chip else None, created,
                    )
                )
            yield people, docs

    # ----------------------------------------------------------------- links

    def _pick_house(self, occupancy: list[int]) -> int:
        rng = self.rng
        for _ in range(6):
            h = rng.randrange(self.n_houses)
            if self.house_crowded[h] or occupancy[h] < self.house_capacity[h]:
                return h
        return h

    def residences(self) -> Iterator[list[tuple[Any, ...]]]:
        rng = self.rng
        occupancy = [0] * self.n_houses
        today = _local_day(self.now)
        rows: list[tuple[Any, ...]] = []
        for i in range(self.n):
            cat = self.category[i]
            if (cat == 0 and rng.random() > 0.3) or (cat > 0 and rng.random() > 0.8):
                continue
            pid, doc = self.person_id(i), self.document_id(i)
            relation = "owner" if cat == 0 else rng.choices(
                ("tenant", "co-tenant", "family", "dormitory"), (60, 20, 15, 5)
            )[0]
            current_from = today - timedelta(days=rng.randint(0, 720))
            spans: list[tuple[date, date | None]] = []
            if rng.random() < 0.2:  # an earlier, closed residence
                before = current_from - timedelta(days=rng.randint(30, 400))
                spans.append((before, current_from - timedelta(days=rng.randint(0, 10))))
            if rng.random() < 0.05:  # moved out recently, nothing open
                spans.append((current_from, min(today, current_from + timedelta(days=60))))
            else:
                spans.append((current_from, None))
            for valid_from, valid_to in spans:
                h = self._pick_house(occupancy)
                if valid_to is None:
                    occupancy[h] += 1
                late = rng.random() < 0.03
                reported = valid_from + timedelta(
                    days=rng.randint(5, 40) if late else rng.randint(0, 2)
                )
                reported_at = datetime(
                    reported.year, reported.month, reported.day, rng.randint(1, 11), tzinfo=UTC
                )
                planned_end = None
                if valid_to is None and rng.random() < 0.1:
                    planned_end = valid_from + timedelta(days=rng.randint(30, 800))
                dep_at = dep_deadline = reason = None
                if valid_to is not None:
                    dep_at = datetime(
                        valid_to.year, valid_to.month, valid_to.day, 3, tzinfo=UTC
                    )
                    dep_deadline = valid_to + timedelta(days=3)
                    reason = "合同到期"
                rows.append(
                    (
                        uuid.UUID(int=rng.getrandbits(128)), pid, self.house_ids[h],
                        self.house_grid[h], valid_from, valid_to, planned_end, relation,
                        rng.choice(("landlord", "intermediary", "self", "employer")), reason,
                        "chip" if rng.random() > 0.05 else "manual", doc, ACTOR, reported_at,
                        valid_from + timedelta(days=3), dep_at, dep_deadline,
                    )
                )
            if len(rows) >= CHUNK:
                yield rows
                rows = []
        if rows:
            yield rows

    def employments(self) -> Iterator[list[tuple[Any, ...]]]:
        rng = self.rng
        today = _local_day(self.now)
        rows: list[tuple[Any, ...]] = []
        weights = [1.0 / (k + 5) for k in range(len(self.employers))]
        cum = list(itertools.accumulate(weights))
        for i in range(self.n):
            if (self.category[i] == 0 and rng.random() > 0.3) or rng.random() > 0.5:
                continue
            eid, community = rng.choices(self.employers, cum_weights=cum)[0]
            valid_from = today - timedelta(days=rng.randint(0, 900))
            valid_to = None
            if rng.random() < 0.15:
                valid_to = min(today, valid_from + timedelta(days=rng.randint(20, 300)))
            reported = datetime(
                valid_from.year, valid_from.month, valid_from.day, 4, tzinfo=UTC
            ) + timedelta(days=rng.randint(0, 5))
            rows.append(
                (
                    uuid.UUID(int=rng.getrandbits(128)), self.person_id(i), eid, community,
                    valid_from, valid_to, rng.choice(POSTS),
                    "离职" if valid_to else None, ACTOR, reported,
                )
            )
            if len(rows) >= CHUNK:
                yield rows
                rows = []
        if rows:
            yield rows

    def stays(self) -> Iterator[list[tuple[Any, ...]]]:
        rng = self.rng
        total = int(self.n * self.stays_per_person)
        year = 365 * 86400
        rows: list[tuple[Any, ...]] = []
        made = 0
        while made < total:
            vid, community, rooms = rng.choice(self.hotels)
            room = rng.choice(rooms)
            party = uuid.UUID(int=rng.getrandbits(128))
            checked_in = self.now - timedelta(seconds=rng.randint(600, year))
            nights = rng.choice((1, 1, 1, 2, 2, 3, 4, 7))
            out = checked_in + timedelta(days=nights, hours=rng.randint(-6, 4))
            checked_out = out if out < self.now else None
            expected = _local_day(checked_in) + timedelta(days=nights)
            for _ in range(2 if rng.random() < 0.2 else 1):
                i = rng.randrange(self.n)
                foreign = self.category[i] >= 2
                deadline = checked_in + timedelta(hours=24 if foreign else 0)
                late = rng.random() < 0.01
                reported = deadline + timedelta(hours=rng.randint(1, 48)) if late else (
                    checked_in
                )
                chip = rng.random() > 0.03
                rows.append(
                    (
                        uuid.UUID(int=rng.getrandbits(128)), self.person_id(i), vid, room,
                        community, party, checked_in, expected, checked_out,
                        "chip" if chip else "manual", self.document_id(i), ACTOR,
                        f"desk-{vid.hex[:6]}", deadline, reported,
                    )
                )
                made += 1
            if len(rows) >= CHUNK:
                yield rows
                rows = []
        if rows:
            yield rows

    # ---------------------------------------------------------------- tables

    def tables(self) -> Iterator[tuple[str, Sequence[str], list[Any]]]:
        """(table, columns, chunk of rows) in foreign-key order; persons come as mappings."""
        yield "jurisdictions", JURISDICTION_COLUMNS, self.jurisdictions()
        yield "houses", HOUSE_COLUMNS, list(self.houses())
        yield "venues", VENUE_COLUMNS, list(self.venues())
        yield "rooms", ROOM_COLUMNS, list(self.rooms())
        yield "employers", EMPLOYER_COLUMNS, list(self.employers_rows())
        for people, docs in self.persons():
            yield "persons", (), people
            yield "documents", DOCUMENT_COLUMNS, docs
        for chunk in self.residences():
            yield "residences", RESIDENCE_COLUMNS, chunk
            if self.events:
                yield "events", EVENT_COLUMNS, [_residence_event(r) for r in chunk]
        for chunk in self.employments():
            yield "employments", EMPLOYMENT_COLUMNS, chunk
        for chunk in self.stays():
            yield "stays", STAY_COLUMNS, chunk
            if self.events:
                yield "events", EVENT_COLUMNS, [e for r in chunk for e in _stay_events(r)]


JURISDICTION_COLUMNS = ("code", "name", "level", "parent_code", "path")
HOUSE_COLUMNS = (
    "id", "jurisdiction_code", "address", "street", "building", "unit", "room", "door_plate",
    "landlord_id", "use", "rooms", "capacity", "filing_number", "pledge_signed", "created_at",
)
VENUE_COLUMNS = ("id", "name", "kind", "jurisdiction_code", "address", "created_at")
ROOM_COLUMNS = ("id", "venue_id", "number", "beds")
EMPLOYER_COLUMNS = (
    "id", "name", "uscc", "industry", "address", "jurisdiction_code", "headcount", "registered",
    "created_at",
)
DOCUMENT_COLUMNS = (
    "id", "person_id", "doc_type", "number", "issuer", "valid_from", "valid_to", "long_term",
    "capture", "read_at", "card_name", "card_gender", "card_birth_date", "card_ethnicity",
    "card_address", "created_at",
)
RESIDENCE_COLUMNS = (
    "id", "person_id", "house_id", "jurisdiction_code", "valid_from", "valid_to", "planned_end",
    "relation", "reporter", "end_reason", "capture", "document_id", "registered_by",
    "reported_at", "report_deadline", "departure_reported_at", "departure_deadline",
)
EMPLOYMENT_COLUMNS = (
    "id", "person_id", "employer_id", "jurisdiction_code", "valid_from", "valid_to", "post",
    "end_reason", "registered_by", "reported_at",
)
STAY_COLUMNS = (
    "id", "person_id", "venue_id", "room", "jurisdiction_code", "party_id", "checked_in_at",
    "expected_checkout", "checked_out_at", "capture", "document_id", "registered_by", "terminal",
    "report_deadline", "reported_at",
)
EVENT_COLUMNS = (
    "id", "occurred_at", "actor", "terminal", "action", "subject_kind", "subject_id",
    "person_id", "jurisdiction_code", "detail",
)


def _event_id(subject: uuid.UUID, n: int) -> uuid.UUID:
    return uuid.UUID(int=(subject.int ^ (0x9E3779B97F4A7C15 * (n + 1))) & ((1 << 128) - 1))


def _residence_event(r: tuple[Any, ...]) -> tuple[Any, ...]:
    rid, pid, hid, code, valid_from = r[0], r[1], r[2], r[3], r[4]
    detail = {"house": str(hid), "on": valid_from.isoformat(), "relation": r[7]}
    return (_event_id(rid, 0), r[13], ACTOR, None, "residence.moved_in", "residence", rid, pid,
            code, detail)


def _stay_events(r: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    sid, pid, vid, room, code = r[0], r[1], r[2], r[3], r[4]
    events = [
        (_event_id(sid, 0), r[6], ACTOR, r[12], "stay.checked_in", "stay", sid, pid, code,
         {"venue": str(vid), "room": room, "capture": r[9], "party": str(r[5])})
    ]
    if r[8] is not None:
        events.append(
            (_event_id(sid, 1), r[8], ACTOR, r[12], "stay.checked_out", "stay", sid, pid, code,
             {"at": r[8].isoformat()})
        )
    return events


def load(bind: Engine | Connection, city: City) -> Stats:
    """Write the city into a migrated database in one transaction."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            return load(conn, city)
    started = time.perf_counter()
    stats = Stats()
    if bind.dialect.name == "sqlite":  # random UUID keys: keep the indexes in memory
        bind.exec_driver_sql("PRAGMA cache_size=-1000000")
    for table, columns, rows in city.tables():
        if table == "persons":
            n = bulk.bulk_load_persons(bind, rows)
        else:
            n = bulk.bulk_load(bind, table, columns, rows)
        stats.rows[table] = stats.rows.get(table, 0) + n
    stats.seconds = time.perf_counter() - started
    return stats


def generate(
    bind: Engine | str,
    persons: int,
    seed: int = 1,
    *,
    migrate: bool = True,
    analyze: bool = True,
    **options: Any,
) -> Stats:
    """Migrate the database, load a city of ``persons`` persons, ANALYZE; returns row counts."""
    engine = make_engine(bind) if isinstance(bind, str) else bind
    if migrate:
        upgrade(engine)
    stats = load(engine, City(persons, seed, **options))
    if analyze:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database URL (migrated if needed)")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stays-per-person", type=float, default=1.0)
    parser.add_argument("--events", action="store_true", help="also write journal events")
    args = parser.parse_args(argv)
    stats = generate(
        args.db,
        args.persons,
        args.seed,
        stays_per_person=args.stays_per_person,
        events=args.events,
    )
    total = sum(stats.rows.values())
    for table, n in stats.rows.items():
        print(f"{table:14} {n:>10,}")
    print(f"{'total':14} {total:>10,} rows in {stats.seconds:.1f} s "
          f"({total / max(stats.seconds, 1e-9):,.0f} rows/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
