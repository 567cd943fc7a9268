"""The declared name verified against rendered ID-card fronts with the real tesseract.

Measured over 480 cards in bench/results/name_verification.md; here two clean cards whose name
tesseract's free reading gets wrong (罗霞 read as 罗暇) or right but below the checks' 0.80 (欧阳健斌 at
0.77). The verification reads the name crop with tesseract whatever engine reads the card; the
configured engine (RapidOCR) reads both names right by itself, which the last test pins."""

from __future__ import annotations

import random
from datetime import date

import cv2
import numpy as np
import pytest
from PIL import Image

from documents.extract.id_front import read_id_front
from documents.ocr.engines import get_engine
from samplecity.documents import Person
from samplecity.people import make_identity
from samplecity.render import degrade, encode_image, render_id_front
from services.documents import Declared, read_document

pytestmark = pytest.mark.slow

TRUSTED = 0.80  # config/documents.yaml ocr_min_confidence
TESSERACT = get_engine("tesseract")


def card(seed: int) -> tuple[Person, Image.Image]:
    rng = random.Random(seed)
    person = make_identity(rng, date(2026, 3, 1)).person
    return person, degrade(render_id_front(person, rng=rng), "clean", rng=rng)


def bgr(img: Image.Image) -> np.ndarray:
    return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def luo_xia() -> tuple[Person, np.ndarray]:
    person, img = card(107)
    assert person.name == "罗霞"  # the sample city's generator is deterministic
    return person, bgr(img)


@pytest.mark.parametrize("seed", [103, 107])
def test_a_card_showing_the_declared_name_is_confirmed_where_the_free_reading_was_not_trusted(
    seed: int,
) -> None:
    person, img = card(seed)
    free = read_id_front(bgr(img), engine=TESSERACT).facts.name
    assert free is None or free.value != person.name or free.confidence < TRUSTED

    reading = read_id_front(bgr(img), engine=TESSERACT, expected_name=person.name)
    assert reading.name_verification is not None and reading.name_verification.confirmed
    assert reading.facts.name is not None
    assert reading.facts.name.value == person.name and reading.facts.name.confidence >= TRUSTED


@pytest.mark.parametrize(
    "declared",
    [
        "张伟",  # wholly different
        "周霞",  # the surname changed
        "罗雪",  # the given name changed
        "罗暇",  # what the free reading says: a misreading is not confirmed either
    ],
)
def test_a_card_showing_another_name_is_not_confirmed_and_the_free_reading_stands(
    luo_xia: tuple[Person, np.ndarray], declared: str
) -> None:
    _person, img = luo_xia
    free = read_id_front(img, engine=TESSERACT)
    reading = read_id_front(img, engine=TESSERACT, expected_name=declared)
    assert reading.name_verification is not None and not reading.name_verification.confirmed
    assert reading.facts.name == free.facts.name


def test_the_file_check_tells_the_reviewer_the_name_was_verified_masked() -> None:
    person, img = card(107)
    data = encode_image(img, "png")
    verified = read_document("id_front", data, "image/png", declared=Declared(name=person.name))
    assert verified.facts.name.value == person.name
    shown = str(verified.metrics["card_name"])
    assert shown.startswith("罗* 核对一致 verified") and "霞" not in shown

    other = read_document("id_front", data, "image/png", declared=Declared(name="罗雪"))
    assert str(other.metrics["card_name"]).startswith("未能核对 not verified")
    # Without a declaration (rongju extract) the card is only read, as before.
    assert "card_name" not in read_document("id_front", data, "image/png").metrics


def test_a_failing_verification_pass_leaves_the_free_reading(
    luo_xia: tuple[Person, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    person, img = luo_xia
    free = read_id_front(img, engine=TESSERACT)

    def timed_out(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("Tesseract process timeout")

    monkeypatch.setattr("documents.extract.id_front.read_line_variants", timed_out)
    reading = read_id_front(img, engine=TESSERACT, expected_name=person.name)
    assert reading.name_verification is None and reading.facts == free.facts


@pytest.mark.parametrize("seed", [103, 107])
def test_the_configured_engine_reads_those_names_freely(seed: int) -> None:
    person, img = card(seed)
    free = read_id_front(bgr(img)).facts.name  # config/ocr.yaml: id_front → rapidocr
    assert free is not None and free.value == person.name and free.confidence >= TRUSTED
