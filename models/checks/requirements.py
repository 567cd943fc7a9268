"""What the checks need: required documents per business type and basis and OCR thresholds
(config/documents.yaml, loaded by config/requirements.py), with the shared-data feeds' vocabulary."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.checks.facts import SECTION_MODEL
from models.feed_vocabulary import FeedVocabulary
from models.package import Basis, BusinessType, DocumentKind


class DocumentGroup(BaseModel):
    """One required item: any one of `kinds` satisfies it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kinds: tuple[DocumentKind, ...] = Field(min_length=1)

    def satisfied_by(self, present: set[DocumentKind] | frozenset[DocumentKind]) -> bool:
        return any(kind in present for kind in self.kinds)

    @property
    def label(self) -> str:
        return " | ".join(kind.value for kind in self.kinds)


def _group(item: Any) -> DocumentGroup:
    if isinstance(item, str):
        return DocumentGroup(kinds=(DocumentKind(item),))
    if isinstance(item, dict) and set(item) == {"one_of"}:
        return DocumentGroup(kinds=tuple(DocumentKind(k) for k in item["one_of"]))
    raise ValueError(f"a requirement is a document kind or {{one_of: [...]}}, not {item!r}")


class Requirements(BaseModel):
    """config/documents.yaml, typed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    all_cases: tuple[DocumentGroup, ...]
    apply: dict[Basis, tuple[DocumentGroup, ...]]
    change: tuple[DocumentGroup, ...]
    endorse: tuple[DocumentGroup, ...]
    reissue: tuple[DocumentGroup, ...]
    ocr_min_confidence: float = Field(gt=0.0, le=1.0)
    ocr_required_fields: dict[str, tuple[str, ...]]
    # The feeds' codes and status words and what they mean to the checks (config/shared_data.yaml).
    feed: FeedVocabulary

    @field_validator("apply")
    @classmethod
    def _every_basis(
        cls, value: dict[Basis, tuple[DocumentGroup, ...]]
    ) -> dict[Basis, tuple[DocumentGroup, ...]]:
        missing = [b.value for b in Basis if b not in value]
        if missing:
            raise ValueError(f"apply: no requirements for basis {', '.join(missing)}")
        return value

    @field_validator("ocr_required_fields")
    @classmethod
    def _known_fields(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for section, names in value.items():
            model = SECTION_MODEL.get(section)
            if model is None:
                raise ValueError(f"ocr_required_fields: unknown section {section!r}")
            unknown = [n for n in names if n not in model.model_fields]
            if unknown:
                raise ValueError(f"ocr_required_fields.{section}: unknown field(s) {unknown}")
        return value

    def required_groups(self, business_type: BusinessType, basis: Basis | None) -> tuple[DocumentGroup, ...]:
        """Every group a case of this business type (and basis, for apply) must satisfy."""
        extra: tuple[DocumentGroup, ...]
        if business_type is BusinessType.APPLY:
            extra = self.apply[basis] if basis is not None else ()
        else:
            extra = getattr(self, business_type.value)
        return self.all_cases + extra


def requirements_from_mapping(data: dict[str, Any], feed: FeedVocabulary) -> Requirements:
    """Build Requirements from the YAML's mapping (raises ValueError / ValidationError)."""
    required = dict(data.get("required") or {})
    apply = required.get("apply") or {}
    return Requirements(
        all_cases=tuple(_group(i) for i in required.get("all") or ()),
        apply={Basis(b): tuple(_group(i) for i in items or ()) for b, items in apply.items()},
        change=tuple(_group(i) for i in required.get("change") or ()),
        endorse=tuple(_group(i) for i in required.get("endorse") or ()),
        reissue=tuple(_group(i) for i in required.get("reissue") or ()),
        ocr_min_confidence=data["ocr_min_confidence"],
        ocr_required_fields={k: tuple(v) for k, v in (data.get("ocr_required_fields") or {}).items()},
        feed=feed,
    )
