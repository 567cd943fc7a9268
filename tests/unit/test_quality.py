"""Image quality thresholds, calibrated on the sample city and on OpenCV's own blurs and downscales."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from functools import cache

import numpy as np
import pytest
from PIL import Image

from documents.quality import measure_quality, quality_problems
from documents.safe_image import cv2
from models.reasons import ReasonCode
from samplecity.documents import BusinessLicense, IdCardBack, LodgingCertificate, Person
from samplecity.render import (
    DEGRADATIONS_READABLE,
    degrade,
    render_business_license,
    render_id_back,
    render_id_front,
    render_lodging_certificate,
    render_portrait,
)

ID = "51130219900305123X"
PERSON = Person(
    name="欧阳晓明",
    sex="男",
    ethnicity="汉",
    birth_date=date(1990, 3, 5),
    id_number=ID,
    hukou_address="四川省南充市顺庆区中城街道和平路一段128号附3号2单元502",
    phone="13800001111",
    face_seed=17,
)

Render = Callable[[random.Random], Image.Image]
DOCUMENTS: dict[str, tuple[str, Render]] = {
    "id_front": ("id_front", lambda rng: render_id_front(PERSON, rng=rng)),
    "id_back": (
        "id_back",
        lambda rng: render_id_back(IdCardBack("南充市公安局顺庆区分局", date(2016, 4, 12), None), rng=rng),
    ),
    "portrait": ("photo", lambda rng: render_portrait(5, rng=rng)),
    "business_license": (
        "business_license",
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
    ),
    "lodging_certificate": (
        "lodging_certificate",
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
    ),
}


@cache
def rendered(name: str, seed: int) -> Image.Image:
    return DOCUMENTS[name][1](random.Random(seed))


def bgr(img: Image.Image) -> np.ndarray:
    return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)


def codes(img: np.ndarray, kind: str) -> list[ReasonCode]:
    return [p.reason for p in quality_problems(measure_quality(img), kind)]


# The calibration table: every sample-city degradation, with the codes it must give.
CALIBRATION = [
    *((name, d, []) for name in DOCUMENTS for d in DEGRADATIONS_READABLE),
    *((name, "severe_blur", [ReasonCode.IMAGE_TOO_BLURRY]) for name in DOCUMENTS),
    *((name, "tiny", [ReasonCode.IMAGE_TOO_SMALL]) for name in DOCUMENTS),
]


@pytest.mark.parametrize(("name", "degradation", "expected"), CALIBRATION)
def test_sample_city_degradations(name: str, degradation: str, expected: list[ReasonCode]) -> None:
    kind = DOCUMENTS[name][0]
    for seed in (0, 1) if kind in ("id_front", "photo") else (0,):
        img = degrade(rendered(name, seed), degradation, rng=random.Random(seed * 7 + 1))
        assert codes(bgr(img), kind) == expected, (name, degradation, seed)


@pytest.mark.parametrize(
    ("name", "sigma", "expected"),
    [
        # Sigma in pixels per 1000 px of the image's long side. A card stays readable at 1, not at 3+.
        ("id_front", 1, []),
        ("id_front", 3.5, [ReasonCode.IMAGE_TOO_BLURRY]),
        ("id_front", 6, [ReasonCode.IMAGE_TOO_BLURRY]),
        ("business_license", 1, []),
        ("business_license", 3, [ReasonCode.IMAGE_TOO_BLURRY]),
        ("portrait", 1, []),
        ("portrait", 6, [ReasonCode.IMAGE_TOO_BLURRY]),
    ],
)
def test_opencv_gaussian_blur(name: str, sigma: float, expected: list[ReasonCode]) -> None:
    kind = DOCUMENTS[name][0]
    img = bgr(rendered(name, 0))
    blurred = cv2.GaussianBlur(img, (0, 0), sigma * max(img.shape[:2]) / 1000)
    assert codes(blurred, kind) == expected


@pytest.mark.parametrize(
    ("name", "factor", "expected"),
    [
        ("id_front", 0.75, []),
        ("id_front", 0.5, [ReasonCode.IMAGE_TOO_SMALL]),
        ("business_license", 0.75, []),
        ("business_license", 0.5, [ReasonCode.IMAGE_TOO_SMALL]),
        ("portrait", 0.5, [ReasonCode.IMAGE_TOO_SMALL]),
        # Upscaling adds pixels but no detail; it is still sharp enough and big enough.
        ("id_front", 2.5, []),
    ],
)
def test_real_downscales(name: str, factor: float, expected: list[ReasonCode]) -> None:
    kind = DOCUMENTS[name][0]
    img = bgr(rendered(name, 0))
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    assert codes(cv2.resize(img, None, fx=factor, fy=factor, interpolation=interp), kind) == expected


def test_blur_score_does_not_depend_on_resolution() -> None:
    img = bgr(rendered("id_front", 0))
    base = measure_quality(img).blur
    big = measure_quality(cv2.resize(img, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)).blur
    assert 0.5 < big / base < 2


def test_dark_but_sharp_photo_is_not_blurry_but_underexposed() -> None:
    img = bgr(rendered("id_front", 0))
    dark = (img.astype(np.float32) * 0.2).astype(np.uint8)
    m = measure_quality(dark)
    assert quality_problems(m, "id_front") == []
    assert "underexposed" in m.warnings and m.brightness < 50


def test_glare_is_measured_not_rejected() -> None:
    img = degrade(rendered("id_front", 0), "glare", rng=random.Random(2))
    clean = measure_quality(bgr(rendered("id_front", 0)))
    m = measure_quality(bgr(img))
    assert m.glare > clean.glare
    assert quality_problems(m, "id_front") == []


def test_problems_carry_measurements_and_both_languages() -> None:
    tiny = np.full((100, 160, 3), 200, np.uint8)
    (p,) = quality_problems(measure_quality(tiny), "id_front")
    assert p.reason is ReasonCode.IMAGE_TOO_SMALL
    assert p.detail["width"] == 160 and "160×100" in p.zh and "160×100" in p.en


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        quality_problems(measure_quality(np.zeros((50, 50, 3), np.uint8)), "passport")
