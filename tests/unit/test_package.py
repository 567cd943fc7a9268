"""Validation of application.json: every problem reported at once, in Chinese and English."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from factories import make_application
from hypothesis import given
from hypothesis import strategies as st

from models.package import ApplicationPackage, BusinessType, PackageRefused, parse_application

CJK = re.compile(r"[\u4e00-\u9fff]")


def _refusal(application: Any) -> PackageRefused:
    raw = application if isinstance(application, bytes) else json.dumps(application).encode()
    with pytest.raises(PackageRefused) as raised:
        parse_application(raw)
    return raised.value


def test_valid_package_is_parsed_and_normalised() -> None:
    application = make_application(
        applicant={"name": " 王小明 ", "id_number": "51130219900315441x", "phone": "13812345678"}
    )
    package = parse_application(json.dumps(application, ensure_ascii=False).encode())
    assert isinstance(package, ApplicationPackage)
    assert package.business_type is BusinessType.APPLY
    assert package.applicant.name == "王小明"
    assert package.applicant.id_number.endswith("X")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"business_type": "renew"}, "business_type"),
        (
            {"applicant": {"name": "王", "id_number": "511302199003154418", "phone": "13812345678"}},
            "applicant.name",
        ),
        (
            {"applicant": {"name": "王小明", "id_number": "5113021990", "phone": "13812345678"}},
            "applicant.id_number",
        ),
        (
            {"applicant": {"name": "王小明", "id_number": "511302199003154418", "phone": "12345"}},
            "applicant.phone",
        ),
        ({"documents": []}, "documents"),
        ({"documents": [{"kind": "passport", "file": "a.jpg"}]}, "documents.0.kind"),
        ({"documents": [{"kind": "id_front", "file": "../../etc/passwd"}]}, "documents.0.file"),
        ({"documents": [{"kind": "id_front", "file": ".hidden.jpg"}]}, "documents.0.file"),
        ({"submission_id": "has space"}, "submission_id"),
        ({"unexpected": 1}, "unexpected"),
        ({"basis": None}, "application.json"),
        ({"delivery": {"method": "mail"}}, "application.json"),
        (
            {"documents": [{"kind": "id_front", "file": "a.jpg"}, {"kind": "id_back", "file": "a.jpg"}]},
            "application.json",
        ),
    ],
)
def test_invalid_field_is_named_in_both_languages(change: dict[str, Any], field: str) -> None:
    refusal = _refusal(make_application(**change))
    fields = [p.field for p in refusal.problems]
    assert field in fields
    problem = refusal.problems[fields.index(field)]
    assert CJK.search(problem.zh), problem.zh
    assert problem.en and not CJK.search(problem.en.split(":", 1)[0])


def test_all_problems_are_reported_at_once() -> None:
    """一次性告知: three wrong fields, three problems."""
    application = make_application(business_type="x", residence_address="", documents=[])
    assert {p.field for p in _refusal(application).problems} >= {
        "business_type",
        "residence_address",
        "documents",
    }


@pytest.mark.parametrize("raw", [b"\xff\xfe not json", b"[1, 2]", b"{", "申请".encode("gbk")])
def test_unparseable_application_is_refused(raw: bytes) -> None:
    refusal = _refusal(raw)
    assert refusal.problems[0].field == "application.json"


def test_submission_id_is_kept_on_refusal_so_the_portal_can_match_it() -> None:
    refusal = _refusal(make_application(submission_id="SCZW-1", documents=[]))
    assert refusal.submission_id == "SCZW-1"


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_id_number_shape_accepts_exactly_17_digits_and_a_check_char(candidate: str) -> None:
    application = make_application(
        applicant={"name": "王小明", "id_number": candidate, "phone": "13812345678"}
    )
    shape_ok = re.fullmatch(r"[0-9]{17}[0-9X]", candidate) is not None
    try:
        parse_application(json.dumps(application).encode())
        accepted = True
    except PackageRefused:
        accepted = False
    assert accepted == shape_ok
