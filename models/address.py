"""Chengdu residence addresses: one normaliser (the key every address comparison uses) and a parser.

`normalise_address` is the single key the shared-data store indexes by and the checks compare with:
two strings name the same dwelling exactly when they normalise to the same text (as far as text can
tell). It is idempotent. `parse_address` splits an address into its administrative and dwelling
parts for routing; it never guesses a district it cannot read (routing decides against the city
configuration and flags what it cannot decide).

Pure string code: no I/O, nothing loaded at import time beyond a few compiled patterns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# --- reference names -----------------------------------------------------------------------------
# Chengdu's county-level units (GB/T 2260) as written in addresses. They mirror config/city/districts.yaml
# (test_address checks they agree); the normaliser has no city parameter because it is a key function.
CHENGDU_UNITS: tuple[str, ...] = (
    "锦江区", "青羊区", "金牛区", "武侯区", "成华区", "龙泉驿区", "青白江区", "新都区", "温江区", "双流区",
    "郫都区", "新津区", "金堂县", "大邑县", "蒲江县", "都江堰市", "彭州市", "邛崃市", "崇州市", "简阳市",
)  # fmt: skip
# Former names still written by people who registered before the change, mapped to today's unit.
FORMER_UNIT_NAMES: dict[str, str] = {
    "双流县": "双流区",
    "郫县": "郫都区",
    "新津县": "新津区",
    "温江县": "温江区",
    "新都县": "新都区",
    "彭县": "彭州市",
    "灌县": "都江堰市",
    "崇庆县": "崇州市",
    "邛崃县": "邛崃市",
}
ZONES: tuple[str, ...] = ("高新区", "天府新区", "东部新区")
# Longer and official spellings of the zones (after the 四川/成都 prefix is gone), to their short name.
_ZONE_ALIASES: tuple[tuple[str, str], ...] = (
    ("高新技术产业开发区", "高新区"),
    ("高新技术开发区", "高新区"),
    ("高新南区", "高新区"),
    ("高新西区", "高新区"),
    ("高新东区", "高新区"),
    ("天府新区成都直管区", "天府新区"),
    ("天府新区直管区", "天府新区"),
)

# --- Chinese numerals ----------------------------------------------------------------------------
_CN_DIGIT = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_SEGMENT = "一二三四五六七八九十"
_CN_RUN = "[零〇○一二两三四五六七八九十百千]+"


def chinese_to_int(text: str) -> int | None:
    """十二 -> 12, 一百零五 -> 105, 两千零一 -> 2001, 五零一 -> 501 (digit by digit); None if not a numeral.

    Handles 0..9999: house, building, unit and room numbers never need 万.
    """
    if not text or any(ch not in _CN_DIGIT and ch not in _CN_UNIT for ch in text):
        return None
    if not any(ch in _CN_UNIT for ch in text):
        # 五零一 is read digit by digit, the way room numbers are spoken.
        return int("".join(str(_CN_DIGIT[ch]) for ch in text))
    total, current, last_unit = 0, 0, 0
    after_zero = False
    for ch in text:
        if ch in _CN_UNIT:
            unit = _CN_UNIT[ch]
            if last_unit and unit >= last_unit:
                return None  # 十百 and the like: not a well-formed numeral
            total += (current or 1) * unit
            current, last_unit, after_zero = 0, unit, False
        else:
            digit = _CN_DIGIT[ch]
            if digit == 0:
                after_zero = True
            elif current:
                return None  # two digits in a row inside a unit numeral
            current = digit
    if current and last_unit > 10 and not after_zero:
        # 一百五 means 150, not 105 (the trailing digit takes the next lower unit).
        current *= last_unit // 10
    return total + current


def int_to_chinese(n: int) -> str:
    """1..99 as a segment numeral the way road names write it: 4 -> 四, 12 -> 十二."""
    tens, ones = divmod(n, 10)
    if not 0 < n < 100:
        raise ValueError(n)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_SEGMENT[tens - 1] + "十")
    return head + ("" if ones == 0 else _CN_SEGMENT[ones - 1])


# --- the normaliser's rules, in order ------------------------------------------------------------
_BRACKETS = str.maketrans(dict.fromkeys("【〔[{〖（<《", "(") | dict.fromkeys("】〕]}〗）>》", ")"))
# Characters kept through the punctuation purge: brackets (may enclose a real part), '-' (3-2-501),
# '#' (3#楼 = building 3, rewritten below).
_KEEP_PUNCT = frozenset("()-#")
_STRAY_DASH = re.compile(r"(?<![0-9A-Z])-|-(?![0-9A-Z])")
_LEADING_PREFIX = re.compile(r"^(?:中华人民共和国|中国|四川省|四川|成都市|成都)+")
# A Chinese numeral in a dwelling position: before a marker, or after 附.
_MARKERS = "号|栋|幢|座|单元|室|户|房|楼|层|组|附"
_CN_BEFORE_MARKER = re.compile(rf"(?<![零〇○一二两三四五六七八九十百千])({_CN_RUN})(?={_MARKERS})")
_CN_AFTER_ANNEX = re.compile(rf"(?<=附)({_CN_RUN})")
_CN_FINAL_ROOM = re.compile(rf"(?:(?<=栋)|(?<=幢)|(?<=座)|(?<=单元)|(?<=楼)|(?<=层)|(?<=号))({_CN_RUN})$")
_ARABIC_SEGMENT = re.compile(r"(?<![\d-])(\d{1,2})段")


def _purge(text: str) -> str:
    """NFKC, upper-case, one bracket style, and no whitespace, control or meaningless punctuation."""
    # NFKC turns full-width digits, letters, brackets and the ideographic space into their ASCII forms.
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).upper()).translate(_BRACKETS)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        # Whitespace, controls and zero-width characters separate nothing in a Chinese address.
        if cat[0] in "ZC" or ch.isspace():
            continue
        # 、，。·—… and the like only separate parts; the parts themselves carry the meaning.
        if cat[0] in "PS" and ch not in _KEEP_PUNCT:
            continue
        out.append(ch)
    text = "".join(out)
    # A '-' means something only between two numbers (3-2-501, 12-1号); elsewhere it is a separator.
    text = re.sub(r"-+", "-", text)
    text = _STRAY_DASH.sub("", text)
    # Removing a space can leave a combining mark next to a letter it composes with: compose again.
    return unicodedata.normalize("NFKC", text)


def _convert_numerals(text: str) -> str:
    """Chinese numerals in house/building/unit/room/floor/group positions become Arabic digits."""

    def arabic(match: re.Match[str]) -> str:
        value = chinese_to_int(match.group(1))
        return match.group(1) if value is None else str(value)

    text = _CN_BEFORE_MARKER.sub(arabic, text)
    text = _CN_AFTER_ANNEX.sub(arabic, text)
    # A final room number after the building or unit, written out (2单元五零一).
    text = _CN_FINAL_ROOM.sub(arabic, text)
    # Official road names write segments in Chinese (人民南路四段); 人民南路4段 is the same road.
    return _ARABIC_SEGMENT.sub(
        lambda m: int_to_chinese(int(m.group(1))) + "段" if 0 < int(m.group(1)) < 100 else m.group(0), text
    )


def _unify_markers(text: str) -> str:
    """One spelling for each dwelling marker, so 3幢/3座/3号楼/3# all read 3栋 and 501户/501房 read 501室."""
    # 附属3号 and 附3 are the annex number 附3号.
    text = text.replace("附属", "附")
    text = re.sub(r"附(\d+)(?!\d|号)", r"附\1号", text)
    # 12附3号 leaves out the first 号 of 12号附3号.
    text = re.sub(r"(\d)附(?=\d)", r"\1号附", text)
    # 12号院3栋: the 院 names the compound at house number 12, which is the same dwelling key.
    text = re.sub(r"(\d号)院", r"\1", text)
    # 3号楼, 3幢, 3座, 3#楼 and 3# are all building 3.
    text = re.sub(r"([0-9A-Z]+)(?:号楼|幢|座|#楼|#)", r"\1栋", text)
    text = text.replace("#", "")
    # 501户 and 501房 name the room as 501室 does.
    text = re.sub(r"(\d+)(?:户|房间|房)", r"\1室", text)
    # 2-单元 / 2-室: a stray dash before the marker.
    text = re.sub(r"(\d)-(?=单元|栋|室)", r"\1", text)
    # 12号3-2-501: building-unit-room written with dashes after the house number.
    text = re.sub(r"(?<=号)(\d+)-(\d+)-(\d+)(?:室|号)?$", r"\1栋\2单元\3室", text)
    # A final bare number (or one ending in 号) after a building, unit, floor or house number is the room.
    text = re.sub(r"(?:(?<=栋)|(?<=单元)|(?<=楼)|(?<=层)|(?<=\d号))(\d+)(?:号|室)?$", r"\1室", text)
    # A rewrite may have put a marker next to a dash: such a dash no longer joins two numbers.
    text = _STRAY_DASH.sub("", text)
    # Empty brackets carry nothing.
    while "()" in text:
        text = text.replace("()", "")
    # Dropping brackets or dashes can bring a combining mark next to its letter: compose again.
    return unicodedata.normalize("NFKC", text)


def _strip_prefix(text: str) -> tuple[str, str]:
    """(the 四川省/成都市 prefix, the rest): the city is implied, and applicants write it or not."""
    match = _LEADING_PREFIX.match(text)
    if not match:
        return "", text
    return match.group(0), text[match.end() :]


def _canonical_unit_names(text: str, *, former: bool = True) -> str:
    """Long zone names (and, with former, former county names) at the head become today's short names."""
    for alias, short in _ZONE_ALIASES:
        if text.startswith(alias):
            return short + text[len(alias) :]
    if not former:
        return text
    for old, new in sorted(FORMER_UNIT_NAMES.items(), key=lambda kv: -len(kv[0])):
        if text.startswith(old):
            return new + text[len(old) :]
    return text


def _clean(text: str, *, rename_former: bool = True) -> tuple[str, str]:
    """(prefix, cleaned rest): every surface rule of the normaliser except dropping subdistricts."""
    text = _purge(text)
    prefix, text = _strip_prefix(text)
    text = _canonical_unit_names(text, former=rename_former)
    # A rewrite can expose another (附3 -> 附3号 puts a following numeral after 号): run to a fixed point.
    for _ in range(8):
        before = text
        text = _unify_markers(_convert_numerals(text))
        if text == before:
            break
    return prefix, text


# --- segmentation --------------------------------------------------------------------------------
_OTHER_PROVINCE = re.compile(r"^(.{2,3}?省|.{2,8}?自治区)")
_OTHER_CITY = re.compile(
    r"^([^\d()区县路街巷道号镇乡村]{2,4}?(?:市|自治州|地区|盟))(?=[^\d()]{1,4}?[区县市旗])"
)
_OTHER_DISTRICT = re.compile(r"^([^\d()路街巷道号镇乡村社]{1,4}?(?:区|县|市|旗))")
_SUBDISTRICT = re.compile(r"^([^\d()]{1,6}?街道(?:办事处|办)?)")
_TOWN = re.compile(r"^([^\d()路巷]{1,5}?[镇乡])")
# After a town name, a one-character road suffix means the town's name is part of the road (赵镇正街).
_TOWN_ROAD = re.compile(r"^.?(?:路|街|巷|道)(?:\d|$)")
_COMMUNITY = re.compile(r"^([^\d()]{1,8}?社区(?:居委会|居民委员会)?)")
_ROAD = re.compile(rf"^(.*(?:大道|大街|路|街|巷|胡同|里|道)(?:[{_CN_SEGMENT}]+段|[^\d()号]{{1,6}}段)?)")
_BARE_ROAD = re.compile(r"^[^\d()A-Z-]{2,12}$")
_HOUSE_NUMBER = re.compile(r"(?<!附)(\d+(?:-\d+)?)号")
_TAIL_TOKEN = re.compile(r"附(\d+)号|([0-9A-Z]+)栋|(\d+)单元|(\d+)室")


@dataclass(frozen=True)
class AddressParts:
    """An address split into parts, each as written after normalisation (None when absent)."""

    province: str | None = None
    city: str | None = None
    district: str | None = None  # the county-level unit as written (郫县 stays 郫县)
    zone: str | None = None  # 高新区 / 天府新区 / 东部新区
    subdistrict: str | None = None  # …街道 / …镇 / …乡
    community: str | None = None  # …社区
    road: str | None = None  # …路/街/大道/巷, with its 段 (人民南路四段)
    number: str | None = None  # 门牌号 incl. annex: "12" or "12附3"
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    rest: str = ""  # whatever no rule recognised, in order


@dataclass
class _Segment:
    kind: str
    text: str


def _split_prefix(prefix: str, text: str) -> tuple[str | None, str | None, str]:
    """The province and city written before the unit: 四川/成都 from the stripped prefix, or another."""
    province = "四川省" if "四川" in prefix else None
    city = "成都市" if "成都" in prefix else None
    if text.startswith((*CHENGDU_UNITS, *FORMER_UNIT_NAMES, *ZONES)):
        return province, city, text
    if province is None and (m := _OTHER_PROVINCE.match(text)):
        province, text = m.group(1), text[m.end() :]
    if city is None and (m := _OTHER_CITY.match(text)):
        city, text = m.group(1), text[m.end() :]
    return province, city, text


def _segments(text: str, *, other_city: bool) -> list[_Segment]:
    """The cleaned address (prefix gone) cut into kinds, in order; concatenating the texts gives it back."""
    segs: list[_Segment] = []

    def take(kind: str, pattern: re.Pattern[str]) -> bool:
        nonlocal text
        m = pattern.match(text)
        if not m or not m.group(1):
            return False
        segs.append(_Segment(kind, m.group(1)))
        text = text[len(m.group(1)) :]
        return True

    unit_names = sorted((*CHENGDU_UNITS, *FORMER_UNIT_NAMES), key=len, reverse=True)
    for name in unit_names:
        if text.startswith(name):
            segs.append(_Segment("district", name))
            text = text[len(name) :]
            break
    else:
        if other_city:
            take("district", _OTHER_DISTRICT)
    for zone in ZONES:
        if text.startswith(zone):
            segs.append(_Segment("zone", zone))
            text = text[len(zone) :]
            break
    if not take("subdistrict", _SUBDISTRICT) and (town := _TOWN.match(text)):
        after = text[town.end() :]
        if not _TOWN_ROAD.match(after):
            take("subdistrict", _TOWN)
    take("community", _COMMUNITY)

    number = _HOUSE_NUMBER.search(text)
    head, tail = (text[: number.start()], text[number.start() :]) if number else (text, "")
    road = _ROAD.match(head)
    if road and road.group(1):
        segs.append(_Segment("road", road.group(1)))
        head = head[road.end() :]
    elif number and _BARE_ROAD.match(head):
        # A name right before the house number is the road even without its 路/街 (玉林北12号).
        segs.append(_Segment("road", head))
        head = ""
    if head:
        segs.append(_Segment("rest", head))
    if number:
        segs.append(_Segment("number", number.group(0)))
        tail = tail[len(number.group(0)) :]
    pos = 0
    for m in _TAIL_TOKEN.finditer(tail):
        if m.start() > pos:
            segs.append(_Segment("rest", tail[pos : m.start()]))
        kind = ("annex", "building", "unit", "room")[m.lastindex - 1 if m.lastindex else 0]
        segs.append(_Segment(kind, m.group(0)))
        pos = m.end()
    if pos < len(tail):
        segs.append(_Segment("rest", tail[pos:]))
    return segs


def normalise_address(text: str) -> str:
    """The comparison key of an address: same dwelling, same key; idempotent.

    Rules (each also documented where it is applied): NFKC and upper-case; no whitespace or
    separating punctuation; no leading 中国/四川省/四川/成都市/成都 (the city is implied); former county
    names and long zone names become today's short names; Chinese numerals in dwelling positions become
    Arabic (十二号 -> 12号), Arabic road segments become Chinese (4段 -> 四段); 幢/座/号楼/# -> 栋,
    户/房 -> 室, 附属 -> 附, 12附3 -> 12号附3号, 12号院 -> 12号, 3-2-501 -> 3栋2单元501室, a final bare
    room number gets 室; and the 街道/镇 and 社区 are dropped when a road and house number follow,
    because people write them or leave them out at will and the road and number already fix the place.
    """
    prefix, cleaned = _clean(text)
    _, city, rest = _split_prefix(prefix, cleaned)
    head = cleaned[: len(cleaned) - len(rest)]
    segs = _segments(rest, other_city=city is not None and city != "成都市")
    kinds = {s.kind for s in segs}
    located = "road" in kinds and "number" in kinds
    return head + "".join(s.text for s in segs if not (located and s.kind in ("subdistrict", "community")))


def parse_address(text: str) -> AddressParts:
    """The parts of an address, after the same surface rules as normalise_address (numerals, markers)."""
    prefix, cleaned = _clean(text, rename_former=False)
    province, city, rest = _split_prefix(prefix, cleaned)
    segs = _segments(rest, other_city=city is not None and city != "成都市")
    found: dict[str, str] = {}
    leftovers: list[str] = []
    for seg in segs:
        if seg.kind == "rest" or seg.kind in found:
            leftovers.append(seg.text)
            continue
        found[seg.kind] = seg.text
    number = found.get("number")
    if number is not None:
        number = number.removesuffix("号")
        if "annex" in found:
            number += "附" + found["annex"].removeprefix("附").removesuffix("号")
    return AddressParts(
        province=province,
        city=city,
        district=found.get("district"),
        zone=found.get("zone"),
        subdistrict=found.get("subdistrict"),
        community=found.get("community"),
        road=found.get("road"),
        number=number,
        building=found["building"].removesuffix("栋") if "building" in found else None,
        unit=found["unit"].removesuffix("单元") if "unit" in found else None,
        room=found["room"].removesuffix("室") if "room" in found else None,
        rest="".join(leftovers),
    )


def canonical_unit_name(name: str) -> str:
    """Today's name of a county-level unit or zone as written (郫县 -> 郫都区, 高新西区 -> 高新区)."""
    return _canonical_unit_names(name)
