"""OCR engine plumbing (pure parts), ID-number validation and correction, and ID-card parsing from
OCR lines with the punctuation and spacing real OCR produces."""

from __future__ import annotations

import sys
from datetime import date

import numpy as np
import pytest

from documents.extract.id_back import parse_id_back, parse_validity
from documents.extract.id_front import (
    clean_ethnicity,
    find_anchors,
    parse_id_front,
    resolve_id_number,
    value_regions,
)
from documents.ocr.config import OcrSettings, load_ocr_settings
from documents.ocr.engines import (
    EngineUnavailable,
    OcrLine,
    _Word,
    get_engine,
    join_words,
    split_by_bands,
    stack_crops,
)
from documents.ocr.idnumber import is_valid_id_number, single_corrections, valid_windows
from documents.text import find_id_numbers

VALID = "513222197002277147"  # region 513222 理县, 1970-02-27, female (4 is even), check 7


def line(text: str, conf: float = 0.9, box: tuple[int, int, int, int] = (0, 0, 10, 10)) -> OcrLine:
    return OcrLine(text, conf, box)


# ----------------------------------------------------------------------------- engine plumbing


@pytest.mark.parametrize(
    ("words", "joined"),
    [
        (["张", "少", "颖"], "张少颖"),
        (["NO.", "12"], "NO. 12"),
        (["住址", "四川省", "3", "组"], "住址四川省3组"),
        (["", " ", "王"], "王"),
    ],
)
def test_join_words_drops_spaces_only_next_to_cjk(words: list[str], joined: str) -> None:
    assert join_words(words) == joined


def test_stacked_crops_split_back_to_their_owners() -> None:
    crops = [np.full((h, w), 200, np.uint8) for h, w in ((30, 100), (60, 50), (30, 80))]
    sheet, bands = stack_crops(crops, gap=24)
    assert sheet.shape[0] >= 30 + 60 + 30 + 2 * 24
    # Two words in the second band (two lines of an address), one in the third, none in the first.
    y1, y2 = bands[1][1], bands[2][1]
    words = [
        _Word("四川省", 0.9, (12, y1 + 2, 40, 20), (1, 1, 1)),
        _Word("3组", 0.5, (12, y1 + 32, 20, 20), (1, 1, 2)),
        _Word("汉", 0.8, (12, y2 + 5, 20, 20), (1, 1, 3)),
    ]
    out = split_by_bands(words, bands, 24)
    assert [o.text for o in out] == ["", "四川省\n3组", "汉"]
    assert out[0].confidence == 0.0
    assert 0.5 < out[1].confidence < 0.9


def test_an_engine_that_cannot_run_here_is_refused_not_replaced() -> None:
    with pytest.raises(EngineUnavailable, match=r"未知的 OCR 引擎.*unknown"):
        get_engine("nope")
    s = OcrSettings(default_engine="tesseract", engines={"id_front": "nope"})
    with pytest.raises(EngineUnavailable, match="unknown"):
        s.engine("id_front")
    with pytest.raises(EngineUnavailable, match="unknown"):
        s.check_engines()
    assert s.engine("id_back").name == "tesseract"


def test_a_missing_rapidocr_stops_the_first_read_and_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # As on a machine where the package is absent: its import fails.
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    get_engine.cache_clear()
    try:
        s = load_ocr_settings()
        assert s.engine_for("id_front") == "rapidocr"
        with pytest.raises(EngineUnavailable, match=r"rapidocr.*未安装.*make setup.*not installed"):
            s.engine("id_front")
        with pytest.raises(EngineUnavailable, match="rapidocr"):
            s.check_engines()
        # tesseract, the orientation engine, is not what is missing.
        assert s.orientation().name == "tesseract"
        # Readers catch RuntimeError for one failed tesseract call (that page stays unread): a missing
        # engine must not be caught there and look like a bad page.
        assert not issubclass(EngineUnavailable, RuntimeError)
    finally:
        get_engine.cache_clear()


def test_the_configured_engines_are_installed_here() -> None:
    load_ocr_settings().check_engines()


def test_engine_choice_per_kind_and_field() -> None:
    s = OcrSettings(
        default_engine="tesseract",
        engines={"id_front": "rapidocr"},
        field_engines={"id_front": {"id_number": "tesseract"}},
    )
    assert s.engine_for("id_front") == "rapidocr"
    assert s.engine_for("id_front", "id_number") == "tesseract"
    assert s.engine_for("lease_contract") == "tesseract"
    # make installs RapidOCR: the configured engine is the one that reads, not a fallback.
    assert s.engine("id_front").name == "rapidocr" and s.engine("id_front").reads_layout
    assert s.orientation().name == "tesseract" and not s.orientation().reads_layout


# ----------------------------------------------------------------------------- ID numbers


def test_full_validation_rejects_what_the_check_character_alone_lets_through() -> None:
    assert is_valid_id_number(VALID)
    # Same check character arithmetic but an impossible birth date / unknown region.
    assert not is_valid_id_number("513222197013277147")
    assert not is_valid_id_number("000000197002277147")
    assert not is_valid_id_number("51322219700227714")  # 17 characters


@pytest.mark.parametrize("region", ["510104", "510124", "510132", "512081"])
def test_a_region_code_older_than_the_birth_year_still_reads(region: str) -> None:
    # 锦江区's 510104 and the former 郫县/新津县/简阳市 codes on cards of people born in 1970: real
    # numbers (assigned at registration, not at birth) that python-stdnum's is_valid refuses. The
    # OCR side accepts exactly what the checks accept (models.checks.identity.id_number_problem).
    from stdnum.cn import ric

    from models.checks.identity import id_number_problem

    body = f"{region}19700101001"
    number = body + ric.calc_check_digit(body + "0")
    assert id_number_problem(number) is None
    assert is_valid_id_number(number)
    assert find_id_numbers(f"公民身份号码 {number}") == [number]


def test_windows_find_the_number_after_a_misread_label() -> None:
    # The digit-only read of "公民身份号码 513222…" turns the label into "255".
    assert valid_windows("255" + VALID) == [VALID]
    assert valid_windows("no digits here") == []


def test_single_confusion_is_corrected_only_when_unique() -> None:
    wrong = VALID[:9] + "8" + VALID[10:]  # 1970 read as 1978
    assert VALID in single_corrections(wrong)
    r = resolve_id_number([(wrong, 0.9)])
    if len(single_corrections(wrong)) == 1:
        assert (r.value, r.confidence) == (VALID, 0.75)
    else:
        assert r.value is None and "ambiguous" in r.note


def test_two_different_valid_readings_are_not_guessed_between() -> None:
    other = "511602200503210740"
    r = resolve_id_number([(VALID, 0.9), (other, 0.9)])
    assert r.value is None


def test_a_number_that_cannot_be_made_valid_is_not_accepted() -> None:
    r = resolve_id_number([("123456789012345678", 0.99)])
    assert r.value is None and r.confidence == 0.0


# ----------------------------------------------------------------------------- ID front parsing

CLEAN_FRONT = [
    "姓名 曹娟娜",
    "性别 女 民族 羌",
    "出生 1970 年 2 月 27 日",
    "住址 四川省阿坝藏族羌族自治",
    "州理县杂谷脑镇东桥村9",
    "组3号",
    f"公民身份号码 {VALID}",
]


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda s: s, id="as printed"),
        pytest.param(lambda s: s.replace(" ", "："), id="full-width colons"),
        pytest.param(lambda s: s.replace(" ", ":"), id="ascii colons"),
        pytest.param(lambda s: " ".join(s), id="space between every character"),
        pytest.param(
            lambda s: s.translate(str.maketrans("0123456789", "０１２３４５６７８９")), id="full-width digits"
        ),
        pytest.param(lambda s: s.replace("姓名", "〈姓名〉").replace("住址", "(住址)"), id="brackets"),
    ],
)
def test_front_fields_parse_by_words_not_punctuation(mangle) -> None:  # type: ignore[no-untyped-def]
    r = parse_id_front([line(mangle(t)) for t in CLEAN_FRONT])
    f = r.facts
    assert f.name is not None and f.name.value == "曹娟娜"
    assert f.sex is not None and f.sex.value == "女"
    assert r.ethnicity is not None and r.ethnicity.value == "羌"
    assert f.birth_date is not None and f.birth_date.value == date(1970, 2, 27)
    assert f.address is not None and f.address.value == "四川省阿坝藏族羌族自治州理县杂谷脑镇东桥村9组3号"
    assert f.id_number is not None and f.id_number.value == VALID


def test_lost_first_label_character_and_missing_label_colour_words() -> None:
    lines = ["名 曹娟娜", "别 女 民族 羌", "生 1970 2 27", "址 四川省理县", f"民身份妈{VALID}"]
    f = parse_id_front([line(t) for t in lines]).facts
    assert f.name is not None and f.name.value == "曹娟娜"
    assert f.address is not None and f.address.value == "四川省理县"
    assert f.id_number is not None and f.id_number.value == VALID


def test_number_wins_over_printed_birth_date_and_sex_with_lower_confidence() -> None:
    lines = ["姓名 曹娟娜", "性别 男 民族 汉", "出生 1971年2月27日", f"公民身份号码 {VALID}"]
    r = parse_id_front([line(t) for t in lines])
    f = r.facts
    assert f.birth_date is not None and f.birth_date.value == date(1970, 2, 27)
    assert f.sex is not None and f.sex.value == "女"
    agreeing = parse_id_front([line(t) for t in CLEAN_FRONT]).facts
    assert agreeing.birth_date is not None and agreeing.sex is not None
    assert f.birth_date.confidence < agreeing.birth_date.confidence
    assert f.sex.confidence < agreeing.sex.confidence
    assert any("differs" in n for n in r.notes)


def test_invalid_number_gives_no_number_and_no_derived_fields() -> None:
    f = parse_id_front([line("公民身份号码 123456789012345678"), line("出生 1990年1月2日")]).facts
    assert f.id_number is None
    # Without a valid number the printed date stands, at reduced confidence.
    assert f.birth_date is not None and f.birth_date.value == date(1990, 1, 2)
    assert f.birth_date.confidence < 0.9


@pytest.mark.parametrize(
    ("raw", "want"),
    [("汉", "汉"), ("汉族", "汉"), ("汊", None), ("蒙古", "蒙古"), ("维吾尔族", "维吾尔"), ("", None)],
)
def test_ethnicity_comes_from_the_official_list(raw: str, want: str | None) -> None:
    got, score = clean_ethnicity(raw)
    if want is None:
        assert got is None or score < 0.8
    else:
        assert got == want


def test_anchors_place_value_regions_right_of_their_labels() -> None:
    sparse = [
        line("姓名", box=(60, 60, 40, 22)),
        line("性别", box=(60, 124, 40, 22)),
        line("民族", box=(240, 124, 40, 22)),
        line("出生", box=(60, 190, 40, 22)),
        line("住址", box=(60, 255, 40, 22)),
        line("公民身份号码", box=(60, 432, 140, 22)),
    ]
    anchors = find_anchors(sparse)
    assert set(anchors) == {"name", "sex", "ethnicity", "birth", "address", "id_number"}
    regions = value_regions(anchors)
    assert regions["name"][0] > 100 and regions["name"][1] < 71 < regions["name"][1] + regions["name"][3]
    # Sex stops before 民族; the address reaches down towards the number's label.
    assert regions["sex"][0] + regions["sex"][2] <= 240
    assert regions["address"][1] + regions["address"][3] <= 432
    assert regions["id_number"][0] >= 200
    # Without anchors, the standard layout still gives every region.
    assert set(value_regions({})) == set(regions)


# ----------------------------------------------------------------------------- ID back parsing


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2016.02.04-2036.02.04", (date(2016, 2, 4), date(2036, 2, 4), False)),
        ("2016.02.04—2036.02.04", (date(2016, 2, 4), date(2036, 2, 4), False)),
        ("2016.02.04-长期", (date(2016, 2, 4), None, True)),
        ("２０１６．０２．０４-长朝", (date(2016, 2, 4), None, True)),
        ("20160204-20360204", (date(2016, 2, 4), date(2036, 2, 4), False)),
    ],
)
def test_validity_forms(text: str, want: tuple[date | None, date | None, bool]) -> None:
    assert parse_validity(text) == want


def test_back_reads_authority_and_indefinite_validity() -> None:
    r = parse_id_back([line("签发机关 理县公安局"), line("有效期限：2016.02.04-长期", 0.8)])
    assert r.issuing_authority is not None and r.issuing_authority.value == "理县公安局"
    assert r.facts.valid_from is not None and r.facts.valid_from.value == date(2016, 2, 4)
    assert r.facts.valid_until is not None and r.facts.valid_until.value is None
    assert r.facts.valid_until.confidence > 0


@pytest.mark.parametrize(
    ("text", "trusted"),
    [
        ("有效期限 2020.07.31-2030.07.31", True),  # a legal 10-year term: both dates confirm each other
        ("有效期限 2020.07.31-2040.07.31", True),
        ("有效期限 2020.07.31-2030.07.13", False),  # month/day disagree: one of them was misread
        ("有效期限 2020.07.31-2027.07.31", False),  # 7 years is no card term
    ],
)
def test_a_legal_term_confirms_doubtful_validity_dates(text: str, trusted: bool) -> None:
    r = parse_id_back([line(text, 0.5)])
    until = r.facts.valid_until
    assert until is not None and until.value is not None
    assert (until.confidence >= 0.8) is trusted
    assert r.facts.valid_from is not None and (r.facts.valid_from.confidence >= 0.8) is trusted


def test_correction_must_agree_with_the_printed_birth_date() -> None:
    # From the benchmark: 5 misread as 2 (not in the confusion table); "correcting" 1990 → 1890 gave a
    # different valid number. The printed birth date (1990) refuses it.
    read = "210722199009262240"
    lines = [line(f"公民身份号码 {read}"), line("出生 1990年9月26日")]
    assert parse_id_front(lines).facts.id_number is None
    assert all(c[6:8] in ("19", "20") for c in single_corrections(read))


def test_confirmed_correction_is_accepted_below_the_trust_threshold() -> None:
    wrong = "513222197602277147"  # 1970 read as 1976: 6 for 0 is in the table, and only one fix validates
    assert single_corrections(wrong) == [VALID]
    f = parse_id_front([line(f"公民身份号码 {wrong}"), line("出生 1970年2月27日")]).facts
    assert f.id_number is not None and f.id_number.value == VALID
    assert f.id_number.confidence < 0.8  # config/documents.yaml ocr_min_confidence
