"""What the shared data knows about one applicant, gathered once before the checks run.

`SharedDataLookups` is the part of the shared-data store (storage/shared_data) the checks use; it is
declared here so models/ depends on no storage code, and any store with these methods fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

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


@runtime_checkable
class SharedDataLookups(Protocol):
    """Lookups by ID number, address, registration / certificate number and USCC."""

    def registrations(self, id_number: str) -> Sequence[ResidenceRegistration]: ...
    def registrations_at(self, address: str) -> Sequence[ResidenceRegistration]: ...
    def insurance_months(self, id_number: str) -> Sequence[InsuranceMonth]: ...
    def leases_of_tenant(self, id_number: str) -> Sequence[LeaseRegistration]: ...
    def lease(self, registration_no: str) -> LeaseRegistration | None: ...
    def leases_at(self, address: str) -> Sequence[LeaseRegistration]: ...
    def properties_of_owner(self, id_number: str) -> Sequence[PropertyRecord]: ...
    def property(self, certificate_no: str) -> PropertyRecord | None: ...
    def properties_at(self, address: str) -> Sequence[PropertyRecord]: ...
    def business(self, uscc: str) -> BusinessRecord | None: ...
    def enrollments(self, id_number: str) -> Sequence[SchoolEnrollment]: ...
    def hukou(self, id_number: str) -> Sequence[HukouRecord]: ...
    def permits(self, id_number: str) -> Sequence[PermitRecord]: ...


@dataclass(frozen=True)
class ApplicantData:
    """The shared-data rows about one applicant (by the declared ID number) and the declared address.

    Lookups by number (`lease_by_no`, `property_by_no`, `businesses`) hold None for a number that was
    looked up and not found, so a check can tell "not found" from "not looked up".
    """

    id_number: str
    registrations: tuple[ResidenceRegistration, ...] = ()
    insurance: tuple[InsuranceMonth, ...] = ()
    leases: tuple[LeaseRegistration, ...] = ()
    properties: tuple[PropertyRecord, ...] = ()
    enrollments: tuple[SchoolEnrollment, ...] = ()
    hukou: tuple[HukouRecord, ...] = ()
    permits: tuple[PermitRecord, ...] = ()
    businesses: Mapping[str, BusinessRecord | None] = field(default_factory=dict)
    lease_by_no: Mapping[str, LeaseRegistration | None] = field(default_factory=dict)
    property_by_no: Mapping[str, PropertyRecord | None] = field(default_factory=dict)
    # Rows at the declared residence address, whoever they belong to (evidence for address checks).
    registrations_at_address: tuple[ResidenceRegistration, ...] = ()
    leases_at_address: tuple[LeaseRegistration, ...] = ()
    properties_at_address: tuple[PropertyRecord, ...] = ()
