"""The address normaliser (the comparison key) and parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.city import load_city
from models.address import (
    CHENGDU_UNITS,
    FORMER_UNIT_NAMES,
    ZONES,
    chinese_to_int,
    normalise_address,
    parse_address,
)
from samplecity.addresses import chinese_number

CANON = "武侯区玉林北路12号3栋2单元501室"


@pytest.mark.parametrize(
    "written",
    [
        "四川省成都市武侯区玉林街道玉林北路12号3栋2单元501",  # shared-data canonical form
        "成都市武侯区玉林北路12号3栋2单元501",
        "四川成都武侯区玉林北路12号3栋2单元501室",
        "武侯区玉林北路12号3栋2单元501室",
        "成都市武侯区玉林北路十二号3栋2单元501",  # Chinese house number
        "武侯区玉林北路十二号三栋二单元五零一室",  # every number in Chinese, room digit by digit
        "武侯区玉林北路１２号３栋２单元５０１",  # full-width digits
        "武侯区玉林北路12号3幢2单元501",  # 幢
        "武侯区玉林北路12号3号楼2单元501",  # 号楼
        "武侯区玉林北路12号3座2单元501",  # 座
        "武侯区玉林北路12号3#2单元501",  # 3#
        "武侯区玉林北路12号3栋2单元501号",  # room with 号
        "武侯区玉林北路12号3栋2单元501户",
        "武侯区玉林北路12号3栋2单元501房",
        "武侯区玉林北路12号3-2-501",  # building-unit-room with dashes
        "武侯区玉林北路12号院3栋2单元501",  # 号院
        " 成都市　武侯区 玉林北路 12 号，3 栋 2 单元 501 室 ",  # spaces, ideographic space, comma
        "成都市·武侯区、玉林北路12号3栋-2单元501",
        "武侯区玉林社区玉林北路12号3栋2单元501",  # community dropped like the subdistrict
    ],
)
def test_surface_forms_of_one_dwelling_share_one_key(written: str) -> None:
    assert normalise_address(written) == CANON


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("武侯区玉林北路12号附3号", "武侯区玉林北路12号附3号"),
        ("武侯区玉林北路12号附属3号", "武侯区玉林北路12号附3号"),
        ("武侯区玉林北路12附3号", "武侯区玉林北路12号附3号"),
        ("武侯区玉林北路十二号附三号", "武侯区玉林北路12号附3号"),
        ("武侯区玉林北路12号附3", "武侯区玉林北路12号附3号"),
        ("武侯区玉林北路12号附3号501", "武侯区玉林北路12号附3号501室"),
        ("武侯区玉林北路12号501", "武侯区玉林北路12号501室"),
        ("武侯区玉林北路12号501号", "武侯区玉林北路12号501室"),
        ("武侯区人民南路4段105号", "武侯区人民南路四段105号"),  # segments are Chinese in road names
        ("武侯区人民南路四段一百零五号", "武侯区人民南路四段105号"),
        ("武侯区金履一路一号", "武侯区金履一路1号"),  # the 一 of the road name stays
        ("高新区天府三街两百号", "高新区天府三街200号"),
        ("武侯区玉林北路二千零一号", "武侯区玉林北路2001号"),
        ("大邑县安仁镇红星村三组十二号", "大邑县安仁镇红星村3组12号"),  # no road: the town stays
        ("郫县犀浦镇天府大道北段12号", "郫都区天府大道北段12号"),  # former county name
        ("双流县东升街道棠湖路1号", "双流区棠湖路1号"),
        ("新津县五津街道1号", "新津区五津街道1号"),  # no road: the subdistrict stays
        ("成都高新技术产业开发区桂溪街道天府大道北段1号", "高新区天府大道北段1号"),
        ("四川天府新区成都直管区华阳街道正东街5号", "天府新区正东街5号"),
        ("成都东部新区贾家街道1号", "东部新区贾家街道1号"),
        ("四川省绵阳市涪城区临园路12号", "绵阳市涪城区临园路12号"),  # other cities keep their city
        ("金牛区天回镇街道天回路5号", "金牛区天回路5号"),  # 天回镇街道 is one subdistrict
        ("金堂县赵镇正街1号", "金堂县赵镇正街1号"),  # 赵镇 is part of the road name here
        ("双流区彭镇彭镇正街48号", "双流区彭镇正街48号"),
        ("武侯区玉林北路(玉林小区)12号", "武侯区玉林北路(玉林小区)12号"),  # brackets kept with content
        ("武侯区玉林北路【】12号", "武侯区玉林北路12号"),  # empty brackets dropped
        ("武侯区玉林北路12号A座1单元3楼", "武侯区玉林北路12号A栋1单元3楼"),
        ("", ""),
    ],
)
def test_normalise(written: str, key: str) -> None:
    assert normalise_address(written) == key
    assert normalise_address(key) == key


@pytest.mark.parametrize(
    ("text", "value"),
    [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("一百零五", 105), ("一百五", 150), ("两百", 200),
     ("一千零一", 1001), ("九千九百九十九", 9999), ("五零一", 501), ("〇", 0), ("十百", None), ("玉", None)],
)  # fmt: skip
def test_chinese_to_int(text: str, value: int | None) -> None:
    assert chinese_to_int(text) == value


def test_parse_full_address() -> None:
    parts = parse_address("四川省成都市武侯区玉林街道玉林东路社区玉林北路十二号附3号3幢2单元501")
    assert (parts.province, parts.city, parts.district, parts.zone) == ("四川省", "成都市", "武侯区", None)
    assert (parts.subdistrict, parts.community, parts.road) == ("玉林街道", "玉林东路社区", "玉林北路")
    assert (parts.number, parts.building, parts.unit, parts.room, parts.rest) == (
        "12附3",
        "3",
        "2",
        "501",
        "",
    )


@pytest.mark.parametrize(
    ("written", "district", "zone", "subdistrict", "road", "number"),
    [
        ("郫县犀浦镇天府大道北段12号", "郫县", None, "犀浦镇", "天府大道北段", "12"),  # as written
        ("高新西区合作街道天宇路3号", None, "高新区", "合作街道", "天宇路", "3"),
        ("锦江区东大街牛市口段94号", "锦江区", None, None, "东大街牛市口段", "94"),
        ("武侯区人民南路4段1号", "武侯区", None, None, "人民南路四段", "1"),
        ("青羊区草市街街道草市街155号", "青羊区", None, "草市街街道", "草市街", "155"),
        ("玉林北路12号", None, None, None, "玉林北路", "12"),
        ("武侯区玉林北12号", "武侯区", None, None, "玉林北", "12"),  # a road without its suffix
        ("崇州市街子镇街子古镇路1号", "崇州市", None, "街子镇", "街子古镇路", "1"),
    ],
)
def test_parse_parts(
    written: str, district: str | None, zone: str | None, subdistrict: str | None, road: str, number: str
) -> None:
    parts = parse_address(written)
    assert (parts.district, parts.zone, parts.subdistrict, parts.road, parts.number) == (
        district,
        zone,
        subdistrict,
        road,
        number,
    )


def test_other_city_is_recognised() -> None:
    parts = parse_address("四川省绵阳市涪城区临园路12号")
    assert (parts.province, parts.city, parts.district) == ("四川省", "绵阳市", "涪城区")


def test_reference_names_agree_with_city_config() -> None:
    city = load_city()
    assert set(CHENGDU_UNITS) == {d.name for d in city.districts}
    assert set(ZONES) == {z.name for z in city.zones}
    former = {f.name: city.district_by_code(f.current_code).name for f in city.former_codes}
    assert all(former[old] == new for old, new in FORMER_UNIT_NAMES.items())


def test_configured_road_names_are_their_own_key() -> None:
    """Routing keys roads by the normaliser: a configured name must not be rewritten by it."""
    for station in load_city().stations:
        for road in station.jurisdiction.roads:
            assert normalise_address(road) == road, road


# --- properties -----------------------------------------------------------------------------------

_ROADS = st.sampled_from(["玉林北路", "人民南路四段", "金履一路", "东大街牛市口段", "草市街", "天府三街"])
_UNITS = st.sampled_from(["武侯区", "青羊区", "高新区", "郫都区", "崇州市", "金堂县", ""])
_PREFIX = st.sampled_from(["", "四川省成都市", "成都市", "四川成都", "成都"])
_NUM = st.integers(min_value=1, max_value=99)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def _addresses(draw: st.DrawFn) -> str:
    tail = f"{draw(_NUM)}号"
    if draw(st.booleans()):
        tail += f"附{draw(_NUM)}号"
    if draw(st.booleans()):
        tail += f"{draw(_NUM)}{draw(st.sampled_from(['栋', '幢', '号楼']))}"
        if draw(st.booleans()):
            tail += f"{draw(_NUM)}单元"
    if draw(st.booleans()):
        tail += f"{draw(st.integers(101, 3206))}{draw(st.sampled_from(['', '室', '号', '户']))}"
    return draw(_PREFIX) + draw(_UNITS) + draw(_ROADS) + tail


@given(st.one_of(_addresses(), st.text(max_size=40)))
def test_idempotent(text: str) -> None:
    key = normalise_address(text)
    assert normalise_address(key) == key


@given(_addresses())
def test_full_width_digits_give_the_same_key(text: str) -> None:
    assert normalise_address(text.translate(_FULLWIDTH)) == normalise_address(text)


@given(_addresses(), st.lists(st.tuples(st.integers(0, 60), st.sampled_from([" ", "\u3000", "\t", "\n"]))))
def test_whitespace_does_not_change_the_key(text: str, inserts: list[tuple[int, str]]) -> None:
    spaced = text
    for pos, space in sorted(inserts, reverse=True):
        spaced = spaced[:pos] + space + spaced[pos:]
    assert normalise_address(spaced) == normalise_address(text)


@given(
    _UNITS,
    _ROADS,
    _NUM,
    _NUM,
    _NUM,
    _NUM,
    st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_chinese_and_arabic_numbers_give_the_same_key(
    unit: str, road: str, house: int, building: int, entrance: int, room: int, chinese: list[bool]
) -> None:
    def written(n: int, use_chinese: bool) -> str:
        return chinese_number(n) if use_chinese else str(n)

    arabic = f"{unit}{road}{house}号{building}栋{entrance}单元{room}室"
    mixed = (
        f"{unit}{road}{written(house, chinese[0])}号{written(building, chinese[1])}栋"
        f"{written(entrance, chinese[2])}单元{written(room, chinese[3])}室"
    )
    assert normalise_address(mixed) == normalise_address(arabic)
