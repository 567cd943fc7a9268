"""The flow's document stage on real rendered sample-city files with the real tesseract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from models.reasons import ReasonCode
from samplecity.city import generate_city
from services.documents import read_case_documents
from services.intake import submit_folder
from storage.db import UnitOfWork

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    # The first cases: document missing, file unreadable, wrong type, too small, too blurry, photo.
    generate_city(out, residents=200, cases=6, seed=3, today=date(2026, 11, 27))
    return out


def _package(city: Path, scenario: str) -> tuple[Path, dict[str, object]]:
    expected = json.loads((city / "expected.json").read_text(encoding="utf-8"))["cases"]
    for folder in sorted((city / "cases").iterdir()):
        application = json.loads((folder / "application.json").read_text(encoding="utf-8"))
        if expected[application["submission_id"]]["scenario"] == scenario:
            return folder, application
    raise LookupError(scenario)


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        ("file_unreadable", ReasonCode.FILE_UNREADABLE),
        ("image_too_small", ReasonCode.IMAGE_TOO_SMALL),
        ("image_too_blurry", ReasonCode.IMAGE_TOO_BLURRY),
        ("photo_not_compliant", ReasonCode.PHOTO_NOT_COMPLIANT),
    ],
)
def test_a_bad_file_becomes_its_reason_and_the_rest_is_still_read(
    city: Path, db_url: str, scenario: str, reason: ReasonCode
) -> None:
    folder, application = _package(city, scenario)
    documents = read_case_documents(submit_folder(folder, UnitOfWork()).case_id, UnitOfWork())
    assert documents.files == len(application["documents"])  # type: ignore[arg-type]
    # One problem per broken rule (a photo may break several): all of the planted kind.
    assert {p.reason for p in documents.problems} == {reason}
    failing = [o for o in documents.outcomes if o.failed]
    assert {o.reason for o in failing} == {reason} and all(o.zh and o.en for o in failing)
    # The ID card front is still read: its number is the declared one.
    assert documents.facts is not None and documents.facts.id_front is not None
    read = documents.facts.id_front.id_number
    assert read is not None and read.value == application["applicant"]["id_number"]  # type: ignore[index]


def test_rongju_extract_prints_masked_fields_with_confidence(city: Path) -> None:
    folder, application = _package(city, "image_too_blurry")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "rongju"), "extract", "--kind", "id_front",
         str(folder / "id_front.jpg"), "--json"],
        capture_output=True, text=True, env=dict(os.environ), timeout=300, check=True,
    )  # fmt: skip
    reading = json.loads(done.stdout)
    id_number = application["applicant"]["id_number"]  # type: ignore[index]
    assert id_number not in done.stdout
    assert reading["fields"]["id_number"]["value"] == f"{id_number[:4]}{'*' * 10}{id_number[-4:]}"
    assert 0 < reading["fields"]["id_number"]["confidence"] <= 1
    assert reading["metrics"]["width"] > 0 and reading["problems"] == []


def test_a_missing_ocr_engine_fails_the_step_and_asks_the_applicant_nothing(
    city: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a worker where RapidOCR is absent: its import fails. The reading must not turn that into
    # "upload a clearer file" (FILE_UNREADABLE): the step fails, to be replayed once it is installed.
    from documents.ocr.engines import EngineUnavailable, get_engine

    folder, _application = _package(city, "image_too_small")
    case_id = submit_folder(folder, UnitOfWork()).case_id
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    get_engine.cache_clear()
    try:
        with pytest.raises(EngineUnavailable):
            read_case_documents(case_id, UnitOfWork())
    finally:
        get_engine.cache_clear()


def test_the_card_face_is_built_from_the_stored_reading_never_a_second_ocr(
    city: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from documents.extract import id_front
    from documents.ocr import engines
    from models.package import DocumentKind
    from models.status import CaseStatus
    from services.card_issue import allocate_card

    folder, _application = _package(city, "photo_not_compliant")  # the ID card itself is fine
    case_id = submit_folder(folder, UnitOfWork()).case_id
    documents = read_case_documents(case_id, UnitOfWork())
    assert documents.facts is not None and documents.facts.id_front is not None
    with UnitOfWork() as uow:
        current = uow.documents.current(case_id)
        readouts = {d.kind: uow.documents.readout_of(d.id or 0) for d in current}
        assert all(readouts.values())  # every document's reading is kept, once
        front = readouts[DocumentKind.ID_FRONT.value]
        assert front is not None and front.facts == documents.facts.id_front.model_dump(mode="json")
        photo = readouts[DocumentKind.PHOTO.value]
        assert photo is not None and set(photo.problems) == {"PHOTO_NOT_COMPLIANT"}  # one per broken rule
        # As if a reviewer had approved it: the case goes to production in the Wuhou bureau.
        case = uow.cases.get(case_id)
        case.status, case.bureau = CaseStatus.IN_PRODUCTION.value, "成都市公安局武侯区分局"
        uow.add(case)
        uow.commit()

    def no_second_ocr(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the card was numbered after a second OCR of the ID card")

    monkeypatch.setattr(id_front, "read_id_front", no_second_ocr)
    for engine in (engines.RapidOcrEngine, engines.TesseractEngine):
        monkeypatch.setattr(engine, "read_lines", no_second_ocr)
        monkeypatch.setattr(engine, "read_crops", no_second_ocr)
    card = allocate_card(case_id, UnitOfWork(), on=date(2026, 11, 27))
    with UnitOfWork() as uow:
        issue = uow.cards.current(uow.cases.get(case_id))
    assert issue is not None
    face = issue.face
    # This rendered card reads cleanly: both fields reach the face from the stored reading.
    assert face["ethnicity"] == front.card_fields["ethnicity"]["value"]
    assert front.facts is not None and face["hukou_address"] == front.facts["address"]["value"]
    assert card.missing_fields == ()
