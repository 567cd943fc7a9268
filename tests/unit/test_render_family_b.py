"""Template family "b" (the held-out family): every kind renders, deterministically, its text PDFs
carry the facts, and it is not family "a" under another name."""

from __future__ import annotations

import io
import random
import re
from datetime import date
from typing import Any

import pdfplumber
import pytest
from PIL import Image

from samplecity.documents import (
    BusinessLicense,
    EnrollmentCertificate,
    LaborContract,
    LeaseContract,
    LodgingCertificate,
    OldPermit,
    Person,
    PropertyCertificate,
)
from samplecity.render import (
    encode_image,
    has_families,
    render_document_family,
    render_lease_contract,
)

# The sample-city generator renders many documents: in `make test`, not in the quick `make check`.
pytestmark = pytest.mark.slow

ID = "51130219900305123X"


def make_lease(**overrides: object) -> LeaseContract:
    fields: dict[str, object] = {
        "landlord_name": "张建国",
        "landlord_id_number": "510104196503121234",
        "tenant_name": "欧阳晓明",
        "tenant_id_number": ID,
        "address": "四川省成都市武侯区玉林街道玉林北路12号3栋2单元501",
        "start_on": date(2025, 3, 1),
        "end_on": date(2026, 2, 28),
        "monthly_rent": 3500,
        "registration_no": "CZBA2025510107004512",
        "signed_on": date(2025, 2, 20),
    }
    fields.update(overrides)
    return LeaseContract(**fields)  # type: ignore[arg-type]


def make_labor(**overrides: object) -> LaborContract:
    fields: dict[str, object] = {
        "employer_name": "成都天府智联科技有限公司",
        "employer_uscc": "91510107MA6CU4F07K",
        "employer_address": "成都市武侯区天府大道北段1700号",
        "employee_name": "欧阳晓明",
        "employee_id_number": ID,
        "position": "软件工程师",
        "start_on": date(2023, 7, 1),
        "end_on": date(2026, 6, 30),
        "monthly_salary": 12000,
        "signed_on": date(2023, 6, 28),
    }
    fields.update(overrides)
    return LaborContract(**fields)  # type: ignore[arg-type]


def make_person() -> Person:
    return Person(
        name="欧阳晓明",
        sex="男",
        ethnicity="汉",
        birth_date=date(1990, 3, 5),
        id_number=ID,
        hukou_address="四川省南充市顺庆区中城街道和平路一段128号",
        phone="13800001111",
        face_seed=17,
    )


PAYLOADS: dict[str, Any] = {
    "lease_contract": make_lease(),
    "labor_contract": make_labor(),
    "business_license": BusinessLicense(
        uscc="91510107MA6CU4F07K",
        name="成都天府智联科技有限公司",
        type="有限责任公司(自然人投资或控股)",
        legal_representative="张建国",
        registered_capital="伍佰万元整",
        established_on=date(2016, 5, 12),
        address="成都市武侯区天府大道北段1700号",
        issued_on=date(2021, 3, 2),
        registration_authority="成都市武侯区市场监督管理局",
    ),
    "property_certificate": PropertyCertificate(
        certificate_no="川(2021)成都市不动产权第0123456号",
        owner_name="张建国",
        owner_id_number="510104196503121234",
        address="四川省成都市武侯区玉林街道玉林北路12号3栋2单元501",
        area_m2=89.45,
        usage="住宅",
        issued_on=date(2021, 6, 8),
    ),
    "enrollment_certificate": EnrollmentCertificate(
        school="西南交通大学",
        student_name="欧阳晓明",
        id_number=ID,
        student_no="2023110123",
        major="土木工程",
        enrolled_on=date(2023, 9, 1),
        issued_on=date(2026, 2, 10),
    ),
    "lodging_certificate": LodgingCertificate(
        issuer="成都天府智联科技有限公司",
        resident_name="欧阳晓明",
        id_number=ID,
        address="四川省成都市武侯区玉林街道玉林北路12号3栋2单元501",
        since=date(2024, 4, 1),
        issued_on=date(2026, 2, 10),
    ),
    "old_permit": OldPermit(
        permit_no="510107230012345",
        person=make_person(),
        residence_address="成都市武侯区玉林街道玉林北路12号3栋2单元501",
        issuing_authority="成都市公安局武侯区分局",
        issued_on=date(2023, 4, 1),
    ),
}
PDF_KINDS = ("lease_contract", "labor_contract")
IMAGE_KINDS = tuple(k for k in PAYLOADS if k not in PDF_KINDS)


def render_bytes(kind: str, family: str, seed: int, *, scanned: bool = False) -> bytes:
    out = render_document_family(
        kind, PAYLOADS[kind], family=family, rng=random.Random(seed), scanned=scanned
    )
    return out if isinstance(out, bytes) else encode_image(out, "png")


def pdf_text(data: bytes) -> tuple[int, str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages), "\n".join(page.extract_text() or "" for page in pdf.pages)


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_every_image_kind_renders_for_family_b_and_is_deterministic(kind: str) -> None:
    first = render_document_family(kind, PAYLOADS[kind], family="b", rng=random.Random(3))
    assert isinstance(first, Image.Image)
    assert min(first.size) >= 500
    assert render_bytes(kind, "b", 3) == encode_image(first, "png")
    assert render_bytes(kind, "b", 4) != render_bytes(kind, "b", 3)


@pytest.mark.parametrize("kind", PDF_KINDS)
@pytest.mark.parametrize("scanned", [False, True])
def test_family_b_contracts_are_deterministic_pdfs_of_two_pages(kind: str, scanned: bool) -> None:
    data = render_bytes(kind, "b", 5, scanned=scanned)
    assert data.startswith(b"%PDF")
    assert render_bytes(kind, "b", 5, scanned=scanned) == data
    pages, text = pdf_text(data)
    assert pages >= 2
    # The scanned variant is image-only: nothing for a text-layer reader to find.
    assert (text.strip() == "") == scanned


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def column_texts(data: bytes) -> str:
    """The text layer read whole and by columns, flattened.

    A value wrapped inside one cell of a two-column table is read by pdfplumber line by line across
    both columns; cropping to the column gives the cell's lines one after another.
    """
    parts: list[str] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            parts.append(page.extract_text() or "")
            for split in (0.45, 0.5, 0.55, 0.6):
                x = page.width * split
                parts.append(page.crop((0, 0, x, page.height)).extract_text() or "")
                parts.append(page.crop((x, 0, page.width, page.height)).extract_text() or "")
    return "\n".join(_flat(p) for p in parts)


@pytest.mark.parametrize("seed", range(6))
def test_family_b_lease_text_layer_carries_the_facts(seed: int) -> None:
    flat = column_texts(render_bytes("lease_contract", "b", seed))
    doc = PAYLOADS["lease_contract"]
    for value in (doc.landlord_name, doc.tenant_name, doc.landlord_id_number, doc.tenant_id_number):
        assert value in flat
    assert doc.registration_no in flat
    assert doc.address in flat
    assert any(
        term in flat
        for term in (
            "2025.03.01—2026.02.28",
            "2026年2月28日",
            "2026年02月28日",
            "2026年2月28日止",
            "2026年2月28日结束",
        )
    )


@pytest.mark.parametrize("seed", range(6))
def test_family_b_labor_text_layer_carries_the_facts(seed: int) -> None:
    flat = column_texts(render_bytes("labor_contract", "b", seed))
    doc = PAYLOADS["labor_contract"]
    for value in (doc.employer_name, doc.employer_uscc, doc.employee_name, doc.employee_id_number):
        assert value in flat


def test_an_unregistered_lease_never_prints_a_registration_number() -> None:
    for seed in range(6):
        data = render_document_family(
            "lease_contract", make_lease(registration_no=None), family="b", rng=random.Random(seed)
        )
        assert isinstance(data, bytes)
        assert "CZBA" not in pdf_text(data)[1]


def _label_lines(kind: str, family: str, seeds: range) -> set[str]:
    """The printed lines of a contract that hold none of the payload's values: its wording."""
    doc = PAYLOADS[kind]
    values = [str(v) for v in vars(doc).values() if isinstance(v, str) and len(v) >= 2]
    lines: set[str] = set()
    for seed in seeds:
        for line in pdf_text(render_bytes(kind, family, seed))[1].splitlines():
            flat = _flat(line)
            if len(flat) >= 2 and not any(v in flat for v in values) and not re.search(r"\d", flat):
                lines.add(flat)
    return lines


@pytest.mark.parametrize("kind", PDF_KINDS)
def test_family_b_wording_is_not_family_a(kind: str) -> None:
    a = _label_lines(kind, "a", range(6))
    b = _label_lines(kind, "b", range(6))
    assert b
    # Most of family b's wording never occurs in family a (some legal boilerplate may).
    assert len(b - a) >= 0.8 * len(b)


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_family_b_images_are_other_layouts(kind: str) -> None:
    assert render_bytes(kind, "a", 1) != render_bytes(kind, "b", 1)


def test_family_a_through_the_dispatch_is_the_existing_renderer() -> None:
    doc = PAYLOADS["lease_contract"]
    direct = render_lease_contract(doc, rng=random.Random(9), scanned=False)
    assert render_bytes("lease_contract", "a", 9) == direct


def test_unknown_family_and_single_layout_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="family"):
        render_document_family("lease_contract", PAYLOADS["lease_contract"], family="c", rng=random.Random(1))
    assert not has_families("id_front")
    with pytest.raises(ValueError, match="id_front"):
        render_document_family("id_front", make_person(), family="b", rng=random.Random(1))
