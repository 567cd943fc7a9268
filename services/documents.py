"""Reading a case's uploaded documents: decode under limits, check quality, extract the fields.

One entry point, `read_case_documents(case_id)`, used by the flow's read_documents task and by
`rongju extract` (per file, via `read_document`). Every file is distrusted: a file that cannot be
used yields a DocumentProblem with a reason code, turned into a failing check here, never an
exception out of the step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from documents.problems import DocumentProblem
from models.checks.facts import DocumentFacts
from models.checks.result import CheckOutcome, failed, passed
from models.package import DocumentKind
from models.tables import Document
from storage.db import unit_of_work
from storage.documents import get_document_store

log = logging.getLogger(__name__)

IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


@dataclass
class DocumentReading:
    """What one file gave: its problems, quality metrics and extracted facts (a facts section)."""

    kind: str
    problems: list[DocumentProblem] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    section: str | None = None  # the DocumentFacts section the facts belong to
    facts: Any = None  # an IdFrontFacts, LeaseFacts, ... or None
    extra: dict[str, Any] = field(default_factory=dict)  # fields outside DocumentFacts (masked)

    @property
    def usable(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class DocumentsRead:
    """All documents of one case, read."""

    files: int
    readings: list[DocumentReading]
    facts: DocumentFacts | None

    @property
    def problems(self) -> list[DocumentProblem]:
        return [p for r in self.readings for p in r.problems]

    @property
    def outcomes(self) -> list[CheckOutcome]:
        """One check per file: passed, or failed with the file's problem (each problem listed)."""
        outcomes: list[CheckOutcome] = []
        for index, reading in enumerate(self.readings, 1):
            check = f"file_{reading.kind}_{index}"
            if not reading.problems:
                ok_zh, ok_en = "文件可读，质量合格。", "File readable, quality acceptable."
                outcomes.append(passed(check, ok_zh, ok_en, **reading.metrics))
                continue
            for number, problem in enumerate(reading.problems):
                outcomes.append(
                    failed(
                        check if number == 0 else f"{check}_{problem.reason.value.lower()}",
                        problem.reason,
                        detail_zh=f"{_KIND_ZH.get(reading.kind, reading.kind)}：{problem.zh}",
                        detail_en=f"{reading.kind}: {problem.en}",
                        document_kind=reading.kind,
                        **problem.detail,
                    )
                )
        return outcomes


_KIND_ZH = {
    "id_front": "身份证人像面",
    "id_back": "身份证国徽面",
    "photo": "证件照",
    "lease_contract": "房屋租赁合同",
    "property_certificate": "不动产权证书",
    "labor_contract": "劳动合同",
    "business_license": "营业执照",
    "lodging_certificate": "住宿证明",
    "enrollment_certificate": "在读证明",
    "old_permit": "原居住证",
}

# kind -> function(reading, image_bgr or None, pdf or None) filling reading.facts/extra; registered
# by the extraction modules (documents/extract/*) through `_extractors()`.
Extractor = Callable[[DocumentReading, Any, Any], None]


def read_document(kind: str, data: bytes, mime_type: str) -> DocumentReading:
    """Decode, check and read one file of `kind`."""
    reading = DocumentReading(kind=kind)
    try:
        if mime_type in IMAGE_TYPES:
            _read_image(reading, data)
        elif mime_type == "application/pdf":
            _read_pdf(reading, data)
        else:
            from models.reasons import ReasonCode

            reading.problems.append(
                DocumentProblem(
                    ReasonCode.FILE_TYPE_NOT_ALLOWED,
                    "仅接受 JPEG、PNG 图片或 PDF 文件。",
                    f"{mime_type} is not accepted.",
                )
            )
    except Exception as exc:  # a reader bug must not lose the case: it becomes "unreadable", logged
        from models.reasons import ReasonCode

        log.exception("reading a %s file failed", kind)
        reading.problems.append(
            DocumentProblem(
                ReasonCode.FILE_UNREADABLE,
                "文件无法处理，请重新上传清晰的文件。",
                f"Could not process the file ({type(exc).__name__}).",
            )
        )
    return reading


def _read_image(reading: DocumentReading, data: bytes) -> None:
    from documents.portrait import check_portrait
    from documents.quality import measure_quality, quality_problems
    from documents.safe_image import decode_image

    decoded = decode_image(data)
    if isinstance(decoded, DocumentProblem):
        reading.problems.append(decoded)
        return
    metrics = measure_quality(decoded.bgr)
    reading.metrics = {
        "width": metrics.width,
        "height": metrics.height,
        "blur": round(metrics.blur, 1),
        "glare": round(metrics.glare, 4),
    }
    reading.problems.extend(quality_problems(metrics, reading.kind))
    if reading.problems:
        return
    if reading.kind == DocumentKind.PHOTO:
        portrait = check_portrait(decoded.bgr)
        reading.metrics["faces"] = portrait.face_count
        reading.problems.extend(portrait.problems)
        return
    extractor = _extractors().get(reading.kind)
    if extractor is not None:
        extractor(reading, decoded.bgr, None)


def _read_pdf(reading: DocumentReading, data: bytes) -> None:
    from documents.pdf import read_pdf

    pdf = read_pdf(data)
    if isinstance(pdf, DocumentProblem):
        reading.problems.append(pdf)
        return
    reading.metrics = {"pages": len(pdf.pages), "scanned_pages": sum(p.is_scan for p in pdf.pages)}
    extractor = _extractors().get(reading.kind)
    if extractor is not None:
        extractor(reading, None, pdf)


def _extractors() -> dict[str, Extractor]:
    """Field extraction per document kind (filled in as the extractors land)."""
    return {}


def read_case_documents(case_id: str, engine: Engine | None = None) -> DocumentsRead:
    """Read every current (not superseded) document of a case."""
    with unit_of_work(engine) as uow:
        rows = list(
            uow.session.exec(
                select(Document)
                .where(Document.case_id == case_id, Document.superseded == False)  # noqa: E712
                .order_by(Document.id)  # type: ignore[arg-type]
            )
        )
    store = get_document_store()
    readings = [read_document(row.kind, store.get(row.content_hash), row.sniffed_type) for row in rows]
    sections: dict[str, Any] = {}
    for reading in readings:
        if reading.section and reading.facts is not None and reading.section not in sections:
            sections[reading.section] = reading.facts
    facts = DocumentFacts(**sections) if sections else None
    return DocumentsRead(files=len(rows), readings=readings, facts=facts)
