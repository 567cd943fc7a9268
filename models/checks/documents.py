"""The package's documents: every required one present, and the fields the checks rely on read clearly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from models.checks.facts import SECTION_KIND, DocumentFacts
from models.checks.requirements import DocumentGroup
from models.checks.result import CheckOutcome, failed, not_evaluated, passed
from models.package import DocumentKind
from models.reasons import ReasonCode


def group_label(group: DocumentGroup) -> tuple[str, str]:
    """(zh, en) for a requirement: 劳动合同或营业执照 / labour contract or business licence."""
    zh = "或".join(k.label_zh for k in group.kinds)
    en = " or ".join(k.label_en for k in group.kinds)
    return zh, en


def check_required_documents(
    present: Iterable[DocumentKind], groups: Sequence[DocumentGroup]
) -> CheckOutcome:
    """DOCUMENT_MISSING: every required group (config/documents.yaml) has one of its kinds uploaded.

    All missing items are named in one outcome, so the correction notice lists them at once
    (一次性告知).
    """
    check = "required_documents"
    have = frozenset(present)
    missing = [g for g in groups if not g.satisfied_by(have)]
    evidence = {"present": sorted(k.value for k in have), "required": [g.label for g in groups]}
    if missing:
        labels = [group_label(g) for g in missing]
        return failed(
            check,
            ReasonCode.DOCUMENT_MISSING,
            detail_zh="缺少：" + "；".join(zh for zh, _ in labels),
            detail_en="missing: " + "; ".join(en for _, en in labels),
            missing=[g.label for g in missing],
            **evidence,
        )
    return passed(check, "所需材料齐全。", "All required documents are present.", **evidence)


def check_ocr_confidence(
    facts: DocumentFacts | None,
    present: Iterable[DocumentKind],
    required_fields: Mapping[str, Sequence[str]],
    threshold: float,
) -> CheckOutcome:
    """OCR_LOW_CONFIDENCE: every required field of an uploaded document was read with confidence at
    least `threshold`. A required field that was not read at all is also low confidence (the reader
    found nothing where the field must be). Documents not uploaded are DOCUMENT_MISSING's business.
    """
    check = "ocr_confidence"
    if facts is None:
        return not_evaluated(check, "document_facts")
    have = set(present)
    low: dict[str, float | None] = {}
    for section, names in required_fields.items():
        if SECTION_KIND[section] not in have or getattr(facts, section) is None:
            continue
        for name in names:
            fact = facts.fact(section, name)
            if fact is None:
                low[f"{section}.{name}"] = None
            elif fact.confidence < threshold:
                low[f"{section}.{name}"] = round(fact.confidence, 3)
    evidence = {"threshold": threshold, "low_fields": low}
    if low:
        kinds = sorted({SECTION_KIND[key.split(".")[0]] for key in low}, key=lambda k: k.value)
        return failed(
            check,
            ReasonCode.OCR_LOW_CONFIDENCE,
            detail_zh="、".join(k.label_zh for k in kinds),
            detail_en=", ".join(k.label_en for k in kinds),
            **evidence,
        )
    return passed(check, "材料信息识别清晰。", "Required fields read with sufficient confidence.", **evidence)
