"""ID cards read end to end with the real engines (tesseract, RapidOCR): generated cards, clean and
degraded.

Measured (bench/results/ocr.md): the ID number is read and validated on practically every card by
both. Name and address are where tesseract is weak, so with tesseract those get floors; RapidOCR, the
configured engine, must read every field of these cards exactly."""

from __future__ import annotations

import random
from datetime import date

import cv2
import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from documents.extract.id_back import read_id_back
from documents.extract.id_front import read_id_front
from documents.ocr.engines import get_engine
from samplecity.people import make_identity
from samplecity.render import degrade, render_id_back, render_id_front

pytestmark = pytest.mark.slow

FRONT_CASES = [(101, "clean"), (102, "clean"), (103, "desk_photo"), (104, "desk_photo"), (105, "rotate180")]


def bgr(img) -> np.ndarray:  # type: ignore[no-untyped-def]
    return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module", params=["tesseract", "rapidocr"])
def front_readings(request):  # type: ignore[no-untyped-def]
    engine = get_engine(request.param)
    out = []
    for seed, condition in FRONT_CASES:
        rng = random.Random(seed)
        person = make_identity(rng, date(2026, 3, 1)).person
        img = degrade(render_id_front(person, rng=rng), condition, rng=rng)
        out.append((person, condition, read_id_front(bgr(img), engine=engine)))
    return request.param, out


def test_id_number_is_read_and_validated_on_every_card(front_readings) -> None:  # type: ignore[no-untyped-def]
    _engine, readings = front_readings
    for person, condition, r in readings:
        assert r.facts.id_number is not None, condition
        assert r.facts.id_number.value == person.id_number, condition
        assert r.facts.id_number.confidence >= 0.9
        assert not r.problems


def test_birth_date_and_sex_come_out_right(front_readings) -> None:  # type: ignore[no-untyped-def]
    _engine, readings = front_readings
    for person, _condition, r in readings:
        assert r.facts.birth_date is not None and r.facts.birth_date.value == person.birth_date
        assert r.facts.sex is not None and r.facts.sex.value == person.sex


def test_name_and_address_floors(front_readings) -> None:  # type: ignore[no-untyped-def]
    engine, readings = front_readings
    names = [(p.name, r.facts.name.value if r.facts.name else "") for p, _, r in readings]
    addresses = [(p.hukou_address, r.facts.address.value if r.facts.address else "") for p, _, r in readings]
    ethnicities = [(p.ethnicity, r.ethnicity.value if r.ethnicity else "") for p, _, r in readings]
    if engine == "rapidocr":
        assert all(want == got for want, got in names), names
        assert all(want == got for want, got in addresses), addresses
        assert all(want == got for want, got in ethnicities), ethnicities
        return
    # tesseract chi_sim misreads rare name characters (鑫, 邹); a name within one character still lets
    # the fuzzy verification against the declared name match. Exact reads: ~60% in the benchmark.
    assert sum(Levenshtein.distance(want, got or "") <= 1 for want, got in names) >= 4, names
    assert sum(want == got for want, got in names) >= 2, names
    assert sum(Levenshtein.distance(want, got or "") <= 3 for want, got in addresses) >= 4, addresses


@pytest.mark.parametrize("engine", ["tesseract", "rapidocr"])
def test_back_reads_validity_and_authority(engine: str) -> None:
    rng = random.Random(7)
    for condition in ("clean", "rotate180"):
        back = make_identity(rng, date(2026, 3, 1)).back
        r = read_id_back(
            bgr(degrade(render_id_back(back, rng=rng), condition, rng=rng)), engine=get_engine(engine)
        )
        assert r.facts.valid_from is not None and r.facts.valid_from.value == back.valid_from
        assert r.facts.valid_until is not None and r.facts.valid_until.value == back.valid_until
        assert r.issuing_authority is not None
        assert Levenshtein.distance(r.issuing_authority.value or "", back.issuing_authority) <= 1
