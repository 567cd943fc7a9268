"""The sample city through the real shared-data store and the checks: the planted reasons come back.

Codes that need the documents read (image quality, the ID card's own name/number/validity, OCR
confidence) are answered by the document stage; every other planted reason must be found from the
shared data and the package alone, and nothing unplanted may be found.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from config.city import load_policy, load_reason_catalogue
from config.requirements import load_requirements
from models.checks import gather_applicant_data, run_checks
from models.decision import decide
from models.package import parse_application
from models.reasons import DOCUMENT_STAGE_CODES
from models.reasons import ReasonCode as R
from samplecity.city import generate_city
from samplecity.variants import Variants
from storage.shared_data import open_snapshot

TODAY = date(2026, 11, 27)
ANSWERED_HERE = set(R) - DOCUMENT_STAGE_CODES


@pytest.mark.parametrize(
    ("seed", "fmt", "variants"),
    [
        (5, "csv", Variants()),
        (6, "parquet", Variants()),
        # The same cities written in another registry's codes and words, with blank optional fields:
        # the same reasons must come back (a 510100 hukou is still local, 在营 still active).
        (5, "csv", Variants(feed="b", blank_optional=True)),
        (6, "parquet", Variants(feed="b", blank_optional=True)),
    ],
    ids=["csv", "parquet", "csv-feed-b", "parquet-feed-b"],
)
def test_checks_reproduce_the_planted_reasons(
    tmp_path: Path, seed: int, fmt: str, variants: Variants
) -> None:
    city = tmp_path / "city"
    generate_city(
        city, residents=400, cases=120, seed=seed, today=TODAY, fmt=fmt, render=False, variants=variants
    )
    expected = json.loads((city / "expected.json").read_text(encoding="utf-8"))["cases"]
    shared = open_snapshot(city / "shared-data", index_dir=tmp_path / "index")

    differences: dict[str, tuple[list[str], list[str]]] = {}
    seen_codes: set[str] = set()
    for folder in sorted((city / "cases").iterdir()):
        application = parse_application((folder / "application.json").read_bytes())
        want = expected[application.submission_id]
        if want["intake"] != "accepted":
            continue
        data = gather_applicant_data(shared, application)
        present = {d.kind for d in application.documents}
        outcomes = run_checks(
            application,
            data,
            None,
            present,
            load_requirements(),
            TODAY,
            policy=load_policy(),
            reasons=load_reason_catalogue(),
        )
        found = sorted({o.reason.value for o in outcomes if o.reason is not None} & ANSWERED_HERE)
        planted = sorted(set(want["reasons"]) & ANSWERED_HERE)
        seen_codes |= set(planted)
        if found != planted:
            differences[f"{application.submission_id} ({want['scenario']})"] = (planted, found)
        decision = decide(outcomes, load_policy())
        if planted:
            assert decision.outcome != "auto_approved", application.submission_id

    assert differences == {}
    # The city really exercised the data checks (one scenario per reason code comes first).
    assert seen_codes >= {c.value for c in ANSWERED_HERE}
