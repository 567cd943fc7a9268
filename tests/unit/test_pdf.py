"""PDF reading in the limited child process: text pages, scanned pages, the page limit."""

from __future__ import annotations

import random
from datetime import date
from functools import cache

import pytest

from documents.pdf import PdfDocument, PdfPage, PdfWord, read_pdf
from documents.problems import DocumentProblem
from documents.safe_image import DecodedImage, decode_image
from models.reasons import ReasonCode
from samplecity.documents import LeaseContract
from samplecity.render import render_lease_contract

LEASE = LeaseContract(
    landlord_name="张建国",
    landlord_id_number="510104196503121234",
    tenant_name="欧阳晓明",
    tenant_id_number="51130219900305123X",
    address="四川省成都市武侯区玉林街道玉林北路12号3栋2单元501",
    start_on=date(2024, 3, 1),
    end_on=date(2025, 2, 28),
    monthly_rent=3500,
    registration_no="CDZL2024030100123",
    signed_on=date(2024, 2, 20),
)


@cache
def lease(scanned: bool) -> bytes:
    return render_lease_contract(LEASE, rng=random.Random(1), scanned=scanned)


def test_text_pdf_gives_lines_and_words_without_rasterising() -> None:
    out = read_pdf(lease(False))
    assert isinstance(out, PdfDocument) and out.pages
    first = out.pages[0]
    assert not first.is_scan and first.image_png is None and first.char_count > 100
    assert first.lines[0].replace(" ", "") == "房屋租赁合同"
    assert "张建国" in first.text and any("张建国" in w.text for w in first.words)
    assert round(first.width_pt) == 595 and round(first.height_pt) == 842
    assert 0 < out.overhead_ms < out.elapsed_ms


def test_scanned_pdf_pages_are_rasterised_at_200_dpi() -> None:
    out = read_pdf(lease(True))
    assert isinstance(out, PdfDocument)
    for page in out.pages:
        assert page.is_scan and page.text.strip() == "" and page.image_coverage > 0.9
        assert page.image_png is not None
        img = decode_image(page.image_png)
        assert isinstance(img, DecodedImage)
        assert abs(img.width - 1654) <= 2 and abs(img.height - 2339) <= 2


def test_page_limit() -> None:
    data = lease(False)
    out = read_pdf(data, max_pages=1)
    assert isinstance(out, DocumentProblem) and out.reason is ReasonCode.FILE_UNREADABLE
    assert "页数过多" in out.zh and out.detail["max_pages"] == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xd8\xff\xe0 a jpeg", ReasonCode.FILE_TYPE_NOT_ALLOWED),
        (b" %PDF-1.4 leading junk", ReasonCode.FILE_TYPE_NOT_ALLOWED),
        (b"%PDF-1.4\n%%EOF", ReasonCode.FILE_UNREADABLE),
    ],
)
def test_not_a_usable_pdf(data: bytes, reason: ReasonCode) -> None:
    out = read_pdf(data)
    assert isinstance(out, DocumentProblem) and out.reason is reason


def _word(text: str, x0: float, top: float) -> PdfWord:
    return PdfWord(text, x0, top, x0 + 11.0 * len(text), top + 11.0)


def _page(text: str, words: list[PdfWord]) -> PdfPage:
    return PdfPage(1, text, False, None, 595.0, 842.0, words=tuple(words))


def test_cell_lines_split_a_two_column_table_row_into_its_cells() -> None:
    # pdfplumber reads both columns of a row as one line; the address wrapping inside its cell came
    # out mixed with the phone number of the right column.
    page = _page(
        "经营地址 联系电话\n成都市崇州市街子镇道明正街291号10栋1单元 13494991122\n1905\n经甲乙双方平等协商",
        [
            _word("经营地址", 78, 246), _word("联系电话", 326, 246),
            PdfWord("成都市崇州市街子镇道明正街291号10栋1单元", 78, 262, 298, 273),
            _word("13494991122", 326, 262),
            _word("1905", 78, 278),
            _word("经甲乙双方平等协商", 94, 303),
        ],
    )  # fmt: skip
    assert page.cell_lines() == [
        "经营地址",
        "联系电话",
        "成都市崇州市街子镇道明正街291号10栋1单元",
        "13494991122",
        "1905",
        "经甲乙双方平等协商",
    ]


def test_cell_lines_put_each_label_of_a_header_row_before_its_value() -> None:
    page = _page(
        "租赁期限 建筑面积\n2025年08月11日至2027年08月10日 88.28平方米",
        [
            _word("租赁期限", 78, 100), _word("建筑面积", 326, 100),
            PdfWord("2025年08月11日至2027年08月10日", 78, 116, 240, 127), _word("88.28平方米", 326, 116),
        ],
    )  # fmt: skip
    assert page.cell_lines() == ["租赁期限", "2025年08月11日至2027年08月10日", "建筑面积", "88.28平方米"]


def test_cell_lines_keep_a_sentence_and_side_by_side_parties_in_reading_order() -> None:
    page = _page(
        "甲方（出租方）：秦龙思 乙方（承租方）：毛明峰\n第 1 页 / 共 2 页",
        [
            _word("甲方（出租方）：秦龙思", 72, 100), _word("乙方（承租方）：毛明峰", 320, 100),
            _word("第", 250, 800), _word("1", 264, 800), _word("页", 268, 800),
        ],
    )  # fmt: skip
    assert page.cell_lines() == ["甲方（出租方）：秦龙思", "乙方（承租方）：毛明峰", "第 1 页 / 共 2 页"]


def test_cell_lines_give_the_text_lines_when_words_do_not_match_them() -> None:
    page = _page("一行\n两行", [_word("一行", 72, 100)])
    assert page.cell_lines() == ["一行", "两行"]
