"""Typed rows of the city's shared-data tables (DESIGN.md §4), as the checks consume them.

The shared-data store (storage/shared_data.py) returns these; the checks (models/checks/) are
pure functions over them. Column names follow the contract; values are cleaned (stripped,
upper-case X in ID numbers, dates parsed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ResidenceRegistration:
    id_number: str
    name: str
    address: str
    district_code: str
    registered_on: date
    deregistered_on: date | None


@dataclass(frozen=True)
class InsuranceMonth:
    id_number: str
    employer_uscc: str
    month: str  # YYYY-MM
    paid: bool | None  # None: the feed's word for it is unknown (accepted at import), neither paid nor not


@dataclass(frozen=True)
class LeaseRegistration:
    registration_no: str
    tenant_id_number: str
    address: str
    start_on: date
    end_on: date


@dataclass(frozen=True)
class PropertyRecord:
    certificate_no: str
    owner_id_number: str
    address: str


@dataclass(frozen=True)
class BusinessRecord:
    uscc: str
    name: str
    status: str


@dataclass(frozen=True)
class SchoolEnrollment:
    id_number: str
    school: str
    enrolled_on: date
    status: str


@dataclass(frozen=True)
class HukouRecord:
    id_number: str
    hukou_city_code: str


@dataclass(frozen=True)
class PermitRecord:
    permit_no: str
    id_number: str
    issued_on: date
    last_endorsed_on: date | None
    status: str
