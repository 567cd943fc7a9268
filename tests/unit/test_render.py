"""The sample city's document renderers: deterministic, the right shapes, and readable by machines."""

from __future__ import annotations

import io
import random
import re
from datetime import date

import cv2
import numpy as np
import pdfplumber
import pytesseract
import pytest
from PIL import Image

from samplecity.documents import (
    BusinessLicense,
    EnrollmentCertificate,
    IdCardBack,
    LaborContract,
    LeaseContract,
    LodgingCertificate,
    OldPermit,
    Person,
    PropertyCertificate,
)
from samplecity.render import (
    DEGRADATIONS_DEFECTIVE,
    DEGRADATIONS_READABLE,
    degrade,
    encode_image,
    render_business_license,
    render_enrollment_certificate,
    render_id_back,
    render_id_front,
    render_labor_contract,
    render_lease_contract,
    render_lodging_certificate,
    render_old_permit,
    render_portrait,
    render_property_certificate,
)

# The sample-city generator renders many documents: in `make test`, not in the quick `make check`.
pytestmark = pytest.mark.slow

ID = "51130219900305123X"


def make_person(**overrides: object) -> Person:
    fields: dict[str, object] = {
        "name": "欧阳晓明",
        "sex": "男",
        "ethnicity": "汉",
        "birth_date": date(1990, 3, 5),
        "id_number": ID,
        "hukou_address": "四川省南充市顺庆区中城街道和平路一段128号附3号2单元502",
        "phone": "13800001111",
        "face_seed": 17,
    }
    fields.update(overrides)
    return Person(**fields)  # type: ignore[arg-type]


def make_lease(**overrides: object) -> LeaseContract:
    fields: dict[str, object] = {
        "landlord_name": "张建国",
        "landlord_id_number": "510104196503121234",
        "tenant_name": "欧阳晓明",
        "tenant_id_number": ID,
        "address": "四川省成都市武侯区玉林街道玉林北路12号3栋2单元501",
        "start_on": date(2024, 3, 1),
        "end_on": date(2025, 2, 28),
        "monthly_rent": 3500,
        "registration_no": "CDZL2024030100123",
        "signed_on": date(2024, 2, 20),
    }
    fields.update(overrides)
    return LeaseContract(**fields)  # type: ignore[arg-type]


def make_labor(**overrides: object) -> LaborContract:
    fields: dict[str, object] = {
        "employer_name": "成都天府智联科技有限公司",
        "employer_uscc": "91510107MA6CU4F07K",
        "employer_address": "四川省成都市武侯区天府大道北段1700号",
        "employee_name": "欧阳晓明",
        "employee_id_number": ID,
        "position": "软件工程师",
        "start_on": date(2023, 7, 1),
        "end_on": None,
        "monthly_salary": 12000,
        "signed_on": date(2023, 6, 28),
    }
    fields.update(overrides)
    return LaborContract(**fields)  # type: ignore[arg-type]


_CASCADE = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def count_faces(img: Image.Image) -> int:
    """What the photo check does: Haar frontal faces on the grey image."""
    grey = cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2GRAY)
    return len(_CASCADE.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(60, 60)))


def laplacian_var(img: Image.Image) -> float:
    grey = cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        # Wrapped lines split values; a reader joins them back.
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))


def png(img: Image.Image) -> bytes:
    return encode_image(img, "png")


IMAGE_RENDERERS = [
    pytest.param(lambda rng: render_id_front(make_person(), rng=rng), (856, 540), id="id_front"),
    pytest.param(
        lambda rng: render_id_back(IdCardBack("南充市公安局顺庆区分局", date(2016, 4, 12), None), rng=rng),
        (856, 540),
        id="id_back",
    ),
    pytest.param(lambda rng: render_portrait(5, rng=rng), (358, 441), id="portrait"),
    pytest.param(
        lambda rng: render_old_permit(
            OldPermit(
                "510107202300012345",
                make_person(),
                "成都市武侯区玉林北路12号",
                "成都市公安局武侯区分局",
                date(2023, 5, 6),
            ),
            rng=rng,
        ),
        (856, 540),
        id="old_permit",
    ),
    pytest.param(
        lambda rng: render_business_license(
            BusinessLicense(
                "91510107MA6CU4F07K",
                "成都天府智联科技有限公司",
                "有限责任公司(自然人投资或控股)",
                "李华",
                "伍佰万元整",
                date(2018, 5, 9),
                "成都市武侯区天府大道北段1700号",
                date(2022, 8, 1),
                "成都市武侯区市场监督管理局",
            ),
            rng=rng,
        ),
        (1600, 1130),
        id="business_license",
    ),
    pytest.param(
        lambda rng: render_property_certificate(
            PropertyCertificate(
                "川(2021)成都市不动产权第0123456号",
                "欧阳晓明",
                ID,
                "成都市武侯区玉林北路12号",
                89.52,
                "住宅",
                date(2021, 6, 3),
            ),
            rng=rng,
        ),
        None,
        id="property_certificate",
    ),
    pytest.param(
        lambda rng: render_enrollment_certificate(
            EnrollmentCertificate(
                "四川大学",
                "欧阳晓明",
                ID,
                "2021141460123",
                "计算机科学与技术",
                date(2021, 9, 1),
                date(2024, 3, 10),
            ),
            rng=rng,
        ),
        None,
        id="enrollment_certificate",
    ),
    pytest.param(
        lambda rng: render_lodging_certificate(
            LodgingCertificate(
                "成都天府智联科技有限公司",
                "欧阳晓明",
                ID,
                "成都市武侯区天府大道北段1700号宿舍3栋412室",
                date(2023, 7, 1),
                date(2024, 3, 10),
            ),
            rng=rng,
        ),
        None,
        id="lodging_certificate",
    ),
]


@pytest.mark.parametrize(("render", "size"), IMAGE_RENDERERS)
def test_image_renderers_are_deterministic_rgb_of_the_right_size(render, size) -> None:
    a = render(random.Random(7))
    b = render(random.Random(7))
    c = render(random.Random(8))
    assert a.mode == "RGB"
    if size is not None:
        assert a.size == size
    assert png(a) == png(b)
    assert png(a) != png(c), "a different seed should vary the layout or the noise"


@pytest.mark.parametrize("render", [render_lease_contract, render_labor_contract])
@pytest.mark.parametrize("scanned", [False, True])
def test_contract_pdfs_are_deterministic(render, scanned: bool) -> None:
    doc = make_lease() if render is render_lease_contract else make_labor()
    assert render(doc, rng=random.Random(3), scanned=scanned) == render(
        doc, rng=random.Random(3), scanned=scanned
    )


@pytest.mark.parametrize("seed", range(6))
def test_text_lease_contract_reads_back_the_facts(seed: int) -> None:
    doc = make_lease(registration_no="CDZL2024030100123" if seed % 2 else None)
    text = pdf_text(render_lease_contract(doc, rng=random.Random(seed), scanned=False))
    for value in (doc.landlord_name, doc.tenant_name, doc.tenant_id_number, doc.landlord_id_number, "3500"):
        assert value in text
    assert "玉林北路12号3栋2单元501" in text
    assert re.search(r"2024(年0?3月0?1日|-03-01)", text), "start date"
    assert re.search(r"2025(年0?2月28日|-02-28)", text), "end date"
    assert ("CDZL2024030100123" in text) == (doc.registration_no is not None)


@pytest.mark.parametrize("seed", range(4))
def test_text_labor_contract_reads_back_the_facts(seed: int) -> None:
    fixed = seed % 2 == 0
    doc = make_labor(end_on=date(2026, 6, 30) if fixed else None)
    data = render_labor_contract(doc, rng=random.Random(seed), scanned=False)
    text = pdf_text(data)
    for value in (doc.employer_name, doc.employer_uscc, doc.employee_name, ID, "软件工程师", "12000"):
        assert value in text
    assert ("无固定期限" in text) == (not fixed)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert 1 <= len(pdf.pages) <= 3


def test_contract_templates_vary_the_wording() -> None:
    texts = [
        pdf_text(render_lease_contract(make_lease(), rng=random.Random(s), scanned=False)) for s in range(12)
    ]
    landlord_terms = {t for t in ("出租方（甲方）", "出租人：", "甲方（出租人）") for x in texts if t in x}
    assert len(landlord_terms) == 3


@pytest.mark.parametrize("render", [render_lease_contract, render_labor_contract])
def test_scanned_contracts_are_image_only_one_image_per_page(render) -> None:
    doc = make_lease() if render is render_lease_contract else make_labor()
    data = render(doc, rng=random.Random(1), scanned=True)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert 1 <= len(pdf.pages) <= 3
        for page in pdf.pages:
            assert (page.extract_text() or "").strip() == ""
            assert len(page.images) == 1


def test_compliant_portraits_show_exactly_one_face_for_most_people() -> None:
    ones = sum(count_faces(render_portrait(s, rng=random.Random(s))) == 1 for s in range(40))
    assert ones >= 36


def test_same_person_has_the_same_face_on_every_document() -> None:
    a = np.asarray(render_portrait(9, rng=random.Random(1))).astype(int)
    b = np.asarray(render_portrait(9, rng=random.Random(2))).astype(int)
    c = np.asarray(render_portrait(10, rng=random.Random(1))).astype(int)
    assert np.abs(a - b).mean() < np.abs(a - c).mean()


def _background_is_white(img: Image.Image) -> bool:
    arr = np.asarray(img.convert("RGB")).astype(int)
    corners = np.concatenate([arr[:20, :20].reshape(-1, 3), arr[:20, -20:].reshape(-1, 3)])
    return bool((corners.min(axis=1) > 230).mean() > 0.9)


@pytest.mark.parametrize("seed", range(5))
def test_portrait_defects_are_really_non_compliant(seed: int) -> None:
    ok = render_portrait(seed, rng=random.Random(seed))
    assert count_faces(ok) == 1 and _background_is_white(ok)
    assert ok.width / ok.height == pytest.approx(358 / 441, abs=0.01)

    coloured = render_portrait(seed, rng=random.Random(seed), defect="colored_background")
    assert not _background_is_white(coloured)
    assert count_faces(render_portrait(seed, rng=random.Random(seed), defect="two_faces")) == 2
    assert count_faces(render_portrait(seed, rng=random.Random(seed), defect="no_face")) == 0
    landscape = render_portrait(seed, rng=random.Random(seed), defect="landscape")
    assert abs(landscape.width / landscape.height - 358 / 441) > 0.3


def test_degradations() -> None:
    card = render_id_front(make_person(), rng=random.Random(2))
    assert set(DEGRADATIONS_READABLE) >= {"clean", "skew", "desk_photo", "rotate90"}
    assert DEGRADATIONS_DEFECTIVE == {"severe_blur": "IMAGE_TOO_BLURRY", "tiny": "IMAGE_TOO_SMALL"}
    for kind in (*DEGRADATIONS_READABLE, *DEGRADATIONS_DEFECTIVE, "glare"):
        a = degrade(card, kind, rng=random.Random(4))
        assert png(a) == png(degrade(card, kind, rng=random.Random(4))), kind
    assert degrade(card, "rotate90", rng=random.Random(1)).size == (540, 856)
    desk = degrade(card, "desk_photo", rng=random.Random(1))
    assert desk.width >= 1600 and desk.width * desk.height > 3 * card.width * card.height
    clean_var = laplacian_var(card)
    assert laplacian_var(degrade(card, "blur", rng=random.Random(1))) > 20
    assert laplacian_var(degrade(card, "severe_blur", rng=random.Random(1))) < clean_var / 100
    assert max(degrade(card, "tiny", rng=random.Random(1)).size) <= 240


def test_encode_image_is_deterministic_and_decodable() -> None:
    img = render_portrait(3, rng=random.Random(3))
    for fmt in ("jpeg", "png"):
        data = encode_image(img, fmt, quality=80)
        assert data == encode_image(img, fmt, quality=80)
        assert Image.open(io.BytesIO(data)).size == img.size


@pytest.mark.slow
def test_tesseract_reads_the_id_number_off_a_clean_card() -> None:
    person = make_person(id_number="510107199203154321")
    card = render_id_front(person, rng=random.Random(11))
    number_line = card.crop((0, 400, 856, 500)).convert("L")
    text = pytesseract.image_to_string(number_line, lang="chi_sim", config="--psm 7")
    assert person.id_number in re.sub(r"\s+", "", text)
