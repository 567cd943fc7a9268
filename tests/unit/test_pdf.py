"""PDF reading in the limited child process: text pages, scanned pages, the page limit."""

from __future__ import annotations

import random
from datetime import date
from functools import cache

import pytest

from documents.pdf import PdfDocument, read_pdf
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
