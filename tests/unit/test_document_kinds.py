"""Every document kind has every piece it needs (issue 13 item 4).

Adding a kind touches several places — its label, the required-document rules, a reader, a facts
section the checks consume, the sample city's renderer, the masking of what is read. This test
loops over `DocumentKind` and fails naming the kind and the missing piece, so a new kind cannot be
half added. The README's "Adding a document kind" lists the same places.
"""

from __future__ import annotations

from datetime import date
from typing import Any, get_args

import pytest

from config.requirements import load_requirements
from models.checks.facts import SECTION_KIND, SECTION_MODEL, DocumentFacts, Fact
from models.package import DocumentKind
from samplecity.render.family_b import has_families
from samplecity.scenarios import DOCUMENT_KINDS
from services.documents import DocumentReading, _extractors, describe_reading

# The two pieces some kinds do without, and why.
NOT_TEXT = {DocumentKind.PHOTO: "a portrait, checked by the portrait check, has no text to read"}
OPTIONAL = {DocumentKind.OLD_PERMIT: "optional: the old card returned for 换领, never required"}
# The ID card sides and the photo have one template (the card is a national standard).
ONE_TEMPLATE = {DocumentKind.ID_FRONT, DocumentKind.ID_BACK, DocumentKind.PHOTO}

KINDS = list(DocumentKind)


def test_every_kind_has_its_own_label() -> None:
    for kind in KINDS:
        assert kind.label_zh and kind.label_en, kind
    assert len({k.label_zh for k in KINDS}) == len(KINDS)
    assert len({k.label_en for k in KINDS}) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_every_kind_is_required_somewhere(kind: DocumentKind) -> None:
    if kind in OPTIONAL:
        pytest.skip(OPTIONAL[kind])
    rules = load_requirements()
    groups = [*rules.all_cases, *rules.change, *rules.endorse, *rules.reissue]
    groups += [g for basis_groups in rules.apply.values() for g in basis_groups]
    assert any(kind in g.kinds for g in groups), f"{kind}: in no group of config/documents.yaml"


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_every_text_kind_is_read_into_a_facts_section_the_checks_use(kind: DocumentKind) -> None:
    if kind in NOT_TEXT:
        pytest.skip(NOT_TEXT[kind])
    assert kind.value in _extractors(), f"{kind}: no reader in services/documents.py"
    sections = [section for section, of_kind in SECTION_KIND.items() if of_kind is kind]
    assert len(sections) == 1, f"{kind}: read, but into no facts section (read and thrown away)"
    [section] = sections
    assert section in SECTION_MODEL and section in DocumentFacts.model_fields, section


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_sample_city_renders_every_kind(kind: DocumentKind) -> None:
    assert kind.value in DOCUMENT_KINDS
    assert kind in ONE_TEMPLATE or has_families(kind.value), f"{kind}: no second template family"


PERSONAL = {
    "name": "张三丰",
    "id_number": "510107199203154321",
    "address": "四川省成都市武侯区玉林北路12号3栋2单元502",
}


def _personal_kind(field: str) -> str | None:
    """Which personal value a facts field holds, by its name (resident_name → name, …)."""
    if "id_number" in field:
        return "id_number"
    if "address" in field:
        return "address"
    if field in ("name", "owner_name", "resident_name"):
        return "name"
    return None


@pytest.mark.parametrize("section", sorted(SECTION_MODEL))
def test_what_is_read_is_shown_masked(section: str) -> None:
    model = SECTION_MODEL[section]
    values: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        personal = _personal_kind(field)
        (fact_type,) = [a for a in get_args(info.annotation) if a is not type(None)]
        (value_type,) = fact_type.model_fields["value"].annotation.__args__[:1]
        if personal is not None:
            values[field] = Fact[str](value=PERSONAL[personal], confidence=0.99)
        elif value_type is date:
            values[field] = Fact[date](value=date(2025, 1, 1), confidence=0.99)
    shown = str(describe_reading(DocumentReading(kind=SECTION_KIND[section].value, facts=model(**values))))
    for field in values:
        personal = _personal_kind(field)
        if personal is not None:
            assert PERSONAL[personal] not in shown, f"{section}.{field} shown unmasked"
