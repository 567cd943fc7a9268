"""Stored cases assessed through the service the flow uses: checks, decision, station, residence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from factories import jpeg_bytes, pdf_bytes, png_bytes

from models.reasons import DOCUMENT_STAGE_CODES
from samplecity.city import generate_city
from services.assessment import assess_case
from services.intake import submit_folder
from storage.db import UnitOfWork
from storage.repositories import CaseNotFound
from storage.shared_data import import_snapshot

TODAY = date(2026, 11, 27)


def _with_placeholder_files(package: Path, into: Path) -> Path:
    """The generator's application.json with small real files of the right type (rendering skipped)."""
    into.mkdir(parents=True)
    application = json.loads((package / "application.json").read_text(encoding="utf-8"))
    (into / "application.json").write_text(json.dumps(application, ensure_ascii=False), encoding="utf-8")
    for document in application["documents"]:
        name = document["file"]
        makers = {".pdf": pdf_bytes, ".png": png_bytes}
        (into / name).write_bytes(makers.get(Path(name).suffix, jpeg_bytes)())
    return into


def _submission_id(package: Path) -> str:
    return str(json.loads((package / "application.json").read_text(encoding="utf-8"))["submission_id"])


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    from config.settings import get_settings

    out = tmp_path / "city"
    generate_city(out, residents=300, cases=36, seed=21, today=TODAY, render=False)
    monkeypatch.setenv("RONGJU_SHARED_DATA_DIR", str(out / "shared-data"))
    monkeypatch.setenv("RONGJU_TODAY", TODAY.isoformat())
    get_settings.cache_clear()
    import_snapshot(out / "shared-data")
    return out


def test_stored_cases_are_assessed_with_planted_reasons_and_station(city: Path, tmp_path: Path) -> None:
    expected = json.loads((city / "expected.json").read_text(encoding="utf-8"))["cases"]
    checked = 0
    for package in sorted((city / "cases").iterdir()):
        application = json.loads((package / "application.json").read_text(encoding="utf-8"))
        want = expected[application["submission_id"]]
        if want["intake"] != "accepted":
            continue
        case_id = submit_folder(
            _with_placeholder_files(package, tmp_path / "pkgs" / package.name), UnitOfWork()
        ).case_id
        assessment = assess_case(case_id, UnitOfWork())
        found = {r.value for r in assessment.decision.reasons} - {c.value for c in DOCUMENT_STAGE_CODES}
        assert found == set(want["reasons"]) - {c.value for c in DOCUMENT_STAGE_CODES}, want["scenario"]
        assert assessment.routing.station_id == want["station_id"]
        assert assessment.routing.matched == want["station_matched"]
        # Without document facts nothing is approved unattended.
        assert assessment.decision.outcome != "auto_approved"
        checked += 1
    assert checked >= 30


def test_unknown_case_is_a_clear_error(city: Path) -> None:
    with pytest.raises(CaseNotFound):
        assess_case("RJ-NOPE", UnitOfWork())


def test_status_shows_accumulated_residence(city: Path, tmp_path: Path) -> None:
    expected = json.loads((city / "expected.json").read_text(encoding="utf-8"))["cases"]
    by_scenario = {expected[_submission_id(p)]["scenario"]: p for p in sorted((city / "cases").iterdir())}
    clean = by_scenario["clean_study"]
    case_id = submit_folder(_with_placeholder_files(clean, tmp_path / "clean"), UnitOfWork()).case_id
    done = subprocess.run(
        [str(Path(sys.executable).parent / "rongju"), "status", case_id, "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=True,
    )
    residence = json.loads(done.stdout)["residence"]
    assert residence["years"] * 12 + residence["months"] >= 6
    assert date.fromisoformat(residence["since"]) <= TODAY
