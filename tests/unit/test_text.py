"""Shared OCR-text helpers: normalising, wrapped lines, dates, ID numbers, credit codes, money, labels."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import ric

from documents.text import (
    completes_legal_name,
    find_dates,
    find_id_numbers,
    find_uscc,
    join_wrapped_lines,
    legal_name,
    normalise_ocr_text,
    parse_amount_yuan,
    parse_date,
    value_after_label,
)


def _with_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


ID = _with_check("51130219980305123")
USCC = "91510100MA61R8XY1B"  # valid per stdnum.cn.uscc (checked below)


def test_sample_numbers_are_valid() -> None:
    from stdnum.cn import uscc

    assert ric.is_valid(ID)
    assert uscc.is_valid(USCC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("出 租 方 〈甲方〉: 张 三", "出租方（甲方）：张三"),
        ("身份证号码：５１０１０４", "身份证号码：510104"),
        ("月租金 3,500.00 元", "月租金3,500.00元"),
        ("时间 12:30", "时间12:30"),
        ("NO. 12 栋", "NO. 12栋"),
        ("《中华人民共和国民法典》", "（中华人民共和国民法典）"),
    ],
)
def test_normalise_ocr_text(raw: str, expected: str) -> None:
    assert normalise_ocr_text(raw) == expected


def test_join_wrapped_lines_by_words_not_punctuation() -> None:
    lines = [
        "房屋租赁合同",
        "出租方（甲方）张三",  # colon dropped by OCR: the label word still starts a line
        "身份证号码 510104196503121234",
        "第一条 房屋基本情况",
        "甲方将其房屋出租给乙方使用。房屋坐落：四川省成都市武侯区玉林街道玉林北",
        "路12号3栋2单元501。",
        "二、租赁期限",
    ]
    assert join_wrapped_lines(lines) == [
        "房屋租赁合同",
        "出租方（甲方）张三",
        "身份证号码510104196503121234",
        "第一条房屋基本情况",
        "甲方将其房屋出租给乙方使用。房屋坐落：四川省成都市武侯区玉林街道玉林北路12号3栋2单元501。",
        "二、租赁期限",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026年3月5日", date(2026, 3, 5)),
        ("2026年03月05日", date(2026, 3, 5)),
        ("2026.03.05", date(2026, 3, 5)),
        ("2026-3-5", date(2026, 3, 5)),
        ("2026/03/05", date(2026, 3, 5)),
        ("二〇二六年三月五日", date(2026, 3, 5)),
        ("二〇二六年十二月三十一日", date(2026, 12, 31)),
        ("2026 年 3 月 5 日", date(2026, 3, 5)),
        ("成立日期2015年07月3o日", date(2015, 7, 30)),  # OCR read 0 as o
        ("2026年２月２８日", date(2026, 2, 28)),  # full-width digits
        ("2026-02-30", None),
        ("2026年13月1日", None),
        ("第3条", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_find_dates_in_reading_order() -> None:
    text = "租赁期限自2026年1月1日起至二〇二六年十二月三十一日止，签订于2025-12-20"
    assert find_dates(text) == [date(2026, 1, 1), date(2026, 12, 31), date(2025, 12, 20)]


_FORMATS = (
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
    lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    lambda d: f"{d.year}-{d.month}-{d.day}",
    lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
)
_CN = "〇一二三四五六七八九"


def _cn_upper(d: date) -> str:
    def num(n: int) -> str:
        tens, ones = divmod(n, 10)
        return (("" if tens == 1 else _CN[tens]) + "十" if tens else "") + (_CN[ones] if ones else "")

    return "".join(_CN[int(c)] for c in str(d.year)) + f"年{num(d.month)}月{num(d.day)}日"


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)), st.integers(0, len(_FORMATS)))
def test_any_supported_format_parses_back(d: date, fmt: int) -> None:
    text = _cn_upper(d) if fmt == len(_FORMATS) else _FORMATS[fmt](d)
    assert parse_date(f"签订日期：{text}。") == d


def test_find_id_numbers_tolerates_spaces_and_lookalikes() -> None:
    assert find_id_numbers(f"身份证号码：{ID}") == [ID]
    spaced = " ".join(ID[i : i + 4] for i in range(0, 18, 4)).lower()
    assert find_id_numbers(spaced) == [ID]
    assert find_id_numbers(ID[:14] + "l" + ID[15:]) == [ID]  # OCR read 1 as l
    assert find_id_numbers(f"甲 110101199003051232 乙 {ID}") == ["110101199003051232", ID]


def test_find_id_numbers_never_returns_an_invalid_number() -> None:
    wrong = next(c for c in "0123456789X" if c != ID[-1])
    assert find_id_numbers(ID[:-1] + wrong) == []  # wrong check character
    assert find_id_numbers("511302199002301234") == []  # 30 February


_REGIONS = ("110101", "510104", "511302", "510107", "440301", "320102")


@st.composite
def _valid_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(_REGIONS))
    birth = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2015, 12, 31)))
    seq = draw(st.integers(1, 999))
    number = _with_check(f"{region}{birth:%Y%m%d}{seq:03d}")
    # stdnum knows when each region code existed: keep only numbers it accepts as a whole.
    assume(ric.is_valid(number))
    return number


@given(_valid_ids(), st.lists(st.integers(1, 17), max_size=4))
def test_valid_numbers_with_spaces_are_found(number: str, cuts: list[int]) -> None:
    spaced = number
    for cut in sorted(set(cuts), reverse=True):
        spaced = spaced[:cut] + " " + spaced[cut:]
    assert find_id_numbers(f"证件号码：{spaced}，") == [number]


@given(_valid_ids(), st.integers(0, 16), st.integers(1, 9))
def test_a_one_digit_change_is_not_returned(number: str, pos: int, delta: int) -> None:
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1 :]
    assert number not in find_id_numbers(changed)
    # The check character catches every single-digit change, so nothing at all is found.
    assert find_id_numbers(changed) == []


def test_find_uscc() -> None:
    spaced = " ".join([USCC[:6], USCC[6:12], USCC[12:]])
    assert find_uscc(f"统一社会信用代码 {spaced}") == [USCC]
    assert find_uscc(f"代码：{USCC.lower()}") == [USCC]
    assert find_uscc(USCC[:-1] + ("0" if USCC[-1] != "0" else "1")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3500元", 3500),
        ("月租金为人民币3500元（大写：叁仟伍佰元整）", 3500),
        ("¥3,500.00", 3500),
        ("￥１２００", 1200),
        ("人民币叁仟伍佰元整", 3500),
        ("壹万零捌佰元整", 10800),
        ("租金标准：人民币2750元/月", 2750),
        ("1.2万元", 12000),
        ("按月支付", None),
    ],
)
def test_parse_amount_yuan(text: str, expected: int | None) -> None:
    assert parse_amount_yuan(text) == expected


@pytest.mark.parametrize(
    ("lines", "labels", "expected"),
    [
        (["出租方（甲方）：张三"], ["出租方"], ("张三", 1.0)),
        (["出租方〈甲方〕:张三 身份证号码:510104"], ["出租方"], ("张三", 1.0)),
        (["出租人：李四        证件号码：1234"], ["证件号码"], ("1234", 1.0)),
        (["承租人:", "王五"], ["承租人"], ("王五", 0.85)),
        (["权利人", "单独所有"], ["权利人"], ("单独所有", 0.85)),
        (["统一社会信用代玛 91510100MA61R8XY1B"], ["统一社会信用代码"], None),  # checked below: fuzzy
        (["出相人：王五"], ["出租人"], None),  # a 3-character label is never matched fuzzily
        (["合同一式两份"], ["出租方"], None),
    ],
)
def test_value_after_label(lines: list[str], labels: list[str], expected: tuple[str, float] | None) -> None:
    found = value_after_label(lines, labels)
    if lines[0].startswith("统一"):
        assert found is not None and found[0] == USCC and 0.6 <= found[1] < 1.0
    else:
        assert found == expected


@pytest.mark.parametrize(
    ("lines", "label", "expected"),
    [
        (["权利人", "张三"], "权利人", "张三"),  # value under its label
        (["权利人：张三 共有情况：单独所有"], "共有情况", "单独所有"),  # two pairs on one row
        (["权利人", "共有情况", "张三", "单独所有"], "共有情况", "单独所有"),  # header row, cell by cell
        (["丨权利人丨张三丨"], "权利人", "张三"),  # ruled table read as bars
    ],
)
def test_iter_labelled_layouts(lines: list[str], label: str, expected: str) -> None:
    from documents.text import DocumentText, iter_labelled

    doc = DocumentText.build(lines, join=False)
    assert next(iter_labelled(doc.lines, [label])).value == expected


@pytest.mark.parametrize(
    ("address", "confirmed"),
    [
        ("四川省成都市武侯区玉林街道玉林北路12号3栋2单元501", True),
        ("成都市东部新区草池街道养马正街136号附7号", True),
        ("成都市武侯区玉林北路12号3栋2单", False),  # wrapped end lost
        ("成都市武侯区玉林北路12号3栋2单元", False),  # room on the next line
        ("重庆市渝中区解放碑路1号", False),
        ("四川省成都市武侯区火车南站东路241号附1号", True),
        # Two cells of one table row mixed: the 权利类型 column inside the road, the 不动产单元号
        # column inside the building number.
        ("四川省成都市都江堰市灌口街道国有建设用地使用权/房屋所有权离堆路56号14栋1单元902", False),
        ("四川省成都市双流区大件路134号510107778402GB81302F478727516栋1单元603", False),
    ],
)
def test_address_confirmed(address: str, confirmed: bool) -> None:
    from documents.text import address_confirmed

    assert address_confirmed(address) is confirmed


def test_unconfirmed_values_stay_under_the_configured_bar() -> None:
    from pathlib import Path

    import yaml

    from documents.text import evidence_confidence

    bar = yaml.safe_load((Path(__file__).parents[2] / "config/documents.yaml").read_text())[
        "ocr_min_confidence"
    ]
    assert evidence_confidence(1.0, confirmed=False) < bar <= evidence_confidence(0.887, confirmed=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("成都浣花文化传媒有限公司", ("成都浣花文化传媒有限公司", True)),
        ("：四川熊猫商贸有限责任公司", ("四川熊猫商贸有限责任公司", True)),
        ("郫都区红光镇张三个体工商户", ("郫都区红光镇张三个体工商户", True)),
        ("成都博瑞家政服务有限公司统一社会信用代", ("成都博瑞家政服务有限公司", False)),
        ("成都浣花文化传媒有限公", None),  # a wrap cut the legal form
        ("每月以银行转账方式支付", None),  # a sentence after 甲方; 银行 is inside it
        ("乙方同意甲方安排至分公司", None),  # a sentence ending in a legal form
        ("成都市", None),
    ],
)
def test_legal_name_ends_in_a_legal_form_and_is_no_sentence(
    value: str, expected: tuple[str, bool] | None
) -> None:
    found = legal_name(value)
    assert (None if found is None else (found.name, found.whole)) == expected


@pytest.mark.parametrize(
    ("value", "line", "expected"),
    [
        ("成都浣花文化传媒有限公", "司", "成都浣花文化传媒有限公司"),
        ("成都华阳信息技术股份有", "限公司", "成都华阳信息技术股份有限公司"),
        ("成都浣花文化传媒", "有限公司", "成都浣花文化传媒有限公司"),
        ("成都浣花文化传媒有限公司", "司", None),  # already whole
        ("成都浣花文化传媒有限公", "万永峰", None),  # another cell
        ("成都浣花文化传媒有限公", "司机岗位说明", None),
    ],
)
def test_completes_legal_name_only_with_the_rest_of_its_legal_form(
    value: str, line: str, expected: str | None
) -> None:
    found = completes_legal_name(value, line)
    assert (None if found is None else found.name) == expected
