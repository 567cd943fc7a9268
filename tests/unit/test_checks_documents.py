"""Documents: required kinds per business type and basis (config/documents.yaml), OCR confidence."""

from __future__ import annotations

import pytest
from check_factories import BASE_DOCS, f, make_facts

from config.city import load_reason_catalogue
from config.requirements import load_requirements
from models.checks.documents import check_ocr_confidence, check_required_documents
from models.package import Basis, BusinessType
from models.package import DocumentKind as K
from models.reasons import ReasonCode

REASONS = load_reason_catalogue()

REQ = load_requirements()


@pytest.mark.parametrize(
    ("business", "basis", "extra", "missing"),
    [
        (BusinessType.APPLY, Basis.EMPLOYMENT, {K.LABOR_CONTRACT}, []),
        (BusinessType.APPLY, Basis.EMPLOYMENT, {K.BUSINESS_LICENSE}, []),
        (BusinessType.APPLY, Basis.EMPLOYMENT, set(), ["labor_contract | business_license"]),
        (BusinessType.APPLY, Basis.RESIDENCE, {K.LEASE_CONTRACT}, []),
        (BusinessType.APPLY, Basis.RESIDENCE, {K.PROPERTY_CERTIFICATE}, []),
        (BusinessType.APPLY, Basis.RESIDENCE, {K.LODGING_CERTIFICATE}, []),
        (BusinessType.APPLY, Basis.RESIDENCE, {K.LABOR_CONTRACT}, [
            "lease_contract | property_certificate | lodging_certificate"
        ]),
        (BusinessType.APPLY, Basis.STUDY, {K.ENROLLMENT_CERTIFICATE, K.LODGING_CERTIFICATE}, []),
        (BusinessType.APPLY, Basis.STUDY, {K.ENROLLMENT_CERTIFICATE}, ["lodging_certificate"]),
        (BusinessType.CHANGE, None, {K.LEASE_CONTRACT}, []),
        (BusinessType.CHANGE, None, set(), ["lease_contract | property_certificate | lodging_certificate"]),
        (BusinessType.ENDORSE, Basis.EMPLOYMENT, set(), []),
        (BusinessType.REISSUE, None, set(), []),
    ],
)  # fmt: skip
def test_required_documents(business: BusinessType, basis: Basis | None, extra: set, missing: list) -> None:
    outcome = check_required_documents(BASE_DOCS | extra, REQ.required_groups(business, basis))
    assert outcome.passed is (not missing)
    if missing:
        assert outcome.reason is ReasonCode.DOCUMENT_MISSING
        assert outcome.evidence["missing"] == missing


def test_every_missing_document_is_named_at_once() -> None:
    outcome = check_required_documents(
        {K.ID_FRONT}, REQ.required_groups(BusinessType.APPLY, Basis.EMPLOYMENT)
    )
    assert outcome.evidence["missing"] == ["id_back", "photo", "labor_contract | business_license"]
    assert "居民身份证国徽面；证件照；劳动合同或营业执照" in outcome.worded(REASONS).zh
    assert "ID card (back); portrait photo; labour contract or business licence" in outcome.worded(REASONS).en


THRESHOLD = REQ.ocr_min_confidence
DOCS = BASE_DOCS | {K.LEASE_CONTRACT}


@pytest.mark.parametrize(
    ("facts", "low"),
    [
        (make_facts(), {}),
        (make_facts(id_front={"id_number": f("x", THRESHOLD)}), {}),  # exactly the threshold
        (make_facts(id_front={"id_number": f("x", THRESHOLD - 0.01)}), {"id_front.id_number": 0.79}),
        (make_facts(id_back={"valid_until": f(None, 0.99)}), {}),  # 长期, read clearly
        (make_facts(id_back={"valid_until": None}), {"id_back.valid_until": None}),  # not found at all
        # A low field the checks do not need, or a document not uploaded, is not a finding.
        (make_facts(id_front={"address": f("x", 0.1)}), {}),
        (make_facts(enrollment={"school": f("x", 0.1)}), {}),
    ],
)
def test_ocr_confidence(facts, low: dict) -> None:
    outcome = check_ocr_confidence(facts, DOCS, REQ.ocr_required_fields, THRESHOLD)
    assert outcome.passed is (not low)
    if low:
        assert outcome.reason is ReasonCode.OCR_LOW_CONFIDENCE
        assert outcome.evidence["low_fields"] == low


def test_ocr_not_evaluated_without_facts() -> None:
    assert not check_ocr_confidence(None, DOCS, REQ.ocr_required_fields, THRESHOLD).evaluated
