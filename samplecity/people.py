"""Synthetic people: GB 11643 ID numbers, names, hukou addresses, phones and ID-card backs.

Everything is drawn from a random.Random handed in by the caller, so a person depends only on the
seed of the rng that made them (the city model derives one rng per case and one for the background
population). Region codes are real GB/T 2260 county codes; Chengdu codes (5101xx) are used only when
the caller asks for a local person (the LOCAL_HUKOU scenario, landlords, background locals).

ID-card validity follows the real rule by age at issue: under 16 → 5 years, 16–25 → 10 years,
26–45 → 20 years, 46 and older → 长期 (valid_until None).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from stdnum.cn import ric

from samplecity.documents import IdCardBack, Person


@dataclass(frozen=True)
class Region:
    """A county-level unit outside (or, for locals, inside) Chengdu that issues ID cards."""

    code: str
    province: str  # "" for the municipalities (重庆市), whose city is the province-level unit
    city: str
    county: str
    towns: tuple[str, ...]
    ethnicities: tuple[str, ...] = ("汉",)

    @property
    def authority(self) -> str:
        """The 签发机关 on the card: county police bureau, or the city bureau's branch for a 区."""
        if self.county.endswith("区"):
            return f"{self.city}公安局{self.county}分局"
        return f"{self.county}公安局"


# Real county-level codes. Sichuan dominates Chengdu's migrant population, then Chongqing and the
# neighbouring provinces; a few far-away ones keep the region-code check honest.
# Data tables below: one entry per line (or a row of names) reads better than the formatter's layout.
# fmt: off
REGIONS: tuple[Region, ...] = (
    Region("511302", "四川省", "南充市", "顺庆区", ("中城街道", "北城街道", "潆溪街道", "共兴镇")),
    Region("511321", "四川省", "南充市", "南部县", ("南隆街道", "大桥镇", "定水镇", "升钟镇")),
    Region("511381", "四川省", "南充市", "阆中市", ("保宁街道", "七里街道", "老观镇", "千佛镇")),
    Region("510722", "四川省", "绵阳市", "三台县", ("潼川镇", "芦溪镇", "西平镇", "塔山镇")),
    Region("510703", "四川省", "绵阳市", "涪城区", ("城厢街道", "工区街道", "青义镇", "丰谷镇")),
    Region("511602", "四川省", "广安市", "广安区", ("北辰街道", "浓洄街道", "协兴镇", "花桥镇")),
    Region("511621", "四川省", "广安市", "岳池县", ("九龙街道", "朝阳街道", "罗渡镇", "苟角镇")),
    Region("511902", "四川省", "巴中市", "巴州区", ("江北街道", "宕梁街道", "曾口镇", "清江镇")),
    Region("511923", "四川省", "巴中市", "平昌县", ("同州街道", "江口镇", "驷马镇", "白衣镇")),
    Region("511702", "四川省", "达州市", "通川区", ("东城街道", "西城街道", "罗江镇", "蒲家镇")),
    Region("511722", "四川省", "达州市", "宣汉县", ("东乡街道", "南坝镇", "胡家镇", "峰城镇")),
    Region("510521", "四川省", "泸州市", "泸县", ("玉蟾街道", "福集镇", "立石镇", "海潮镇")),
    Region("511102", "四川省", "乐山市", "市中区", ("张公桥街道", "通江街道", "牟子镇", "苏稽镇")),
    Region("511028", "四川省", "内江市", "隆昌市", ("金鹅街道", "古湖街道", "响石镇", "胡家镇")),
    Region("512002", "四川省", "资阳市", "雁江区", ("莲花街道", "三贤祠街道", "临江镇", "保和镇")),
    Region("510802", "四川省", "广元市", "利州区", ("东坝街道", "嘉陵街道", "宝轮镇", "三堆镇")),
    Region("511502", "四川省", "宜宾市", "翠屏区", ("合江门街道", "白沙湾街道", "李庄镇", "菜坝镇")),
    Region("510922", "四川省", "遂宁市", "射洪市", ("太和街道", "子昂街道", "金华镇", "沱牌镇")),
    Region("511402", "四川省", "眉山市", "东坡区", ("通惠街道", "大石桥街道", "修文镇", "崇礼镇")),
    Region("511802", "四川省", "雅安市", "雨城区", ("东城街道", "河北街道", "多营镇", "草坝镇")),
    Region("513401", "四川省", "凉山彝族自治州", "西昌市", ("长安街道", "新村街道", "川兴镇", "安宁镇"),
           ("彝", "汉")),
    Region("513431", "四川省", "凉山彝族自治州", "昭觉县", ("新城镇", "谷曲乡", "竹核镇", "四开乡"), ("彝",)),
    Region("513322", "四川省", "甘孜藏族自治州", "泸定县", ("泸桥镇", "冷碛镇", "兴隆镇", "磨西镇"),
           ("藏", "汉")),
    Region("513223", "四川省", "阿坝藏族羌族自治州", "茂县", ("凤仪镇", "南新镇", "叠溪镇", "沙坝镇"),
           ("羌", "汉")),
    Region("513222", "四川省", "阿坝藏族羌族自治州", "理县", ("杂谷脑镇", "米亚罗镇", "古尔沟镇", "薛城镇"),
           ("藏", "羌")),
    Region("500101", "", "重庆市", "万州区", ("高笋塘街道", "牌楼街道", "分水镇", "龙驹镇")),
    Region("500229", "", "重庆市", "城口县", ("葛城街道", "复兴街道", "巴山镇", "坪坝镇")),
    Region("500230", "", "重庆市", "丰都县", ("三合街道", "名山街道", "高家镇", "虎威镇")),
    Region("500242", "", "重庆市", "酉阳土家族苗族自治县", ("桃花源街道", "钟多街道", "龙潭镇", "麻旺镇")),
    Region("411302", "河南省", "南阳市", "宛城区", ("东关街道", "新华街道", "瓦店镇", "红泥湾镇")),
    Region("430102", "湖南省", "长沙市", "芙蓉区", ("文艺路街道", "朝阳街道", "马坡岭街道", "东屯渡街道")),
    Region("532101", "云南省", "昭通市", "昭阳区", ("凤凰街道", "龙泉街道", "守望乡", "北闸镇")),
    Region("522401", "贵州省", "毕节市", "七星关区", ("市东街道", "洪山街道", "海子街镇", "鸭池镇")),
    Region("620102", "甘肃省", "兰州市", "城关区", ("临夏路街道", "张掖路街道", "雁南街道", "伏龙坪街道")),
    Region("622901", "甘肃省", "临夏回族自治州", "临夏市", ("城南街道", "八坊街道", "枹罕镇", "南龙镇"),
           ("回", "汉")),
    Region("640104", "宁夏回族自治区", "银川市", "兴庆区",
           ("凤凰北街街道", "玉皇阁北街街道", "掌政镇", "大新镇"), ("回", "汉")),
    Region("610302", "陕西省", "宝鸡市", "渭滨区", ("经二路街道", "清姜街道", "神农镇", "高家镇")),
    Region("421302", "湖北省", "随州市", "曾都区", ("西城街道", "东城街道", "万店镇", "府河镇")),
    Region("360731", "江西省", "赣州市", "于都县", ("贡江镇", "岭背镇", "罗坳镇", "葛坳乡")),
    Region("450102", "广西壮族自治区", "南宁市", "兴宁区", ("朝阳街道", "民生街道", "三塘镇", "五塘镇")),
    Region("370102", "山东省", "济南市", "历下区", ("解放路街道", "千佛山街道", "趵突泉街道", "泉城路街道")),
    Region("130102", "河北省", "石家庄市", "长安区", ("建北街道", "青园街道", "育才街道", "谈固街道")),
    Region("230103", "黑龙江省", "哈尔滨市", "南岗区", ("花园街道", "大成街道", "曲线街道", "和兴路街道")),
)

# Chengdu units used for local people (LOCAL_HUKOU applicants, landlords, background locals).
# 510124 郫县 is the former code of 郫都区: older Chengdu-born people still carry it.
LOCAL_REGIONS: tuple[Region, ...] = (
    Region("510104", "四川省", "成都市", "锦江区", ("春熙路街道", "书院街街道", "合江亭街道", "牛市口街道")),
    Region("510105", "四川省", "成都市", "青羊区", ("少城街道", "草市街街道", "府南街道", "光华街道")),
    Region("510106", "四川省", "成都市", "金牛区", ("荷花池街道", "驷马桥街道", "茶店子街道", "营门口街道")),
    Region("510107", "四川省", "成都市", "武侯区", ("玉林街道", "浆洗街街道", "簇桥街道", "红牌楼街道")),
    Region("510108", "四川省", "成都市", "成华区", ("猛追湾街道", "府青路街道", "二仙桥街道", "双桥子街道")),
    Region("510114", "四川省", "成都市", "新都区", ("新都街道", "大丰街道", "三河街道", "斑竹园街道")),
    Region("510121", "四川省", "成都市", "金堂县", ("赵镇街道", "淮口街道", "白果街道", "竹篙镇")),
    Region("510124", "四川省", "成都市", "郫县", ("郫筒镇", "犀浦镇", "红光镇", "唐昌镇")),
)

SURNAMES: tuple[str, ...] = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任",
    "沈", "姚", "卢", "钟", "谭", "廖", "贾", "夏", "付", "方", "白", "邹", "熊", "秦", "邱", "江",
    "尹", "雷", "侯", "龙", "陶", "贺", "毛", "龚", "万", "严", "向", "汤", "文", "易", "舒", "敬",
    "苟", "母", "晏", "欧阳", "司马", "上官",
)
# Common given-name characters, split by the sex they lean to; a name mixes in neutral ones.
GIVEN_MALE: tuple[str, ...] = tuple("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳成康峰建国")
GIVEN_FEMALE: tuple[str, ...] = tuple("芳娜敏静丽艳娟霞秀玲婷雪梅琳燕颖倩莉慧巧佳欣怡萍红玉兰凤琴蓉菲露瑶")
GIVEN_NEUTRAL: tuple[str, ...] = tuple("文晓小海思子嘉雨春秋宏永金德世少天一安晨家")
# Characters a naive OCR or a narrow character set trips over; a few people carry one.
RARE_CHARS: tuple[str, ...] = tuple("堃喆赟昇珺玥翀犇淼燚懿嫣祎琰彧昶")
YI_NAMES: tuple[str, ...] = ("阿牛木呷", "吉克曲布", "沙马阿果", "海来拉格", "俄木日哈", "吉伍木牛")
TIBETAN_NAMES: tuple[str, ...] = ("扎西多吉", "次仁央金", "卓玛", "泽仁拉姆", "格桑尼玛", "洛绒丹增")
# One-character swaps for NAME_MISMATCH: a plausible slip (homophone or look-alike), never identical.
NAME_SLIPS: dict[str, str] = {
    "伟": "玮", "强": "蔷", "磊": "雷", "军": "君", "勇": "永", "杰": "洁", "涛": "韬", "斌": "彬",
    "明": "鸣", "刚": "钢", "平": "萍", "辉": "晖", "鹏": "朋", "华": "骅", "飞": "菲", "波": "博",
    "宇": "雨", "浩": "皓", "俊": "骏", "芳": "方", "娜": "纳", "敏": "民", "静": "婧", "丽": "莉",
    "艳": "燕", "娟": "鹃", "霞": "侠", "玲": "琳", "婷": "亭", "梅": "玫", "颖": "莹", "红": "虹",
}
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187", "188",
    "189", "191", "198", "199",
)
# fmt: on


@dataclass(frozen=True)
class Identity:
    """A person as the ID card states them, plus the region their number comes from."""

    person: Person
    back: IdCardBack
    region: Region


def add_years(d: date, years: int) -> date:
    """The same calendar day `years` later; 29 Feb falls back to 28 Feb."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def add_months(d: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day."""
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def make_id_number(region_code: str, birth: date, sequence: int) -> str:
    """A valid 18-character GB 11643 number; sequence 1..999 (odd = male)."""
    body = f"{region_code}{birth:%Y%m%d}{sequence:03d}"
    # stdnum's calc_check_digit expects the full 18 characters and ignores the last one.
    return body + ric.calc_check_digit(body + "0")


def corrupt_check_digit(id_number: str, rng: random.Random) -> str:
    """The same number with a wrong check character (for ID_NUMBER_INVALID)."""
    good = id_number[-1]
    wrong = rng.choice([c for c in "0123456789X" if c != good])
    return id_number[:-1] + wrong


def random_sequence(rng: random.Random, sex: str) -> int:
    """A 3-digit sequence whose parity encodes sex (odd = male, per GB 11643)."""
    n = rng.randint(1, 499) * 2 - 1  # odd, 1..997
    return n if sex == "男" else n + 1


def random_phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def random_name(rng: random.Random, sex: str, ethnicity: str) -> str:
    if ethnicity == "彝":
        return rng.choice(YI_NAMES)
    if ethnicity == "藏":
        return rng.choice(TIBETAN_NAMES)
    # 回 and 羌 people mostly carry Han-style names; 马 is the classic Hui surname.
    surname = "马" if ethnicity == "回" and rng.random() < 0.6 else rng.choice(SURNAMES)
    pool = (GIVEN_MALE if sex == "男" else GIVEN_FEMALE) + GIVEN_NEUTRAL
    first = rng.choice(RARE_CHARS) if rng.random() < 0.04 else rng.choice(pool)
    if rng.random() < 0.3:
        # Single-character given names come from the gendered pool: 王小 or 李子 are not names.
        return surname + rng.choice(GIVEN_MALE if sex == "男" else GIVEN_FEMALE)
    return surname + first + rng.choice(pool)


def slip_name(name: str, rng: random.Random) -> str:
    """The name with one given-name character replaced (for NAME_MISMATCH)."""
    positions = [i for i in range(1, len(name)) if name[i] in NAME_SLIPS]
    if positions:
        i = rng.choice(positions)
        return name[:i] + NAME_SLIPS[name[i]] + name[i + 1 :]
    i = len(name) - 1
    replacement = rng.choice([c for c in GIVEN_NEUTRAL if c != name[i]])
    return name[:i] + replacement


def hukou_address(region: Region, rng: random.Random) -> str:
    """The 住址 printed on the card: province + city + county + town/street + village/road + number."""
    town = rng.choice(region.towns)
    if town.endswith(("镇", "乡")):
        place = f"{rng.choice('东南西北新红光和平')}{rng.choice('山河岭坝湾桥')}村{rng.randint(1, 12)}组"
    else:
        place = rng.choice(("人民", "解放", "建设", "胜利", "文化", "滨江")) + rng.choice(("路", "街", "巷"))
    return f"{region.province}{region.city}{region.county}{town}{place}{rng.randint(1, 188)}号"


def validity_years(age_at_issue: int) -> int | None:
    """Card validity by age at issue; None means 长期."""
    if age_at_issue < 16:
        return 5
    if age_at_issue <= 25:
        return 10
    if age_at_issue <= 45:
        return 20
    return None


def card_back(
    region: Region, birth: date, today: date, rng: random.Random, *, expired: bool
) -> IdCardBack | None:
    """An ID-card back consistent with the age rule: valid today (≥ 60 days left), or expired 15–300
    days ago when `expired` (for ID_CARD_EXPIRED). None when the age admits no such card (a 25-year-old's
    10-year card cannot have run out yet)."""
    for _ in range(60):
        if expired:
            until_target = today - timedelta(days=rng.randint(15, 300))
            years = rng.choice((5, 10, 20))
            valid_from = add_years(until_target, -years)
            if validity_years(age_on(birth, valid_from)) != years or valid_from < birth:
                continue
            return IdCardBack(region.authority, valid_from, add_years(valid_from, years))
        valid_from = today - timedelta(days=rng.randint(30, 20 * 365))
        if valid_from <= birth:
            continue
        years_or_none = validity_years(age_on(birth, valid_from))
        if years_or_none is None:
            return IdCardBack(region.authority, valid_from, None)
        until = add_years(valid_from, years_or_none)
        if until >= today + timedelta(days=60):
            return IdCardBack(region.authority, valid_from, until)
    return None


def make_identity(
    rng: random.Random,
    today: date,
    *,
    min_age: int = 18,
    max_age: int = 58,
    local: bool = False,
    expired_card: bool = False,
    region: Region | None = None,
) -> Identity:
    """A new person with a valid ID number, a card back and a hukou address in their region."""
    chosen = region
    for _ in range(100):
        region = chosen or rng.choice(LOCAL_REGIONS if local else REGIONS)
        sex = rng.choice(("男", "女"))
        age = rng.randint(min_age, max_age)
        birth = add_years(today, -age) - timedelta(days=rng.randint(1, 360))
        id_number = make_id_number(region.code, birth, random_sequence(rng, sex))
        # A checker validates with python-stdnum, which also knows when each region code existed
        # (e.g. 500101 only since 1997): redraw rather than plant an accidental ID_NUMBER_INVALID.
        back = card_back(region, birth, today, rng, expired=expired_card)
        if ric.is_valid(id_number) and back is not None:
            break
    else:  # pragma: no cover
        raise RuntimeError(f"no valid ID number for region {chosen}")
    ethnicity = rng.choice(region.ethnicities) if len(region.ethnicities) > 1 else region.ethnicities[0]
    person = Person(
        name=random_name(rng, sex, ethnicity),
        sex=sex,
        ethnicity=ethnicity,
        birth_date=birth,
        id_number=id_number,
        hukou_address=hukou_address(region, rng),
        phone=random_phone(rng),
        face_seed=rng.randint(0, 2**31 - 1),
    )
    return Identity(person, back, region)


# ----------------------------------------------------------------------------- hard addresses
# Hukou addresses that trip a reader up (issue 11): rare characters in the district's own name, old
# region codes whose district was renamed, a 省直辖 unit without a prefecture, and line breaks where
# the card puts them whatever the words (after 新 with 民 opening the next line, inside a number).
HARD_REGIONS: tuple[Region, ...] = (
    Region("510703", "四川省", "绵阳市", "涪城区", ("城厢街道", "工区街道", "青义镇", "丰谷镇")),
    # An old number (郫县 until 2016: 510117 郫都区 numbers belong to children) on a card whose address
    # already says 郫都区, and one that still says 郫县.
    Region("510124", "四川省", "成都市", "郫都区", ("郫筒街道", "犀浦街道", "红光街道", "唐昌街道")),
    Region("510124", "四川省", "成都市", "郫县", ("郫筒镇", "犀浦镇", "红光镇", "唐昌镇")),
    Region("510183", "四川省", "成都市", "邛崃市", ("临邛街道", "文君街道", "固驿街道", "平乐镇")),
    Region("511123", "四川省", "乐山市", "犍为县", ("玉津镇", "孝姑镇", "罗城镇", "清溪镇")),
    Region("511526", "四川省", "宜宾市", "珙县", ("巡场镇", "珙泉镇", "底洞镇", "孝儿镇")),
    Region("511527", "四川省", "宜宾市", "筠连县", ("筠连镇", "腾达镇", "巡司镇", "沐爱镇")),
    Region("511133", "四川省", "乐山市", "马边彝族自治县", ("民建镇", "荣丁镇", "劳动镇", "苏坝镇"),
           ("彝", "汉")),
    Region("510681", "四川省", "德阳市", "广汉市", ("雒城街道", "金鱼街道", "三星堆镇", "向阳镇")),
    Region("513433", "四川省", "凉山彝族自治州", "冕宁县", ("城厢镇", "泸沽镇", "漫水湾镇", "复兴镇"),
           ("彝", "汉")),
    Region("511824", "四川省", "雅安市", "石棉县", ("新棉街道", "棉城街道", "安顺场镇", "回隆镇")),
    Region("500102", "", "重庆市", "涪陵区", ("敦仁街道", "崇义街道", "珍溪镇", "蔺市街道")),
    Region("429004", "湖北省", "", "仙桃市", ("干河街道", "龙华山街道", "沔城回族镇", "郑场镇")),
    Region("522628", "贵州省", "黔东南苗族侗族自治州", "锦屏县", ("三江镇", "敦寨镇", "茅坪镇", "铜鼓镇"),
           ("苗", "侗", "汉")),
)  # fmt: skip


def hard_hukou_address(region: Region, rng: random.Random) -> tuple[str, tuple[str, ...]]:
    """An address in `region` and where the card breaks it (2 or 3 lines), the break placed after 新
    (民 opening the next line), after 号, inside a house number or anywhere."""
    town = rng.choice(region.towns)
    number = rng.randint(10, 188)
    unit = rng.choice(("村", "社区")) if town.endswith(("镇", "乡")) else "社区"
    place = f"新民{unit}{rng.randint(1, 12)}组{number}号"
    if rng.random() < 0.5:
        place = rng.choice(("建设路", "人民街", "民主巷", "新华路")) + f"{number}号"
    if rng.random() < 0.4:
        place += f"{rng.randint(1, 9)}栋{rng.randint(1, 4)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
    address = f"{region.province}{region.city}{region.county}{town}{place}"
    return address, address_breaks(address, rng)


def address_breaks(address: str, rng: random.Random) -> tuple[str, ...]:
    """Two or three lines of 8–13 characters (the last may be shorter), one break put where a reader
    is likely to stumble."""
    spots: list[int] = []
    if "新民" in address:
        spots.append(address.index("新民") + 1)  # 民 opens the next line
    spots += [i + 1 for i, ch in enumerate(address) if ch == "号" and i + 1 < len(address)]
    spots += [i for i in range(1, len(address)) if address[i - 1].isdigit() and address[i].isdigit()]
    for _ in range(50):
        n = 3 if len(address) > 24 or (len(address) > 18 and rng.random() < 0.5) else 2
        first = rng.choice([s for s in spots if s < len(address) - 1] or [len(address) // n])
        cuts = sorted({first, *(rng.randint(9, len(address) - 1) for _ in range(n - 2))})
        if n == 2 and len(cuts) == 1:
            cuts = [first]
        elif n == 3 and len(cuts) == 1:
            continue
        lines = [address[a:b] for a, b in zip([0, *cuts], [*cuts, len(address)], strict=True)]
        # Lines are set full but the last, which may hold a single character ("号").
        if all(8 <= len(ln) <= 13 for ln in lines[:-1]) and 1 <= len(lines[-1]) <= 13:
            return tuple(lines)
    per_line = math.ceil(len(address) / 3) if len(address) > 26 else 13
    return tuple(address[i : i + per_line] for i in range(0, len(address), per_line))


def make_hard_address_identity(
    rng: random.Random, today: date, *, region: Region | None = None
) -> tuple[Identity, tuple[str, ...]]:
    """A person from HARD_REGIONS (or `region`) with a hard hukou address, and its card line breaks."""
    identity = make_identity(rng, today, region=region or rng.choice(HARD_REGIONS))
    address, lines = hard_hukou_address(identity.region, rng)
    person = replace(identity.person, hukou_address=address)
    return Identity(person, identity.back, identity.region), lines
