"""The automated checks of a case: pure functions over typed inputs, each returning a CheckOutcome.

`gather_applicant_data` asks the shared-data store everything the checks need, once; `run_checks`
runs every check relevant to the business type and basis and returns their outcomes in a stable
order; models/decision.py turns the outcomes into the case's automated outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from stdnum.cn import ric

from models.checks.data import ApplicantData, SharedDataLookups
from models.checks.documents import check_ocr_confidence, check_required_documents
from models.checks.employment import check_employer_business, check_social_insurance, latest_paid_employer
from models.checks.facts import DocumentFacts, trusted_date, trusted_str
from models.checks.housing import (
    check_address,
    check_change_registration,
    check_lease_current,
    check_lease_registered,
    check_property_record,
    find_lease,
    find_property,
)
from models.checks.identity import (
    check_id_card_validity,
    check_id_number_match,
    check_id_number_valid,
    check_local_hukou,
    check_name_match,
)
from models.checks.permits import (
    check_card_fee,
    check_endorsement_window,
    check_no_valid_permit,
    check_permit_held,
    check_returned_permit,
    permits_meaning,
)
from models.checks.requirements import Requirements
from models.checks.residence import check_residence_period, check_residence_registered
from models.checks.result import CheckOutcome
from models.checks.study import check_enrollment
from models.package import ApplicationPackage, Basis, BusinessType, DocumentKind
from models.policy import Policy
from models.reasons import ReasonCatalogue

__all__ = [
    "ApplicantData",
    "CheckOutcome",
    "DocumentFacts",
    "Requirements",
    "SharedDataLookups",
    "data_checks",
    "gather_applicant_data",
    "gather_by_id",
    "run_checks",
]


def _fact_values(facts: DocumentFacts | None, *keys: tuple[str, str]) -> list[str]:
    """Every text value read for these (section, field) keys, whatever its confidence: looking up a
    doubtful number costs nothing, and the checks decide later which values they trust."""
    if facts is None:
        return []
    values = []
    for section, name in keys:
        fact = facts.fact(section, name)
        if fact is not None and isinstance(fact.value, str) and fact.value.strip():
            values.append(fact.value.strip().upper() if name != "address" else fact.value.strip())
    return values


def gather_applicant_data(
    shared: SharedDataLookups, application: ApplicationPackage, facts: DocumentFacts | None = None
) -> ApplicantData:
    """Everything the shared data knows about the applicant (by the declared ID number), the declared
    address, and the numbers the documents name. Calls only SharedDataLookups methods."""
    return gather_by_id(
        shared, application.applicant.id_number, residence_address=application.residence_address, facts=facts
    )


def gather_by_id(
    shared: SharedDataLookups,
    id_number: str,
    *,
    residence_address: str | None = None,
    facts: DocumentFacts | None = None,
) -> ApplicantData:
    """gather_applicant_data without a package (the pre-check): by ID number, optionally an address."""
    id_number = ric.compact(id_number)
    insurance = tuple(shared.insurance_months(id_number))
    usccs = set(_fact_values(facts, ("labor_contract", "employer_uscc"), ("business_license", "uscc")))
    usccs |= {m.employer_uscc.strip().upper() for m in insurance if m.employer_uscc.strip()}
    lease_nos = _fact_values(facts, ("lease", "registration_no"))
    certificate_nos = _fact_values(facts, ("property", "certificate_no"))
    address = residence_address
    return ApplicantData(
        id_number=id_number,
        registrations=tuple(shared.registrations(id_number)),
        insurance=insurance,
        leases=tuple(shared.leases_of_tenant(id_number)),
        properties=tuple(shared.properties_of_owner(id_number)),
        enrollments=tuple(shared.enrollments(id_number)),
        hukou=tuple(shared.hukou(id_number)),
        permits=tuple(shared.permits(id_number)),
        businesses={uscc: shared.business(uscc) for uscc in sorted(usccs)},
        lease_by_no={no: shared.lease(no) for no in lease_nos},
        property_by_no={no: shared.property(no) for no in certificate_nos},
        registrations_at_address=tuple(shared.registrations_at(address)) if address else (),
        leases_at_address=tuple(shared.leases_at(address)) if address else (),
        properties_at_address=tuple(shared.properties_at(address)) if address else (),
    )


def _employer(data: ApplicantData, facts: DocumentFacts | None, min_conf: float) -> tuple[str | None, str]:
    """The employer USCC to check and where it came from: the labour contract, the business licence,
    else the latest paid insurance month."""
    for section, name in (("labor_contract", "employer_uscc"), ("business_license", "uscc")):
        value = trusted_str(facts, section, name, min_conf)
        if value:
            return value.upper(), section
    return latest_paid_employer(data.insurance), "social_insurance"


def data_checks(
    business_type: BusinessType,
    basis: Basis | None,
    data: ApplicantData,
    today: date,
    *,
    declared_address: str | None,
    facts: DocumentFacts | None = None,
    documents_present: Iterable[DocumentKind] | None = None,
    requirements: Requirements,
    policy: Policy,
) -> list[CheckOutcome]:
    """The checks against the shared data (eligibility), for a case or a pre-submission check.

    `declared_address` None (pre-check) skips the address comparisons; `documents_present` None
    (pre-check) treats every residence proof as possible: a residence-basis lease check runs only
    when a lease contract is uploaded, a property check only when a property certificate is.
    """
    conf = requirements.ocr_min_confidence
    present = None if documents_present is None else set(documents_present)
    feed = requirements.feed
    outcomes = [check_local_hukou(data.hukou, data.id_number, feed)]

    if business_type is BusinessType.APPLY:
        outcomes.append(
            check_residence_period(
                data.registrations,
                today,
                months=policy.min_residence_months,
                declared_address=declared_address,
            )
        )
        outcomes.append(check_no_valid_permit(data.permits, feed))
        if basis is Basis.EMPLOYMENT:
            outcomes.append(
                check_social_insurance(data.insurance, today, required=policy.min_social_insurance_months)
            )
            uscc, source = _employer(data, facts, conf)
            business = data.businesses.get(uscc) if uscc else None
            outcomes.append(check_employer_business(uscc, source, business, feed))
        elif basis is Basis.RESIDENCE:
            outcomes += _residence_proof_checks(data, facts, present, declared_address, today, conf)
        elif basis is Basis.STUDY:
            school = trusted_str(facts, "enrollment", "school", conf)
            outcomes.append(check_enrollment(data.enrollments, feed, school))
        return outcomes

    outcomes.append(check_permit_held(data.permits, feed, business_type.value))
    held = permits_meaning(data.permits, feed, feed.checks.permit_held.get(business_type.value, frozenset()))
    if business_type is BusinessType.ENDORSE:
        outcomes.append(check_residence_registered(data.registrations, today, declared_address))
        outcomes.append(
            check_endorsement_window(
                held[0] if held else None, today, window_days=policy.endorsement_window_days
            )
        )
    elif business_type is BusinessType.CHANGE:
        if declared_address is not None:
            outcomes.append(
                check_change_registration(
                    data.registrations,
                    declared_address,
                    today,
                    report_within_days=policy.change_report_within_days,
                )
            )
            outcomes += _residence_proof_checks(data, facts, present, declared_address, today, conf)
        else:
            outcomes.append(check_residence_registered(data.registrations, today))
    elif business_type is BusinessType.REISSUE:
        outcomes.append(check_residence_registered(data.registrations, today, declared_address))
        damaged = present is not None and DocumentKind.OLD_PERMIT in present
        outcomes.append(
            check_card_fee(
                bool(held), damaged, reissue_fee=policy.reissue_fee_yuan, replace_fee=policy.replace_fee_yuan
            )
        )
        if damaged:
            permit_no = trusted_str(facts, "old_permit", "permit_no", conf)
            outcomes.append(check_returned_permit(held[0] if held else None, permit_no))
    return outcomes


def _residence_proof_checks(
    data: ApplicantData,
    facts: DocumentFacts | None,
    present: set[DocumentKind] | None,
    declared_address: str | None,
    today: date,
    conf: float,
) -> list[CheckOutcome]:
    """Lease, property and/or lodging checks for the residence proof uploaded (a lodging certificate
    has no shared-data counterpart: its address is compared with the declared one)."""
    outcomes: list[CheckOutcome] = []
    if present is not None and DocumentKind.LODGING_CERTIFICATE in present and declared_address is not None:
        recorded = trusted_str(facts, "lodging", "address", conf)
        outcomes.append(check_address(declared_address, recorded, "lodging"))
    if present is None or DocumentKind.LEASE_CONTRACT in present:
        registration_no = trusted_str(facts, "lease", "registration_no", conf)
        if registration_no:
            registration_no = registration_no.upper()
        match = find_lease(
            data.id_number, data.leases, data.lease_by_no, registration_no, declared_address, today
        )
        outcomes.append(check_lease_registered(match, registration_no))
        outcomes.append(check_lease_current(match.lease, trusted_date(facts, "lease", "end_on", conf), today))
        if declared_address is not None:
            recorded = match.lease.address if match.lease else trusted_str(facts, "lease", "address", conf)
            outcomes.append(check_address(declared_address, recorded, "lease"))
    if present is None or DocumentKind.PROPERTY_CERTIFICATE in present:
        certificate_no = trusted_str(facts, "property", "certificate_no", conf)
        if certificate_no:
            certificate_no = certificate_no.upper()
        record, other = find_property(
            data.id_number, data.properties, data.property_by_no, certificate_no, declared_address
        )
        outcomes.append(check_property_record(record, other, certificate_no))
        if declared_address is not None:
            recorded = record.address if record else trusted_str(facts, "property", "address", conf)
            outcomes.append(check_address(declared_address, recorded, "property"))
    if present is None:
        # Pre-check: the applicant has not chosen a proof yet; one that holds is enough.
        proofs = [o for o in outcomes if o.check in ("lease_registered", "property_record")]
        if any(o.passed for o in proofs):
            held = {"lease" if o.check == "lease_registered" else "property" for o in proofs if o.passed}
            outcomes = [o for o in outcomes if o.passed or _proof_of(o.check) in held]
    return outcomes


def _proof_of(check: str) -> str:
    return "property" if check.startswith(("property", "address_matches_property")) else "lease"


def document_checks(
    application: ApplicationPackage,
    data: ApplicantData,
    facts: DocumentFacts | None,
    documents_present: Iterable[DocumentKind],
    requirements: Requirements,
    today: date,
) -> list[CheckOutcome]:
    """The package and its documents against the declaration and the shared data."""
    conf = requirements.ocr_min_confidence
    present = set(documents_present)
    declared_id = ric.compact(application.applicant.id_number)
    card_id = trusted_str(facts, "id_front", "id_number", conf)
    card_id = ric.compact(card_id) if card_id else None
    card_name = trusted_str(facts, "id_front", "name", conf)
    registry_names = [r.name for r in data.registrations if r.name.strip()]
    read_until = facts is not None and facts.was_read("id_back", "valid_until", conf)
    return [
        check_required_documents(
            present, requirements.required_groups(application.business_type, application.basis)
        ),
        check_ocr_confidence(facts, present, requirements.ocr_required_fields, conf),
        check_id_number_valid(declared_id, card_id, today),
        check_id_number_match(declared_id, card_id),
        check_name_match(application.applicant.name, card_name, registry_names),
        check_id_card_validity(trusted_date(facts, "id_back", "valid_until", conf), read_until, today),
    ]


def run_checks(
    application: ApplicationPackage,
    data: ApplicantData,
    facts: DocumentFacts | None,
    documents_present: Iterable[DocumentKind],
    requirements: Requirements,
    today: date,
    *,
    policy: Policy,
    reasons: ReasonCatalogue,
) -> list[CheckOutcome]:
    """Every check relevant to the case's business type and basis: documents first, then eligibility.

    The caller loads what the rules need: `requirements` (config/documents.yaml), `policy` (its
    statutory numbers: months of residence and insurance, endorsement window, change deadline, fees)
    and `reasons`, the texts failing outcomes are worded with.
    """
    present = set(documents_present)
    outcomes = document_checks(application, data, facts, present, requirements, today) + data_checks(
        application.business_type,
        application.basis,
        data,
        today,
        declared_address=application.residence_address,
        facts=facts,
        documents_present=present,
        requirements=requirements,
        policy=policy,
    )
    return [outcome.worded(reasons) for outcome in outcomes]
