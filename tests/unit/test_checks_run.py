"""run_checks and gather_applicant_data: the right checks per business type and basis, end to end
over a small in-memory shared-data store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pytest
from check_factories import (
    ADDRESS,
    BASE_DOCS,
    ID,
    TODAY,
    USCC,
    business,
    f,
    hukou,
    ins,
    lease,
    make_app,
    make_data,
    make_facts,
    paid_window,
    permit,
    reg,
)

from config.city import load_policy, load_reason_catalogue
from config.requirements import load_requirements
from models.checks import SharedDataLookups, gather_applicant_data, run_checks
from models.decision import decide
from models.package import DocumentKind as K
from models.reasons import ReasonCode
from models.records import (
    BusinessRecord,
    HukouRecord,
    InsuranceMonth,
    LeaseRegistration,
    PermitRecord,
    PropertyRecord,
    ResidenceRegistration,
    SchoolEnrollment,
)

REQ = load_requirements()
POLICY = load_policy()
REASONS = load_reason_catalogue()


@dataclass
class MemoryShared:
    """A SharedDataLookups over lists, for tests."""

    regs: list[ResidenceRegistration] = field(default_factory=list)
    insurance: list[InsuranceMonth] = field(default_factory=list)
    leases: list[LeaseRegistration] = field(default_factory=list)
    properties: list[PropertyRecord] = field(default_factory=list)
    businesses: list[BusinessRecord] = field(default_factory=list)
    schools: list[SchoolEnrollment] = field(default_factory=list)
    hukous: list[HukouRecord] = field(default_factory=list)
    permit_rows: list[PermitRecord] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def registrations(self, id_number: str) -> Sequence[ResidenceRegistration]:
        return [r for r in self.regs if r.id_number == id_number]

    def registrations_at(self, address: str) -> Sequence[ResidenceRegistration]:
        return [r for r in self.regs if r.address == address]

    def insurance_months(self, id_number: str) -> Sequence[InsuranceMonth]:
        return [m for m in self.insurance if m.id_number == id_number]

    def leases_of_tenant(self, id_number: str) -> Sequence[LeaseRegistration]:
        return [x for x in self.leases if x.tenant_id_number == id_number]

    def lease(self, registration_no: str) -> LeaseRegistration | None:
        self.calls.append(f"lease:{registration_no}")
        return next((x for x in self.leases if x.registration_no == registration_no), None)

    def leases_at(self, address: str) -> Sequence[LeaseRegistration]:
        return [x for x in self.leases if x.address == address]

    def properties_of_owner(self, id_number: str) -> Sequence[PropertyRecord]:
        return [p for p in self.properties if p.owner_id_number == id_number]

    def property(self, certificate_no: str) -> PropertyRecord | None:
        return next((p for p in self.properties if p.certificate_no == certificate_no), None)

    def properties_at(self, address: str) -> Sequence[PropertyRecord]:
        return [p for p in self.properties if p.address == address]

    def business(self, uscc: str) -> BusinessRecord | None:
        self.calls.append(f"business:{uscc}")
        return next((b for b in self.businesses if b.uscc == uscc), None)

    def enrollments(self, id_number: str) -> Sequence[SchoolEnrollment]:
        return [s for s in self.schools if s.id_number == id_number]

    def hukou(self, id_number: str) -> list[HukouRecord]:
        return [h for h in self.hukous if h.id_number == id_number]

    def permits(self, id_number: str) -> Sequence[PermitRecord]:
        return [p for p in self.permit_rows if p.id_number == id_number]


def test_gather_uses_only_the_protocol_and_looks_up_document_numbers() -> None:
    shared = MemoryShared(
        regs=[reg(date(2024, 1, 1))],
        insurance=paid_window(),
        leases=[lease()],
        businesses=[business()],
        hukous=[hukou()],
    )
    assert isinstance(shared, SharedDataLookups)
    data = gather_applicant_data(shared, make_app(), make_facts())
    assert data.id_number == ID
    assert data.hukou == (hukou(),)
    assert data.businesses == {USCC: business()}
    assert "lease:WH2026-000123" in shared.calls
    assert data.lease_by_no["WH2026-000123"] == lease()
    assert data.registrations_at_address == (reg(date(2024, 1, 1)),)


def _reasons(outcomes: list) -> set[ReasonCode]:
    return {o.reason for o in outcomes if o.reason is not None}


def _checks(outcomes: list) -> list[str]:
    return [o.check for o in outcomes]


LEASE_DOCS = BASE_DOCS | {K.LEASE_CONTRACT}


def test_clean_residence_case_is_auto_approved() -> None:
    outcomes = run_checks(
        make_app(), make_data(), make_facts(), LEASE_DOCS, REQ, TODAY, policy=POLICY, reasons=REASONS
    )
    assert _reasons(outcomes) == set()
    assert all(o.evaluated for o in outcomes), [o.check for o in outcomes if not o.evaluated]
    assert decide(outcomes, POLICY).outcome == "auto_approved"
    assert _checks(outcomes) == [
        "required_documents",
        "ocr_confidence",
        "id_number_valid",
        "id_number_match",
        "name_match",
        "id_card_validity",
        "local_hukou",
        "residence_period",
        "no_valid_permit",
        "lease_registered",
        "lease_current",
        "address_matches_lease",
    ]


def test_without_facts_nothing_is_approved_blind() -> None:
    outcomes = run_checks(
        make_app(), make_data(), None, LEASE_DOCS, REQ, TODAY, policy=POLICY, reasons=REASONS
    )
    decision = decide(outcomes, POLICY)
    assert decision.reasons == ()
    assert decision.outcome == "needs_review"
    assert {"ocr_confidence", "id_number_match", "id_card_validity"} <= set(decision.unevaluated)


@pytest.mark.parametrize(
    ("app", "data", "facts", "docs", "expected"),
    [
        # Employment: employer from the contract, inactive.
        (
            make_app(basis="employment"),
            make_data(businesses={USCC: business("注销")}),
            make_facts(),
            BASE_DOCS | {K.LABOR_CONTRACT},
            {ReasonCode.BUSINESS_INACTIVE},
        ),
        # Employment without facts: employer from the latest paid insurance month.
        (
            make_app(basis="employment"),
            make_data(businesses={USCC: None}, insurance=tuple(paid_window()[1:])),
            make_facts(labor_contract=None),
            BASE_DOCS | {K.LABOR_CONTRACT},
            {ReasonCode.BUSINESS_NOT_FOUND, ReasonCode.SOCIAL_INSURANCE_GAP},
        ),
        (
            make_app(basis="study"),
            make_data(enrollments=()),
            make_facts(),
            BASE_DOCS | {K.ENROLLMENT_CERTIFICATE},
            {ReasonCode.NOT_ENROLLED, ReasonCode.DOCUMENT_MISSING},
        ),
        (
            make_app(),
            make_data(hukou=(hukou("5101"),), registrations=(reg(date(2026, 9, 1)),), permits=(permit(),)),
            make_facts(),
            LEASE_DOCS,
            {ReasonCode.LOCAL_HUKOU, ReasonCode.RESIDENCE_UNDER_6_MONTHS, ReasonCode.ALREADY_HOLDS_PERMIT},
        ),
        # Lease: not registered, contract already ended, and at another address.
        (
            make_app(),
            make_data(leases=()),
            make_facts(
                lease={
                    "registration_no": None,
                    "end_on": f(date(2026, 10, 31)),
                    "address": f("成都市武侯区玉林北路12号3栋2单元502"),
                }
            ),
            LEASE_DOCS,
            {ReasonCode.LEASE_NOT_REGISTERED, ReasonCode.LEASE_EXPIRED, ReasonCode.ADDRESS_MISMATCH},
        ),
        # Identity from the card: another number, another name, expired; a glared field is not trusted.
        (
            make_app(),
            make_data(),
            make_facts(
                id_front={"name": f("王晓明"), "id_number": f("511302199003154429")},
                id_back={"valid_until": f(date(2026, 1, 1))},
            ),
            LEASE_DOCS,
            {
                ReasonCode.ID_NUMBER_MISMATCH,
                ReasonCode.NAME_MISMATCH,
                ReasonCode.ID_CARD_EXPIRED,
            },
        ),
        (
            make_app(),
            make_data(),
            make_facts(id_front={"id_number": f("511302199003154429", 0.3)}),
            LEASE_DOCS,
            {ReasonCode.OCR_LOW_CONFIDENCE},
        ),
        # Endorse: the permit exists, asked too early.
        (
            make_app(business_type="endorse"),
            make_data(permits=(permit(issued_on=date(2026, 3, 1)),)),
            make_facts(),
            BASE_DOCS,
            {ReasonCode.ENDORSEMENT_WINDOW},
        ),
        (
            make_app(business_type="reissue"),
            make_data(permits=()),
            make_facts(),
            BASE_DOCS,
            {ReasonCode.PERMIT_NOT_FOUND},
        ),
        # Change: the new address is not registered yet.
        (
            make_app(business_type="change", residence_address="四川省成都市青羊区草市街1号2栋301"),
            make_data(permits=(permit(),), leases=(lease(address="四川省成都市青羊区草市街1号2栋301"),)),
            make_facts(lease={"address": f("四川省成都市青羊区草市街1号2栋301")}),
            LEASE_DOCS,
            {ReasonCode.ADDRESS_MISMATCH},
        ),
    ],
)
def test_reasons_per_case(app, data, facts, docs, expected: set[ReasonCode]) -> None:
    assert (
        _reasons(run_checks(app, data, facts, docs, REQ, TODAY, policy=POLICY, reasons=REASONS)) == expected
    )


def test_change_case_with_registered_move_passes_and_notes_the_fee_free_change() -> None:
    new = "四川省成都市青羊区草市街1号2栋301"
    data = make_data(
        permits=(permit(),),
        registrations=(reg(date(2020, 1, 1), date(2026, 11, 19)), reg(date(2026, 11, 20), address=new)),
        leases=(lease(address=new),),
    )
    facts = make_facts(lease={"address": f(new)})
    outcomes = run_checks(
        make_app(business_type="change", residence_address=new),
        data,
        facts,
        LEASE_DOCS,
        REQ,
        TODAY,
        policy=POLICY,
        reasons=REASONS,
    )
    assert _reasons(outcomes) == set()
    change = next(o for o in outcomes if o.check == "change_registration")
    assert change.evidence["days_since_move"] == 7 and change.evidence["reported_late"] is False


def test_reissue_of_a_damaged_card_charges_the_replacement_fee() -> None:
    outcomes = run_checks(
        make_app(business_type="reissue"),
        make_data(permits=(permit(),)),
        make_facts(),
        BASE_DOCS | {K.OLD_PERMIT},
        REQ,
        TODAY,
        policy=POLICY,
        reasons=REASONS,
    )
    fee = next(o for o in outcomes if o.check == "card_fee")
    assert fee.evidence == {"kind": "换领", "fee_yuan": POLICY.replace_fee_yuan, "permit_held": True}


def test_no_personal_data_in_any_evidence() -> None:
    app = make_app(basis="employment")
    data = make_data(insurance=(ins("2026-10"),))
    facts = make_facts(id_front={"name": f("王晓明")})
    outcomes = run_checks(
        app, data, facts, BASE_DOCS | {K.LABOR_CONTRACT}, REQ, TODAY, policy=POLICY, reasons=REASONS
    )
    dumped = str([o.as_dict() for o in outcomes])
    for secret in (ID, "王小明", "王晓明", ADDRESS, "501"):
        assert secret not in dumped


@pytest.mark.parametrize(
    ("read", "evaluated", "passed"),
    [("same", True, True), ("other", False, True), (None, False, True)],
)
def test_the_returned_old_card_is_compared_with_the_permit_on_record(
    read: str | None, evaluated: bool, passed: bool
) -> None:
    # 换领: the number read from the returned card. A different number may be a misreading: never an
    # applicant-facing reason, a person looks at the card (the check is left unevaluated, reason shown).
    on_record = permit()
    numbers = {"same": on_record.permit_no, "other": "51010700000099", None: None}
    old = {"permit_no": f(numbers[read])} if read else {}
    outcomes = run_checks(
        make_app(business_type="reissue"),
        make_data(permits=(on_record,)),
        make_facts(old_permit=old),
        BASE_DOCS | {K.OLD_PERMIT},
        REQ,
        TODAY,
        policy=POLICY,
        reasons=REASONS,
    )
    returned = next(o for o in outcomes if o.check == "returned_permit")
    assert (returned.evaluated, returned.passed, returned.reason) == (evaluated, passed, None)
    assert on_record.permit_no not in str(returned.evidence)  # masked
    if read == "other":
        assert "人工核对" in returned.zh and decide(outcomes, POLICY).outcome == "needs_review"


def test_a_lodging_certificate_address_is_compared_with_the_declared_one() -> None:
    lodging_docs = BASE_DOCS | {K.LODGING_CERTIFICATE}
    elsewhere = "四川省成都市锦江区春熙路99号"

    def address_check(address: str | None) -> tuple[bool, bool, ReasonCode | None]:
        lodging = {"address": f(address)} if address else {}
        outcomes = run_checks(
            make_app(), make_data(), make_facts(lodging=lodging, lease=None), lodging_docs, REQ, TODAY,
            policy=POLICY, reasons=REASONS,
        )  # fmt: skip
        check = next(o for o in outcomes if o.check == "address_matches_lodging")
        return check.evaluated, check.passed, check.reason

    assert address_check(ADDRESS) == (True, True, None)
    assert address_check(elsewhere) == (True, False, ReasonCode.ADDRESS_MISMATCH)
    assert address_check(None)[0] is False  # not read: a person reads it
