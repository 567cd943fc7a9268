"""The ID-photo check: one face, light plain background, 358×441 proportions."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from documents.portrait import check_portrait
from documents.safe_image import cv2
from models.reasons import ReasonCode
from samplecity.render import render_portrait


def bgr(img: Image.Image) -> np.ndarray:
    return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)


def test_sample_city_portraits_are_compliant() -> None:
    for seed in range(40):
        result = check_portrait(bgr(render_portrait(seed, rng=random.Random(seed))))
        assert result.compliant, (seed, result.as_dict())
        assert result.face_count == 1 and result.problems == []


@pytest.mark.parametrize(
    ("defect", "message"),
    [
        ("no_face", "未检测到人脸"),
        ("two_faces", "检测到多张人脸"),
        ("colored_background", "背景不是白色或浅色"),
        ("landscape", "照片比例应为 358×441（26×32 毫米）"),
    ],
)
def test_each_defect_is_refused_with_its_message(defect: str, message: str) -> None:
    for seed in range(4):
        result = check_portrait(bgr(render_portrait(seed, rng=random.Random(seed), defect=defect)))
        assert not result.compliant
        assert all(p.reason is ReasonCode.PHOTO_NOT_COMPLIANT for p in result.problems)
        assert any(p.zh.startswith(message) for p in result.problems), (seed, result.as_dict())


def _recolour_background(img: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """Replace the near-white background (BGR colour) while keeping the person."""
    out = img.copy()
    out[(img.min(axis=2) >= 240)] = colour
    return out


@pytest.mark.parametrize(
    ("colour", "ok"),
    [
        ((215, 215, 215), True),  # light grey is allowed
        ((235, 238, 240), True),  # off-white
        ((219, 142, 67), False),  # ID-photo blue (BGR)
        ((40, 30, 216), False),  # ID-photo red (BGR)
        ((120, 120, 120), False),  # dark grey
    ],
)
def test_background_colours(colour: tuple[int, int, int], ok: bool) -> None:
    img = _recolour_background(bgr(render_portrait(3, rng=random.Random(3))), colour)
    result = check_portrait(img)
    assert result.compliant is ok, result.as_dict()


def test_a_large_upload_is_checked_like_the_nominal_size() -> None:
    img = bgr(render_portrait(11, rng=random.Random(11)))
    big = cv2.resize(img, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
    result = check_portrait(big)
    assert result.compliant
    x, y, w, _ = result.faces[0]
    assert w > 4 * 60 and 0 <= x < big.shape[1] and 0 <= y < big.shape[0]


def test_a_cropped_square_photo_fails_the_proportions_only() -> None:
    img = bgr(render_portrait(12, rng=random.Random(12)))[:358, :]
    result = check_portrait(img)
    assert [p.zh[:6] for p in result.problems] == ["照片比例应为"]
