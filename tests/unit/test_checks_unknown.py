"""Property: what the rules do not recognise never decides a case (issue 11 item 2).

For clean cases of every business type and basis, replacing any one input with a value the rules do
not know — a status word or a code outside config/shared_data.yaml, a yes/no word the importer kept
as unknown, a document field that was not read or read below the bar — never yields 不予办理 or 待补正
(the machine's uncertainty is not the applicant's burden) and never approves the case unattended (no
silent pass): a person decides, with the reason shown.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from check_factories import (
    BASE_DOCS,
    TODAY,
    business,
    enrollment,
    f,
    hukou,
    make_app,
    make_data,
    make_facts,
    permit,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.city import load_policy, load_reason_catalogue
from config.requirements import load_requirements
from models.checks import run_checks
from models.decision import decide
from models.package import DocumentKind as K
from models.records import InsuranceMonth

REQ = load_requirements()
POLICY = load_policy()
REASONS = load_reason_catalogue()
FEED = REQ.feed

# name -> (application overrides, data overrides, documents uploaded)
HELD = {"permits": (permit(),)}
DUE = {"permits": (permit(issued_on=date(2025, 12, 20)),)}  # endorsement window open on TODAY
STUDY_DOCS = BASE_DOCS | {K.ENROLLMENT_CERTIFICATE, K.LODGING_CERTIFICATE}
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], set[K]]] = {
    "apply-residence": ({}, {}, BASE_DOCS | {K.LEASE_CONTRACT}),
    "apply-employment": ({"basis": "employment"}, {}, BASE_DOCS | {K.LABOR_CONTRACT}),
    "apply-study": ({"basis": "study"}, {}, STUDY_DOCS),
    "endorse": ({"business_type": "endorse", "basis": None}, DUE, BASE_DOCS),
    "change": ({"business_type": "change", "basis": None}, HELD, BASE_DOCS | {K.LEASE_CONTRACT}),
    "reissue": ({"business_type": "reissue", "basis": None}, HELD, BASE_DOCS),
}  # fmt: skip
UPLOADED_AS = {
    "id_front": K.ID_FRONT,
    "id_back": K.ID_BACK,
    "lease": K.LEASE_CONTRACT,
    "labor_contract": K.LABOR_CONTRACT,
    "enrollment": K.ENROLLMENT_CERTIFICATE,
}


def _outcome(case: str, data_overrides: dict[str, Any] | None = None, facts: Any = None) -> Any:
    app_overrides, base_data, docs = CASES[case]
    app = make_app(**app_overrides)
    data = make_data(**(base_data | (data_overrides or {})))
    outcomes = run_checks(
        app,
        data,
        facts if facts is not None else make_facts(),
        docs,
        REQ,
        TODAY,
        policy=POLICY,
        reasons=REASONS,
    )
    return decide(outcomes, POLICY), outcomes


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_baseline_is_approved_unattended(case: str) -> None:
    """The property below means something only if the untouched case passes every check."""
    decision, outcomes = _outcome(case)
    assert decision.outcome == "auto_approved", (
        decision.as_dict(),
        [o.as_dict() for o in outcomes if not o.evaluated],
    )


def _assert_a_person_decides(decision: Any) -> None:
    assert decision.outcome == "needs_review", decision.as_dict()


# Words no vocabulary knows: anything the vocabulary maps to no term.
def _unknown_words(column: str) -> st.SearchStrategy[str]:
    vocabulary = FEED.column(column)
    return st.text(min_size=1, max_size=12).filter(lambda w: w.strip() and vocabulary.canonical(w) is None)


unknown_codes = st.one_of(
    st.text(min_size=1, max_size=14),
    st.from_regex(r"\d{1,14}", fullmatch=True),
).filter(lambda c: c.strip() and FEED.hukou_city(c) is None)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(case=st.sampled_from(sorted(CASES)), code=unknown_codes)
def test_an_unknown_hukou_code_goes_to_a_person(case: str, code: str) -> None:
    decision, _ = _outcome(case, {"hukou": (hukou(code),)})
    _assert_a_person_decides(decision)


@SETTINGS
@given(word=_unknown_words("business_registry.status"))
def test_an_unknown_business_status_goes_to_a_person(word: str) -> None:
    from check_factories import USCC

    decision, _ = _outcome("apply-employment", {"businesses": {USCC: business(word)}})
    _assert_a_person_decides(decision)


@SETTINGS
@given(word=_unknown_words("school_enrollments.status"))
def test_an_unknown_enrolment_status_goes_to_a_person(word: str) -> None:
    decision, _ = _outcome("apply-study", {"enrollments": (enrollment(word),)})
    _assert_a_person_decides(decision)


@SETTINGS
@given(case=st.sampled_from(sorted(CASES)), word=_unknown_words("permits.status"))
def test_an_unknown_permit_status_goes_to_a_person(case: str, word: str) -> None:
    """For a first application the unknown permit might be a valid one; for the others it might be the
    permit they need: neither ALREADY_HOLDS_PERMIT nor PERMIT_NOT_FOUND."""
    base = CASES[case][1].get("permits") or (permit(),)
    changed = tuple(dataclasses.replace(p, status=word) for p in base)
    decision, _ = _outcome(case, {"permits": changed})
    _assert_a_person_decides(decision)


@SETTINGS
@given(case=st.sampled_from(["apply-employment"]), which=st.sets(st.integers(0, 5), min_size=1))
def test_an_unknown_paid_word_goes_to_a_person(case: str, which: set[int]) -> None:
    months = make_data().insurance
    changed = tuple(
        InsuranceMonth(m.id_number, m.employer_uscc, m.month, None if i in which else m.paid)
        for i, m in enumerate(months)
    )
    decision, _ = _outcome(case, {"insurance": changed})
    _assert_a_person_decides(decision)


def _fact_slots() -> list[tuple[str, str]]:
    facts = make_facts()
    return [
        (section, name)
        for section in facts.model_fields_set
        for name in getattr(facts, section).model_fields_set
    ]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("damage", ["unread", "low_confidence"])
def test_a_field_not_read_never_rejects_or_asks_for_correction(case: str, damage: str) -> None:
    """Every document field, in turn, missing or below the bar: never 不予办理 or 待补正; a person looks
    whenever the field is one the checks rely on."""
    required = {(s, n) for s, names in REQ.ocr_required_fields.items() for n in names}
    docs = CASES[case][2]
    for section, name in _fact_slots():
        value = getattr(getattr(make_facts(), section), name)
        replacement = None if damage == "unread" else f(value.value, confidence=REQ.ocr_min_confidence - 0.01)
        facts = make_facts(**{section: {name: replacement}})
        decision, _ = _outcome(case, facts=facts)
        assert decision.outcome not in ("rejected", "needs_correction"), (section, name, decision.as_dict())
        if (section, name) in required and UPLOADED_AS.get(section) in docs:
            _assert_a_person_decides(decision)
