"""The sample city's packages through the real intake: what the generator expects is what happens."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from models.package import PackageRefused
from models.tables import Case, Document
from samplecity.city import generate_city
from samplecity.variants import Variants
from services.intake import submit_folder
from storage.db import UnitOfWork

# The first cases of a city cycle through one scenario per reason code; the first 8 include a file
# of the wrong type (refused at intake) and a truncated file (accepted, unreadable later).
CASES = 8


@pytest.mark.parametrize(
    "variants",
    # Pickup addresses and the basis of other business types sent as "" (as some portals do), and the
    # documents drawn from the held-out template family: the intake must not care.
    [Variants(), Variants(blank_optional=True, template_family="b")],
    ids=["own-forms", "blank-optional-templates-b"],
)
def test_sample_city_packages_meet_the_intake_as_expected(
    engine: Engine, tmp_path: Path, variants: Variants
) -> None:
    city = tmp_path / "city"
    generate_city(city, residents=200, cases=CASES, seed=11, today=date(2026, 11, 27), variants=variants)
    expected = json.loads((city / "expected.json").read_text(encoding="utf-8"))["cases"]
    outcomes: dict[str, str] = {}
    refusal_codes: dict[str, set[str]] = {}
    for folder in sorted((city / "cases").iterdir()):
        submission_id = json.loads((folder / "application.json").read_text(encoding="utf-8"))["submission_id"]
        try:
            submit_folder(folder, UnitOfWork())
            outcomes[submission_id] = "accepted"
        except PackageRefused as exc:
            outcomes[submission_id] = "refused"
            refusal_codes[submission_id] = {p.code for p in exc.problems}

    assert outcomes == {sid: case["intake"] for sid, case in expected.items()}
    assert "refused" in outcomes.values() and "accepted" in outcomes.values()
    for sid, codes in refusal_codes.items():
        assert codes == {expected[sid]["refusal_reason"]}
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Case)).one() == list(outcomes.values()).count(
            "accepted"
        )
        kinds = set(session.exec(select(Document.kind)).all())
    assert {"id_front", "id_back", "photo"} <= kinds
