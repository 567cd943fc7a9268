"""Residence basis and address changes: registered lease, property record, and the address itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from models.address import AddressParts, normalise_address, parse_address
from models.checks.residence import active_registrations
from models.checks.result import CheckOutcome, failed, not_evaluated, passed
from models.masking import mask_address, mask_id_number
from models.reasons import ReasonCode
from models.records import LeaseRegistration, PropertyRecord, ResidenceRegistration

# --- addresses ------------------------------------------------------------------------------------

_DWELLING_PARTS = ("road", "number", "building", "unit", "room", "rest")


def addresses_match(declared: str, recorded: str) -> bool:
    """Same dwelling: the normalised addresses are equal, with one tolerance.

    Tolerated: a missing head — one side names the district or functional zone and the other does
    not — when road and house number are present and every dwelling part (road, number, building,
    unit, room, anything unrecognised) is equal. The road and number already fix the place in one
    city, and registries often drop the district.
    Not tolerated: any difference in building, unit or room, or a part present on one side only —
    "3栋" against "3栋2单元501室" may be a different flat, and that is exactly what the check is for.
    The reviewer gets the similarity score and the differing parts as evidence.
    """
    if normalise_address(declared) == normalise_address(recorded):
        return True
    a, b = parse_address(declared), parse_address(recorded)
    if not (a.road and a.number):
        return False
    if any(getattr(a, part) != getattr(b, part) for part in _DWELLING_PARTS):
        return False
    return all(_compatible(getattr(a, p), getattr(b, p)) for p in ("district", "zone"))


def _compatible(left: str | None, right: str | None) -> bool:
    return left is None or right is None or left == right


def differing_parts(declared: str, recorded: str) -> list[str]:
    """The names (not the values) of the address parts that differ, for the reviewer."""
    a, b = parse_address(declared), parse_address(recorded)
    located = all(p.road and p.number for p in (a, b))
    # Like normalise_address: 街道 and 社区 are optional once road and number fix the place.
    fields = ("district", "zone", *(() if located else ("subdistrict", "community")), *_DWELLING_PARTS)
    return [f for f in fields if _part(a, f) != _part(b, f)]


def _part(parts: AddressParts, name: str) -> str | None:
    value = getattr(parts, name)
    return value or None


def check_address(declared: str, recorded: str | None, source: str) -> CheckOutcome:
    """ADDRESS_MISMATCH: the declared residence address is the address on record (`source`: lease,
    property or registration). Not evaluated when there is no record to compare with."""
    check = f"address_matches_{source}"
    if recorded is None:
        return not_evaluated(check, f"{source}_address")
    evidence = {
        "declared": mask_address(declared),
        "recorded": mask_address(recorded),
        "similarity": round(fuzz.ratio(normalise_address(declared), normalise_address(recorded)), 1),
    }
    if not addresses_match(declared, recorded):
        return failed(
            check,
            ReasonCode.ADDRESS_MISMATCH,
            differing_parts=differing_parts(declared, recorded),
            **evidence,
        )
    return passed(
        check, "居住地址与登记信息一致。", f"Declared address matches the {source} address.", **evidence
    )


# --- leases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaseMatch:
    """The lease registration a case rests on, and how it was found."""

    lease: LeaseRegistration | None
    matched_by: str | None  # "registration_no" | "tenant" | None
    # The contract's registration number: None not known; True found for this tenant; False not.
    number_found: bool | None


def find_lease(
    id_number: str,
    tenant_leases: Sequence[LeaseRegistration],
    lease_by_no: Mapping[str, LeaseRegistration | None],
    registration_no: str | None,
    declared_address: str | None,
    today: date,
) -> LeaseMatch:
    """The registered lease for this case.

    By the contract's registration number when it was read and the registration is this tenant's;
    otherwise the tenant's best lease: at the declared address first, then in force today, then the
    latest ending. An unknown number falls back to the tenant's leases because a misread digit should
    not hide a registration that exists.
    """
    number_found: bool | None = None
    if registration_no:
        by_no = lease_by_no.get(registration_no)
        number_found = by_no is not None and by_no.tenant_id_number.strip().upper() == id_number
        if by_no is not None and number_found:
            return LeaseMatch(by_no, "registration_no", True)
    own = [lease for lease in tenant_leases if lease.tenant_id_number.strip().upper() == id_number]
    if not own:
        return LeaseMatch(None, None, number_found)

    def rank(lease: LeaseRegistration) -> tuple[bool, bool, date]:
        at_address = declared_address is not None and addresses_match(declared_address, lease.address)
        return (at_address, lease.start_on <= today <= lease.end_on, lease.end_on)

    return LeaseMatch(max(own, key=rank), "tenant", number_found)


def check_lease_registered(match: LeaseMatch, registration_no: str | None) -> CheckOutcome:
    """LEASE_NOT_REGISTERED: the lease has a registration (租赁登记备案) for this tenant."""
    check = "lease_registered"
    evidence = {
        "registration_no_on_contract": registration_no,
        "registration_no_found": match.number_found,
        "matched_by": match.matched_by,
    }
    if match.lease is None:
        return failed(check, ReasonCode.LEASE_NOT_REGISTERED, **evidence)
    evidence["registration_no"] = match.lease.registration_no
    return passed(check, "租赁合同已登记备案。", "Lease registration found.", **evidence)


def check_lease_current(
    lease: LeaseRegistration | None, document_end_on: date | None, today: date
) -> CheckOutcome:
    """LEASE_EXPIRED: the lease has not ended (a lease ending today is still in force today).

    The registered end date decides; the contract's own end date only when there is no registration.
    """
    check = "lease_current"
    end_on, source = (lease.end_on, "registration") if lease is not None else (document_end_on, "contract")
    if end_on is None:
        return not_evaluated(check, "lease.end_on")
    evidence = {"end_on": end_on.isoformat(), "source": source, "today": today.isoformat()}
    if end_on < today:
        return failed(check, ReasonCode.LEASE_EXPIRED, **evidence)
    return passed(check, "租赁合同在有效期内。", "Lease is in force.", **evidence)


# --- property -------------------------------------------------------------------------------------


def find_property(
    id_number: str,
    owned: Sequence[PropertyRecord],
    property_by_no: Mapping[str, PropertyRecord | None],
    certificate_no: str | None,
    declared_address: str | None,
) -> tuple[PropertyRecord | None, PropertyRecord | None]:
    """(the applicant's property record for this case, the certificate's record when owned by someone
    else). By certificate number when read, else the owned property at the declared address, else the
    first owned one."""
    if certificate_no:
        record = property_by_no.get(certificate_no)
        if record is not None and record.owner_id_number.strip().upper() != id_number:
            return None, record
        return record, None
    mine = [p for p in owned if p.owner_id_number.strip().upper() == id_number]
    if not mine:
        return None, None
    if declared_address is not None:
        for record in mine:
            if addresses_match(declared_address, record.address):
                return record, None
    return mine[0], None


def check_property_record(
    record: PropertyRecord | None, other_owner: PropertyRecord | None, certificate_no: str | None
) -> CheckOutcome:
    """PROPERTY_NOT_FOUND: a property record of the applicant (with the certificate's number, when read).

    A certificate on record under another owner (a spouse's or parent's flat) is also not found for
    this applicant; the evidence says so and a reviewer decides.
    """
    check = "property_record"
    evidence = {
        "certificate_no": certificate_no,
        "owned_by_someone_else": other_owner is not None,
        "other_owner": mask_id_number(other_owner.owner_id_number) if other_owner else None,
    }
    if record is None:
        return failed(check, ReasonCode.PROPERTY_NOT_FOUND, **evidence)
    evidence["certificate_no"] = record.certificate_no
    return passed(check, "房屋产权信息核验通过。", "Property record found for the applicant.", **evidence)


# --- change of address ----------------------------------------------------------------------------


def check_change_registration(
    regs: Sequence[ResidenceRegistration], declared_address: str, today: date, *, report_within_days: int = 7
) -> CheckOutcome:
    """A change (变更) needs the residence registration at the new address; its registered_on is the move.

    No registration in force: NO_RESIDENCE_REGISTRATION. In force but at another address:
    ADDRESS_MISMATCH (the move has not been registered yet, or the address was declared differently).
    A report later than `report_within_days` after the move is recorded in the evidence
    (`reported_late`) but is not a reason: no reason code exists for it and the statute fines it
    rather than refusing the change (tell the lead if one is wanted).
    """
    check = "change_registration"
    active = active_registrations(regs, today)
    if not active:
        return failed(check, ReasonCode.NO_RESIDENCE_REGISTRATION, registrations_on_record=len(regs))
    at_new = [r for r in active if addresses_match(declared_address, r.address)]
    if not at_new:
        return failed(
            check,
            ReasonCode.ADDRESS_MISMATCH,
            declared=mask_address(declared_address),
            registered=mask_address(active[0].address),
            differing_parts=differing_parts(declared_address, active[0].address),
        )
    moved_on = at_new[0].registered_on
    days = (today - moved_on).days
    return passed(
        check,
        "新居住地址已办理居住登记。",
        "Residence registration at the new address found.",
        moved_on=moved_on.isoformat(),
        days_since_move=days,
        report_within_days=report_within_days,
        reported_late=days > report_within_days,
        address=mask_address(at_new[0].address),
    )
