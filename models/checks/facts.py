"""Facts read from the uploaded documents by the OCR stage, each with the reader's confidence.

Every field is optional: a document not yet read, or a field the reader could not find, is None.
A field that was read carries a `Fact` (value + confidence 0–1); its value may still be None where
"blank" is a real answer (an ID card back valid "长期" has valid_until None). The checks only use a
value whose confidence reaches the configured threshold (config/documents.yaml); lower ones are
reported by the OCR_LOW_CONFIDENCE check and otherwise treated as unread, so a misread never
becomes a mismatch.
"""

from __future__ import annotations

from datetime import date
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from models.package import DocumentKind

T = TypeVar("T")


class Fact(BaseModel, Generic[T]):
    """One extracted value and how sure the reader is of it."""

    model_config = ConfigDict(frozen=True)
    value: T | None
    confidence: float = Field(ge=0.0, le=1.0)


class _Document(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def fact(self, name: str) -> Fact[object] | None:
        value = getattr(self, name)
        return value if isinstance(value, Fact) else None


class IdFrontFacts(_Document):
    name: Fact[str] | None = None
    id_number: Fact[str] | None = None
    address: Fact[str] | None = None
    birth_date: Fact[date] | None = None
    sex: Fact[str] | None = None


class IdBackFacts(_Document):
    valid_from: Fact[date] | None = None
    # value None with a confidence: the card reads 长期 (valid indefinitely).
    valid_until: Fact[date] | None = None


class LaborContractFacts(_Document):
    employer_uscc: Fact[str] | None = None
    employer_name: Fact[str] | None = None
    employee_id_number: Fact[str] | None = None
    start_on: Fact[date] | None = None
    end_on: Fact[date] | None = None


class LeaseFacts(_Document):
    registration_no: Fact[str] | None = None
    tenant_id_number: Fact[str] | None = None
    address: Fact[str] | None = None
    start_on: Fact[date] | None = None
    end_on: Fact[date] | None = None


class PropertyFacts(_Document):
    certificate_no: Fact[str] | None = None
    owner_name: Fact[str] | None = None
    address: Fact[str] | None = None


class EnrollmentFacts(_Document):
    school: Fact[str] | None = None
    id_number: Fact[str] | None = None


class BusinessLicenseFacts(_Document):
    uscc: Fact[str] | None = None
    name: Fact[str] | None = None


class LodgingFacts(_Document):
    """An employer's or school's 住宿证明: who lodges where, since when."""

    issuer: Fact[str] | None = None
    resident_name: Fact[str] | None = None
    id_number: Fact[str] | None = None
    address: Fact[str] | None = None
    since: Fact[date] | None = None


class OldPermitFacts(_Document):
    """The applicant's current residence permit (returned for 换领)."""

    permit_no: Fact[str] | None = None
    name: Fact[str] | None = None
    id_number: Fact[str] | None = None
    residence_address: Fact[str] | None = None
    issuing_authority: Fact[str] | None = None
    issued_on: Fact[date] | None = None


# Which DocumentKind each facts section was read from (for OCR_LOW_CONFIDENCE and its evidence).
SECTION_KIND: dict[str, DocumentKind] = {
    "id_front": DocumentKind.ID_FRONT,
    "id_back": DocumentKind.ID_BACK,
    "labor_contract": DocumentKind.LABOR_CONTRACT,
    "lease": DocumentKind.LEASE_CONTRACT,
    "property": DocumentKind.PROPERTY_CERTIFICATE,
    "enrollment": DocumentKind.ENROLLMENT_CERTIFICATE,
    "business_license": DocumentKind.BUSINESS_LICENSE,
    "lodging": DocumentKind.LODGING_CERTIFICATE,
    "old_permit": DocumentKind.OLD_PERMIT,
}


SECTION_MODEL: dict[str, type[_Document]] = {
    "id_front": IdFrontFacts,
    "id_back": IdBackFacts,
    "labor_contract": LaborContractFacts,
    "lease": LeaseFacts,
    "property": PropertyFacts,
    "enrollment": EnrollmentFacts,
    "business_license": BusinessLicenseFacts,
    "lodging": LodgingFacts,
    "old_permit": OldPermitFacts,
}


class DocumentFacts(BaseModel):
    """Everything the OCR stage read from one case's documents."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id_front: IdFrontFacts | None = None
    id_back: IdBackFacts | None = None
    labor_contract: LaborContractFacts | None = None
    lease: LeaseFacts | None = None
    property: PropertyFacts | None = None
    enrollment: EnrollmentFacts | None = None
    business_license: BusinessLicenseFacts | None = None
    lodging: LodgingFacts | None = None
    old_permit: OldPermitFacts | None = None

    def fact(self, section: str, name: str) -> Fact[object] | None:
        """The Fact for section.name, or None when the section or the field was not read."""
        document = getattr(self, section)
        return document.fact(name) if document is not None else None

    def trusted(self, section: str, name: str, min_confidence: float) -> object | None:
        """The value of section.name when it was read with at least min_confidence, else None."""
        found = self.fact(section, name)
        if found is None or found.confidence < min_confidence:
            return None
        return found.value

    def was_read(self, section: str, name: str, min_confidence: float) -> bool:
        """True when section.name was read confidently (its value may legitimately be None: 长期)."""
        found = self.fact(section, name)
        return found is not None and found.confidence >= min_confidence

    def read_facts(self) -> list[tuple[str, str, Fact[object]]]:
        """(section, field, fact) for every field that was read, in declaration order."""
        found = []
        for section in SECTION_KIND:
            document = getattr(self, section)
            if document is None:
                continue
            for name in type(document).model_fields:
                fact = document.fact(name)
                if fact is not None:
                    found.append((section, name, fact))
        return found


def trusted_str(facts: DocumentFacts | None, section: str, name: str, min_confidence: float) -> str | None:
    """A trusted text value, stripped; None when absent, blank or not confident."""
    if facts is None:
        return None
    value = facts.trusted(section, name, min_confidence)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def trusted_date(facts: DocumentFacts | None, section: str, name: str, min_confidence: float) -> date | None:
    """A trusted date value; None when absent or not confident."""
    if facts is None:
        return None
    value = facts.trusted(section, name, min_confidence)
    return value if isinstance(value, date) else None
