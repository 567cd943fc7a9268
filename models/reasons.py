"""Reason codes (DESIGN.md §4): stable identifiers shared with the portal and the policy."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ReasonCode(StrEnum):
    DOCUMENT_MISSING = "DOCUMENT_MISSING"
    FILE_UNREADABLE = "FILE_UNREADABLE"
    FILE_TYPE_NOT_ALLOWED = "FILE_TYPE_NOT_ALLOWED"
    IMAGE_TOO_SMALL = "IMAGE_TOO_SMALL"
    IMAGE_TOO_BLURRY = "IMAGE_TOO_BLURRY"
    PHOTO_NOT_COMPLIANT = "PHOTO_NOT_COMPLIANT"
    ID_NUMBER_INVALID = "ID_NUMBER_INVALID"
    ID_NUMBER_MISMATCH = "ID_NUMBER_MISMATCH"
    NAME_MISMATCH = "NAME_MISMATCH"
    ID_CARD_EXPIRED = "ID_CARD_EXPIRED"
    LOCAL_HUKOU = "LOCAL_HUKOU"
    NO_RESIDENCE_REGISTRATION = "NO_RESIDENCE_REGISTRATION"
    RESIDENCE_UNDER_6_MONTHS = "RESIDENCE_UNDER_6_MONTHS"
    NO_SOCIAL_INSURANCE = "NO_SOCIAL_INSURANCE"
    SOCIAL_INSURANCE_GAP = "SOCIAL_INSURANCE_GAP"
    BUSINESS_NOT_FOUND = "BUSINESS_NOT_FOUND"
    BUSINESS_INACTIVE = "BUSINESS_INACTIVE"
    LEASE_NOT_REGISTERED = "LEASE_NOT_REGISTERED"
    LEASE_EXPIRED = "LEASE_EXPIRED"
    ADDRESS_MISMATCH = "ADDRESS_MISMATCH"
    PROPERTY_NOT_FOUND = "PROPERTY_NOT_FOUND"
    NOT_ENROLLED = "NOT_ENROLLED"
    PERMIT_NOT_FOUND = "PERMIT_NOT_FOUND"
    ALREADY_HOLDS_PERMIT = "ALREADY_HOLDS_PERMIT"
    ENDORSEMENT_WINDOW = "ENDORSEMENT_WINDOW"
    OCR_LOW_CONFIDENCE = "OCR_LOW_CONFIDENCE"


# Reasons only the document stage can find: they need a file decoded or a document's own fields read
# (image quality, the photo, the ID card's name, number and validity, OCR confidence).
DOCUMENT_STAGE_CODES: frozenset[ReasonCode] = frozenset(
    {
        ReasonCode.FILE_UNREADABLE,
        ReasonCode.FILE_TYPE_NOT_ALLOWED,
        ReasonCode.IMAGE_TOO_SMALL,
        ReasonCode.IMAGE_TOO_BLURRY,
        ReasonCode.PHOTO_NOT_COMPLIANT,
        ReasonCode.ID_NUMBER_MISMATCH,
        ReasonCode.NAME_MISMATCH,
        ReasonCode.ID_CARD_EXPIRED,
        ReasonCode.OCR_LOW_CONFIDENCE,
    }
)


class ReasonText(BaseModel):
    """What a reason code says: Chinese for the applicant, English for logs and staff."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    zh: str = Field(min_length=4)
    en: str = Field(min_length=4)


# The reason catalogue: a text for every reason code (config/city.py loads config/reasons.yaml into it).
ReasonCatalogue = Mapping[ReasonCode, ReasonText]
