"""ID cards read end to end with the real tesseract: generated cards, clean and degraded.

Measured (bench/results/ocr.md): the ID number is read and validated on practically every card; name
and address are where tesseract is weak, so those get floors, not 100%."""

from __future__ import annotations

import random
from datetime import date

import cv2
import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from documents.extract.id_back import read_id_back
from documents.extract.id_front import read_id_front
from samplecity.people import make_identity
from samplecity.render import degrade, render_id_back, render_id_front

pytestmark = pytest.mark.slow

FRONT_CASES = [(101, "clean"), (102, "clean"), (103, "desk_photo"), (104, "desk_photo"), (105, "rotate180")]


def bgr(img) -> np.ndarray:  # type: ignore[no-untyped-def]
    return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def front_readings():  # type: ignore[no-untyped-def]
    out = []
    for seed, condition in FRONT_CASES:
        rng = random.Random(seed)
        person = make_identity(rng, date(2026, 3, 1)).person
        img = degrade(render_id_front(person, rng=rng), condition, rng=rng)
        out.append((person, condition, read_id_front(bgr(img))))
    return out


def test_id_number_is_read_and_validated_on_every_card(front_readings) -> None:  # type: ignore[no-untyped-def]
    for person, condition, r in front_readings:
        assert r.facts.id_number is not None, condition
        assert r.facts.id_number.value == person.id_number, condition
        assert r.facts.id_number.confidence >= 0.9
        assert not r.problems


def test_birth_date_and_sex_come_out_right(front_readings) -> None:  # type: ignore[no-untyped-def]
    for person, _condition, r in front_readings:
        assert r.facts.birth_date is not None and r.facts.birth_date.value == person.birth_date
        assert r.facts.sex is not None and r.facts.sex.value == person.sex


def test_name_and_address_floors(front_readings) -> None:  # type: ignore[no-untyped-def]
    names = [(p.name, r.facts.name.value if r.facts.name else "") for p, _, r in front_readings]
    addresses = [
        (p.hukou_address, r.facts.address.value if r.facts.address else "") for p, _, r in front_readings
    ]
    # tesseract chi_sim misreads rare name characters (鑫, 邹); a name within one character still lets
    # the fuzzy verification against the declared name match. Exact reads: ~60% in the benchmark.
    assert sum(Levenshtein.distance(want, got or "") <= 1 for want, got in names) >= 4, names
    assert sum(want == got for want, got in names) >= 2, names
    assert sum(Levenshtein.distance(want, got or "") <= 3 for want, got in addresses) >= 4, addresses


def test_back_reads_validity_and_authority() -> None:
    rng = random.Random(7)
    for condition in ("clean", "rotate180"):
        back = make_identity(rng, date(2026, 3, 1)).back
        r = read_id_back(bgr(degrade(render_id_back(back, rng=rng), condition, rng=rng)))
        assert r.facts.valid_from is not None and r.facts.valid_from.value == back.valid_from
        assert r.facts.valid_until is not None and r.facts.valid_until.value == back.valid_until
        assert r.issuing_authority is not None
        assert Levenshtein.distance(r.issuing_authority.value or "", back.issuing_authority) <= 1
