"""Template families: "a" (the tuning family, certificates.py / contracts.py / idcard.py) and "b" (the
held-out family, family_b_*.py), behind one dispatch.

Issue 11 item 4: extractors are tuned on family "a" and measured on family "b", whose wording and
layout they have not seen. ID cards and photos have one family (the state prints one card).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from PIL import Image

from samplecity.render import certificates, contracts, idcard
from samplecity.render.family_b_certificates import (
    render_business_license_b,
    render_enrollment_certificate_b,
    render_lodging_certificate_b,
    render_old_permit_b,
    render_property_certificate_b,
)
from samplecity.render.family_b_contracts import render_labor_contract_b, render_lease_contract_b

FAMILIES: tuple[str, ...] = ("a", "b")
PDF_KINDS: tuple[str, ...] = ("lease_contract", "labor_contract")
IMAGE_KINDS: tuple[str, ...] = (
    "business_license",
    "property_certificate",
    "enrollment_certificate",
    "lodging_certificate",
    "old_permit",
)

_PDF: dict[str, dict[str, Callable[..., bytes]]] = {
    "a": {
        "lease_contract": contracts.render_lease_contract,
        "labor_contract": contracts.render_labor_contract,
    },
    "b": {"lease_contract": render_lease_contract_b, "labor_contract": render_labor_contract_b},
}
_IMAGE: dict[str, dict[str, Callable[..., Image.Image]]] = {
    "a": {
        "business_license": certificates.render_business_license,
        "property_certificate": certificates.render_property_certificate,
        "enrollment_certificate": certificates.render_enrollment_certificate,
        "lodging_certificate": certificates.render_lodging_certificate,
        "old_permit": idcard.render_old_permit,
    },
    "b": {
        "business_license": render_business_license_b,
        "property_certificate": render_property_certificate_b,
        "enrollment_certificate": render_enrollment_certificate_b,
        "lodging_certificate": render_lodging_certificate_b,
        "old_permit": render_old_permit_b,
    },
}


def has_families(doc_kind: str) -> bool:
    """Whether ``doc_kind`` has a family "b" (every kind but id_front, id_back and photo)."""
    return doc_kind in PDF_KINDS or doc_kind in IMAGE_KINDS


def render_document_family(
    doc_kind: str, payload: Any, *, family: str, rng: random.Random, scanned: bool = False
) -> bytes | Image.Image:
    """One document of ``doc_kind`` drawn from template ``family`` ("a" or "b").

    Contracts come back as PDF bytes (``scanned``: image-only pages, no text layer); the other kinds
    as a PIL image, to be degraded and encoded by the caller exactly like family "a"'s. Family "a"
    gives the same bytes as calling its renderer directly with the same rng.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown template family {family!r}; expected one of {FAMILIES}")
    if doc_kind in PDF_KINDS:
        return _PDF[family][doc_kind](payload, rng=rng, scanned=scanned)
    if doc_kind in IMAGE_KINDS:
        return _IMAGE[family][doc_kind](payload, rng=rng)
    raise ValueError(f"{doc_kind!r} has no template families (id_front, id_back and photo have one layout)")
