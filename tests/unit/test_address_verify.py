"""What of an ID card's 住址 and 民族 may be printed on the card (issue 11 item 5): the address's
province / prefecture / county must be a real GB/T 2260 division and the ID number's region, a
one-character slip in the county is repaired only to that region, 民族 must be on GB 3304's list, and
an address whose region lost a line is never a shorter address."""

from __future__ import annotations

from datetime import date

import pytest

from documents.address_verify import (
    card_details,
    division_of,
    official_ethnicities,
    same_region,
    verify_ethnicity,
    verify_hukou_address,
)
from documents.extract.id_front import (
    IdFrontReading,
    layout_fields,
    parse_id_front,
)
from documents.ocr.engines import OcrLine
from models.card import CardFace
from models.checks.facts import Fact, IdFrontFacts
from samplecity.people import make_id_number


def number(region: str, year: int = 1990) -> str:
    return make_id_number(region, date(year, 5, 17), 123)


FUCHENG = number("510703")  # 四川省绵阳市涪城区
PIXIAN = number("510124")  # 四川省成都市郫县 (郫都区 since 2016)
SHUNQING = number("511302")  # 四川省南充市顺庆区
QIONGLAI = number("510183", 1996)  # 四川省成都市邛崃市
SAME = "as read"


@pytest.mark.parametrize(
    ("address", "id_number", "status", "printed"),
    [
        # The region agrees.
        ("四川省绵阳市涪城区城厢街道新民社区10组12号", FUCHENG, "agrees", SAME),
        # An old 510124 number: the card may say 郫县 or, after the rename, 郫都区.
        ("四川省成都市郫县犀浦镇新民村3组8号", PIXIAN, "agrees", SAME),
        ("四川省成都市郫都区犀浦街道新民社区3组8号", PIXIAN, "agrees", SAME),
        # Municipality and 省直辖 units have no prefecture; an autonomous prefecture is one.
        ("重庆市涪陵区敦仁街道人民街8号", number("500102", 1999), "agrees", SAME),
        ("湖北省仙桃市干河街道建设路8号", number("429004", 1999), "agrees", SAME),
        ("四川省凉山彝族自治州冕宁县城厢镇新民村1组5号", number("513433"), "agrees", SAME),
        # Misreadings of 涪城区 seen at 0.996: repaired to the number's region ...
        ("四川省绵阳市城区城厢街道10号", FUCHENG, "repaired", "四川省绵阳市涪城区城厢街道10号"),
        ("四川省绵阳市培城区城厢街道10号", FUCHENG, "repaired", "四川省绵阳市涪城区城厢街道10号"),
        ("四川省成都市邓崃市临邛街道5号", QIONGLAI, "repaired", "四川省成都市邛崃市临邛街道5号"),
        # ... and never to another: a guess is not printed.
        ("四川省绵阳市培城区城厢街道10号", SHUNQING, "repair_disagrees", ""),
        # Two counties one edit away (珙县, 高县): not repaired at all.
        ("四川省宜宾市拱县巡场镇5号", number("511526", 1998), "ambiguous", ""),
        # A real division, not the number's: the person moved; a reviewer decides.
        ("四川省绵阳市涪城区城厢街道10号", SHUNQING, "moved", ""),
        ("四川省成都市郫县犀浦镇5号", number("510107"), "moved", ""),
        # Not a real triple: 涪城区 belongs to 绵阳市; a lost county.
        ("四川省南充市涪城区城厢街道10号", FUCHENG, "not_a_division", ""),
        ("四川省成都市犀浦镇新民村3组8号", PIXIAN, "not_a_division", ""),
        ("", FUCHENG, "unread", ""),
    ],
)  # fmt: skip
def test_address_is_printed_only_when_its_division_is_real_and_the_numbers(
    address: str, id_number: str, status: str, printed: str
) -> None:
    verdict = verify_hukou_address(address, id_number)
    assert verdict.status == status, verdict.why
    assert (verdict.value if verdict.verified else "") == (address if printed == SAME else printed)


def test_renamed_districts_are_the_same_region_and_neighbours_are_not() -> None:
    pidu = division_of("510117")
    assert pidu is not None and pidu.counties == ("郫都区",)
    assert same_region(pidu, PIXIAN)  # 郫县 → 郫都区
    anzhou = division_of("510705")
    assert anzhou is not None and same_region(anzhou, number("510724", 1990))  # 安县 → 安州区
    wenjiang = division_of("510115")
    assert wenjiang is not None and not same_region(wenjiang, PIXIAN)


@pytest.mark.parametrize(
    ("reading", "printed"),
    [("汉", "汉"), ("汉族", "汉"), ("维吾尔", "维吾尔"), ("土家族", "土家"), ("基诺", "基诺"),
     ("汊", None), ("穿青", None), ("汉回", None), ("", None)],
)  # fmt: skip
def test_ethnicity_is_printed_only_from_the_official_list(reading: str, printed: str | None) -> None:
    assert len(official_ethnicities()) == 56
    assert verify_ethnicity(reading) == printed


# ----------------------------------------------------------------------------- lines of the address region


def _card_lines(address_rows: list[tuple[str, int]]) -> list[OcrLine]:
    """A layout engine's lines of a card front (856×540) with the address rows given (text, top y)."""
    return [
        OcrLine("姓名王小明", 0.99, (54, 46, 182, 37)),
        OcrLine("性别男", 0.99, (54, 108, 120, 38)),
        OcrLine("民族汉", 0.99, (253, 114, 100, 31)),
        OcrLine("出生1990年5月17日", 0.99, (56, 172, 331, 33)),
        OcrLine("住址", 0.99, (56, 248, 50, 26)),
        *(OcrLine(text, 0.99, (133, y, 26 * len(text), 29)) for text, y in address_rows),
        OcrLine("公民身份号码", 0.99, (55, 432, 144, 27)),
        OcrLine(FUCHENG, 0.99, (254, 433, 460, 31)),
    ]


def _read(lines: list[OcrLine]) -> IdFrontReading:
    layout = layout_fields(lines)
    reading = parse_id_front(list(layout.by_field.values()))
    return IdFrontReading(
        facts=reading.facts, ethnicity=reading.ethnicity, address_check=layout.address_check
    )


def test_a_line_opening_with_min_stays_in_the_address() -> None:
    rows = [("四川省绵阳市涪城区城厢街道新", 246), ("民社区10组12号", 285)]
    reading = _read(_card_lines(rows))
    assert reading.address_check is None
    assert reading.facts.address is not None
    assert reading.facts.address.value == "四川省绵阳市涪城区城厢街道新民社区10组12号"
    assert reading.ethnicity is not None and reading.ethnicity.value == "汉"
    details = card_details(reading, FUCHENG, 0.80)
    assert details.hukou_address == "四川省绵阳市涪城区城厢街道新民社区10组12号"
    assert details.ethnicity == "汉"


def test_a_row_missing_between_two_leaves_the_address_unverified() -> None:
    # Rows at 246 and 324: the one at 285 (民社区10组) was not detected. The two left still make a
    # real division agreeing with the number — and would have been printed as a shorter address.
    rows = [("四川省绵阳市涪城区城厢街道新", 246), ("12号", 324)]
    reading = _read(_card_lines(rows))
    assert reading.address_check is not None
    assert reading.facts.address is not None and reading.facts.address.confidence < 0.80
    details = card_details(reading, FUCHENG, 0.80)
    assert details.hukou_address == ""
    assert details.address_status == "low_confidence"


def test_a_first_row_missing_leaves_the_address_unverified() -> None:
    rows = [("民社区10组12号", 285)]
    reading = _read(_card_lines(rows))
    assert reading.address_check == "the address line on the 住址 row was not read"
    assert card_details(reading, FUCHENG, 0.80).hukou_address == ""


def test_an_unreadable_line_in_the_address_region_leaves_the_address_unverified() -> None:
    lines = _card_lines([("四川省绵阳市涪城区城厢街道新", 246), ("民社区10组12号", 285)])
    lines = [OcrLine(ln.text, 0.3, ln.box) if ln.text.startswith("民社") else ln for ln in lines]
    reading = _read(lines)
    assert reading.address_check is not None
    assert card_details(reading, FUCHENG, 0.80).hukou_address == ""


# ----------------------------------------------------------------------------- the card face


def _reading(address: str, confidence: float = 0.99, ethnicity: str = "汉") -> IdFrontReading:
    facts = IdFrontFacts(address=Fact(value=address, confidence=confidence))
    return IdFrontReading(facts=facts, ethnicity=Fact(value=ethnicity, confidence=0.99))


def _face(ethnicity: str, hukou_address: str) -> CardFace:
    return CardFace(
        card_no="51010720260000001",
        name="王小明",
        sex="男",
        ethnicity=ethnicity,
        birth_date=date(1990, 5, 17),
        id_number=SHUNQING,
        hukou_address=hukou_address,
        residence_address="成都市武侯区玉林街道玉林北路1号",
        issuing_authority="成都市公安局武侯区分局",
        issued_on=date(2026, 3, 1),
    )


def test_an_unverified_address_is_not_printed_however_confident() -> None:
    # Read at 0.997 — but 涪城区 is not the region of a 511302 number.
    details = card_details(_reading("四川省绵阳市涪城区城厢街道新民社区10组12号", 0.997), SHUNQING, 0.80)
    face = _face(details.ethnicity, details.hukou_address)
    assert face.hukou_address == ""
    assert face.missing_fields() == ["hukou_address"]
    assert details.notes[-1] == "address: moved"


def test_a_verified_address_and_ethnicity_are_printed() -> None:
    details = card_details(_reading("四川省南充市顺庆区中城街道人民路8号"), SHUNQING, 0.80)
    face = _face(details.ethnicity, details.hukou_address)
    assert face.hukou_address == "四川省南充市顺庆区中城街道人民路8号"
    assert face.ethnicity == "汉"
    assert face.missing_fields() == []


def test_an_ethnicity_off_the_list_is_not_printed() -> None:
    details = card_details(_reading("四川省南充市顺庆区中城街道人民路8号", ethnicity="穿青"), SHUNQING, 0.80)
    assert details.ethnicity == ""
    assert _face(details.ethnicity, details.hukou_address).missing_fields() == ["ethnicity"]
