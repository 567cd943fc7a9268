"""Renderers of the sample city's documents: ID cards, photos, contracts, certificates, degradations.

Every function is deterministic in its inputs and the ``rng`` it is given: the same seed gives
byte-identical images and PDFs, so generated cases can be reproduced and diffed.
"""

from samplecity.render.certificates import (
    render_business_license,
    render_enrollment_certificate,
    render_lodging_certificate,
    render_property_certificate,
)
from samplecity.render.common import encode_image
from samplecity.render.contracts import render_labor_contract, render_lease_contract
from samplecity.render.degrade import DEGRADATIONS_DEFECTIVE, DEGRADATIONS_READABLE, degrade
from samplecity.render.faces import render_portrait
from samplecity.render.family_b import FAMILIES, has_families, render_document_family
from samplecity.render.idcard import render_id_back, render_id_front, render_old_permit

__all__ = [
    "DEGRADATIONS_DEFECTIVE",
    "DEGRADATIONS_READABLE",
    "FAMILIES",
    "degrade",
    "encode_image",
    "has_families",
    "render_business_license",
    "render_document_family",
    "render_enrollment_certificate",
    "render_id_back",
    "render_id_front",
    "render_labor_contract",
    "render_lease_contract",
    "render_lodging_certificate",
    "render_old_permit",
    "render_portrait",
    "render_property_certificate",
]
