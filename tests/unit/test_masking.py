"""Masking helpers: what leaves the case DB never carries the full value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.address import CHENGDU_UNITS, ZONES, int_to_chinese, normalise_address
from models.masking import mask_address, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("王小明", "王**"), ("欧阳娜娜", "欧阳**"), ("", "")]
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_mask_address_hides_the_house_number() -> None:
    masked = mask_address("四川省成都市武侯区玉林街道玉林北路12号3栋2单元501")
    assert masked.startswith("四川省成都市武侯区玉林街道玉林北路")
    assert "12号" not in masked and "501" not in masked


@given(st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True))
def test_masked_id_number_hides_birth_date_and_sequence(id_number: str) -> None:
    masked = mask_id_number(id_number)
    assert len(masked) == 18
    assert masked[4:14] == "*" * 10
    assert masked[:4] == id_number[:4] and masked[-4:] == id_number[-4:]


# mask_address over the forms the address normaliser reads (models/address.py): the kept part is the
# street, never any character of the house number, whichever way the number is written.
_CN_DIGITS = "零一二三四五六七八九"
_CN_NUMERALS = "零〇○一二两三四五六七八九十百千"
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_PLACES = st.tuples(
    st.sampled_from(["", "四川省成都市", "成都市", "成都"]),
    st.sampled_from(CHENGDU_UNITS + ZONES),
    st.sampled_from(["", "玉林街道", "赵镇", "三圣乡"]),
    st.sampled_from(
        ["", "玉林北路", "人民南路四段", "一环路", "天府大道北段", "府青路二段", "建设巷", "玉林小区"]
    ),
).map("".join)


@st.composite
def _number(draw: st.DrawFn, low: int = 1, high: int = 2999) -> str:
    """A number as people write it: 12, １２ or 十二 (digit by digit for rooms: 五零一)."""
    value = draw(st.integers(low, high))
    form = draw(st.sampled_from(["arabic", "full_width", "chinese"]))
    if form == "arabic":
        return str(value)
    if form == "full_width":
        return str(value).translate(_FULL_WIDTH)
    # Room numbers are spoken digit by digit (五零一), small house numbers as numbers (十二).
    return int_to_chinese(value) if value < 100 else "".join(_CN_DIGITS[int(d)] for d in str(value))


@st.composite
def _house_part(draw: st.DrawFn) -> str:
    number = draw(_number())
    house = draw(st.sampled_from(["", "甲", "B"])) + number
    house += draw(st.sampled_from(["号", "号", "", "号院"]))
    annex = draw(st.sampled_from(["", "附{}号", "附{}", "之{}", "-{}", "附属{}号"]))
    house += annex.format(draw(_number(1, 20)))
    building = draw(st.sampled_from(["", "{}栋", "{}幢", "{}座", "{}号楼", "{}#", "{}#楼"]))
    unit = draw(st.sampled_from(["", "{}单元"]))
    room = draw(st.sampled_from(["", "{}室", "{}", "{}户", "{}房"]))
    for part, bound in ((building, 40), (unit, 9), (room, 2999)):
        house += part.format(draw(_number(1, bound)))
    gap = draw(st.sampled_from(["", " ", "　"]))
    # A note after the number. After a bare Chinese numeral only in brackets: 一旁边巷 reads as a
    # name to the normaliser too, so nothing marks 一 as a number there.
    notes = ["", "(临街)", "（近地铁站路口）"]
    if house[-1] not in _CN_NUMERALS:
        notes += ["旁边巷道口", "街面房"]
    return gap + house + draw(st.sampled_from(notes))


@given(_PLACES, _house_part())
def test_mask_address_never_shows_the_house_number(place: str, house: str) -> None:
    address = place + house
    for written in (address, normalise_address(address)):
        masked = mask_address(written)
        assert masked.endswith("****"), (written, masked)
        visible = masked.removesuffix("****")
        assert written.startswith(visible), (written, masked)
        # Nothing after the place: as written, the visible text is part of `place` itself.
        if written == address:
            assert len(visible) <= len(place), (written, masked)
        assert not any(ch.isdigit() for ch in visible), (written, masked)


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("武侯区玉林北路12号附3号街面房", "武侯区玉林北路****"),
        ("武侯区玉林小区十二栋三单元五零一", "武侯区玉林小区****"),
        ("金堂县赵镇正街１２号", "金堂县赵镇正街****"),
        ("青羊区鼓楼北一街甲5号", "青羊区鼓楼北一街****"),
        ("成华区建设路街道建设路12号(临街)", "成华区建设路街道建设路****"),
        ("武侯区", "武侯区"),
    ],
)
def test_mask_address_examples(address: str, masked: str) -> None:
    assert mask_address(address) == masked
