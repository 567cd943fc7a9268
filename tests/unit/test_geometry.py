"""Finding, flattening and turning ID cards upright (real tesseract for the orientation reads)."""

from __future__ import annotations

import random
from datetime import date

import cv2
import numpy as np
import pytest

from documents.geometry import (
    CARD_H,
    CARD_W,
    estimate_skew,
    order_corners,
    prepare_id_card,
    rotate_by,
    rotate_clockwise,
    trim_uniform_border,
)
from samplecity.documents import Person
from samplecity.people import make_identity
from samplecity.render import degrade, render_id_front


def card(seed: int, condition: str = "clean") -> tuple[Person, np.ndarray]:
    rng = random.Random(seed)
    person = make_identity(rng, date(2026, 3, 1)).person
    img = degrade(render_id_front(person, rng=rng), condition, rng=rng)
    return person, cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)


def test_corners_are_ordered_clockwise_from_top_left() -> None:
    pts = np.array([[90, 10], [10, 80], [100, 90], [5, 5]], np.float32)
    assert order_corners(pts).tolist() == [[5, 5], [90, 10], [100, 90], [10, 80]]


def test_quarter_turns_compose_to_identity() -> None:
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert rotate_clockwise(img, 90).shape == (4, 3)
    assert (rotate_clockwise(rotate_clockwise(img, 90), 270) == img).all()


@pytest.mark.parametrize("angle", [-6.0, -2.5, 3.0, 7.0])
def test_skew_of_text_lines_is_measured(angle: float) -> None:
    page = np.full((400, 600), 255, np.uint8)
    for y in range(60, 360, 40):
        cv2.putText(page, "TEXT LINE 12345 ABCDE", (30, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    tilted = rotate_by(page, angle, 255)
    # The estimate is the rotation that undoes the tilt, to within half a degree.
    correction = estimate_skew(tilted)
    assert abs(correction + angle) < 0.6
    assert abs(estimate_skew(rotate_by(tilted, correction, 255))) < 0.6


def test_uniform_border_is_trimmed() -> None:
    img = np.full((300, 400, 3), 250, np.uint8)
    img[50:250, 60:360] = 200
    img[100:120, 100:300] = 0
    assert trim_uniform_border(img).shape[:2] == (200, 300)


@pytest.mark.slow
@pytest.mark.parametrize("rotation", ["clean", "rotate90", "rotate180", "rotate270"])
def test_each_rotation_of_a_card_is_put_upright(rotation: str) -> None:
    person, bgr = card(4242, rotation)
    upright, report, number = prepare_id_card(bgr)
    assert upright.shape[:2] == (CARD_H, CARD_W)
    assert number == person.id_number
    assert report.orientation_by == "id_number" and report.orientation_confident
    # The turn applied undoes the one the phone made (Image.rotate turns anticlockwise).
    turned = {"clean": 0, "rotate90": 90, "rotate180": 180, "rotate270": 270}[rotation]
    assert report.rotation == turned


@pytest.mark.slow
def test_desk_photo_is_found_and_warped_to_card_size() -> None:
    person, bgr = card(77, "desk_photo")
    assert bgr.shape[:2] != (CARD_H, CARD_W)
    upright, report, number = prepare_id_card(bgr)
    assert upright.shape[:2] == (CARD_H, CARD_W)
    assert report.warped and report.quad is not None and report.found_by.startswith(("contour", "colour"))
    assert number == person.id_number
    # The warp is tight: the card's own number band is at the bottom, not the desk.
    band = upright[int(CARD_H * 0.75) : int(CARD_H * 0.95), int(CARD_W * 0.3) : int(CARD_W * 0.9)]
    assert band.mean() > 120
