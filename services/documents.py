"""Reading a case's uploaded documents: decode under limits, check quality, extract the fields.

One entry point, `read_case_documents`, used by the document reader (tasks/reader.py) and by
`rongju extract` (per file, via `read_document`). Every file is distrusted: a file that cannot be
used yields a DocumentProblem with a reason code, turned into a failing check here, never an
exception out of the step.

A case's documents are verified, not only read, where that is measured to help: the ID card front
is checked against the declared name (documents.verify.verify_name_readings). `read_document`
without `declared` (as `rongju extract` calls it) reads freely, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from config.city import load_reason_catalogue
from documents.ocr.engines import EngineUnavailable
from documents.problems import DocumentProblem
from models.checks.facts import DocumentFacts
from models.checks.result import CheckOutcome, failed, passed
from models.package import DocumentKind
from models.reasons import ReasonCode
from models.tables import Document
from storage.db import IntegrityError, UnitOfWork
from storage.documents import get_document_store

if TYPE_CHECKING:
    from documents.verify import NameVerification

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
    # Fields outside DocumentFacts the card face needs, as read (not masked): stored in the case DB
    # with the facts (DocumentReadout), never shown or logged.
    card_fields: dict[str, Any] = field(default_factory=dict)

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
        catalogue = load_reason_catalogue()
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
                        detail_zh=f"{DocumentKind(reading.kind).label_zh}：{problem.zh}",
                        detail_en=f"{reading.kind}: {problem.en}",
                        document_kind=reading.kind,
                        **problem.detail,
                    ).worded(catalogue)
                )
        return outcomes


@dataclass(frozen=True)
class Declared:
    """What the case says its documents show, to verify them against. Unmasked: kept in memory for
    the reading, never logged or stored from here."""

    name: str | None = None


# kind -> function(reading, image_bgr or None, pdf or None, declared or None) filling
# reading.facts/extra; registered by the extraction modules (documents/extract/*) in `_extractors()`.
Extractor = Callable[[DocumentReading, Any, Any, Declared | None], None]


def read_document(
    kind: str, data: bytes, mime_type: str, *, declared: Declared | None = None
) -> DocumentReading:
    """Decode, check and read one file of `kind`; verified against `declared` where a kind can be."""
    reading = DocumentReading(kind=kind)
    try:
        if mime_type in IMAGE_TYPES:
            _read_image(reading, data, declared)
        elif mime_type == "application/pdf":
            _read_pdf(reading, data, declared)
        else:
            reading.problems.append(
                DocumentProblem(
                    ReasonCode.FILE_TYPE_NOT_ALLOWED,
                    "仅接受 JPEG、PNG 图片或 PDF 文件。",
                    f"{mime_type} is not accepted.",
                )
            )
    except EngineUnavailable:
        # Not the file's fault: the machine lacks its OCR engine. The step fails (shown by
        # `rongju failed`, replayed once the engine is installed), the applicant is asked nothing.
        raise
    except Exception as exc:  # a reader bug must not lose the case: it becomes "unreadable", logged
        log.exception("reading a %s file failed", kind)
        reading.problems.append(
            DocumentProblem(
                ReasonCode.FILE_UNREADABLE,
                "文件无法处理，请重新上传清晰的文件。",
                f"Could not process the file ({type(exc).__name__}).",
            )
        )
    return reading


def _read_image(reading: DocumentReading, data: bytes, declared: Declared | None) -> None:
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
        extractor(reading, decoded.bgr, None, declared)


def _read_pdf(reading: DocumentReading, data: bytes, declared: Declared | None) -> None:
    from documents.pdf import read_pdf

    pdf = read_pdf(data)
    if isinstance(pdf, DocumentProblem):
        reading.problems.append(pdf)
        return
    reading.metrics = {"pages": len(pdf.pages), "scanned_pages": sum(p.is_scan for p in pdf.pages)}
    extractor = _extractors().get(reading.kind)
    if extractor is not None:
        extractor(reading, None, pdf, declared)


def _read_id_front(reading: DocumentReading, bgr: Any, _pdf: Any, declared: Declared | None) -> None:
    from documents.extract.id_front import read_id_front
    from documents.ocr.config import load_ocr_settings

    if bgr is None:
        return
    expected_name = declared.name if declared is not None else None
    result = read_id_front(bgr, engine=load_ocr_settings().engine("id_front"), expected_name=expected_name)
    reading.section, reading.facts = "id_front", result.facts
    reading.card_fields = {
        "ethnicity": result.ethnicity.model_dump(mode="json") if result.ethnicity is not None else None,
        "address_check": result.address_check,
    }
    reading.problems.extend(result.problems)
    if result.geometry is not None:
        reading.metrics["geometry"] = _geometry(result.geometry)
    if result.name_verification is not None:
        reading.metrics["card_name"] = _name_verification(result.name_verification)


def _name_verification(verdict: NameVerification) -> str:
    """How the card's name was established, for the reviewer (the file check's evidence, masked):
    confirmed against the declared name, or left to the free reading."""
    counts = f"{verdict.agreeing}/{verdict.readings} readings"
    if verdict.confirmed:
        return f"{verdict.expected_masked} 核对一致 verified ({counts}, {verdict.confidence:.2f})"
    return f"未能核对 not verified ({counts}); free reading used"


def _read_id_back(reading: DocumentReading, bgr: Any, _pdf: Any, _declared: Declared | None) -> None:
    from documents.extract.id_back import read_id_back
    from documents.ocr.config import load_ocr_settings

    if bgr is None:
        return
    result = read_id_back(bgr, engine=load_ocr_settings().engine("id_back"))
    reading.section, reading.facts = "id_back", result.facts
    reading.problems.extend(result.problems)


def _geometry(report: Any) -> dict[str, Any]:
    """What was done to find the card, for the reviewer (no pixels, no text)."""
    return {"found_by": report.found_by, "rotation": report.rotation, "skew_deg": round(report.skew_deg, 1)}


def _text_document(section: str, extract: Callable[..., Any]) -> Extractor:
    """An extractor for a page-like document: text-layer lines of a PDF, OCR lines of a scan or photo."""

    def run(reading: DocumentReading, bgr: Any, pdf: Any, _declared: Declared | None) -> None:
        from documents.extract.pages import lines_from_image, lines_from_pdf, split_lines
        from documents.ocr.config import load_ocr_settings

        engine = load_ocr_settings().engine(reading.kind)
        lines = lines_from_pdf(pdf, engine) if pdf is not None else lines_from_image(bgr, engine)
        texts, confidences = split_lines(lines)
        result = extract(texts, line_confidences=confidences)
        reading.section, reading.facts = section, getattr(result, "facts", result)

    return run


def _extractors() -> dict[str, Extractor]:
    """Field extraction per document kind; the facts land in the DocumentFacts section named here."""
    from documents.extract.business_license import extract_business_license
    from documents.extract.enrollment import extract_enrollment_certificate
    from documents.extract.labor import extract_labor_contract
    from documents.extract.lease import extract_lease
    from documents.extract.lodging import extract_lodging_certificate
    from documents.extract.old_permit import extract_old_permit
    from documents.extract.property import extract_property_certificate

    return {
        "id_front": _read_id_front,
        "id_back": _read_id_back,
        "lease_contract": _text_document("lease", extract_lease),
        "labor_contract": _text_document("labor_contract", extract_labor_contract),
        "business_license": _text_document("business_license", extract_business_license),
        "property_certificate": _text_document("property", extract_property_certificate),
        "enrollment_certificate": _text_document("enrollment", extract_enrollment_certificate),
        "lodging_certificate": _text_document("lodging", extract_lodging_certificate),
        "old_permit": _text_document("old_permit", extract_old_permit),
    }


def describe_reading(reading: DocumentReading) -> dict[str, object]:
    """One file's reading for people and scripts: fields masked, with their confidence."""
    from models.masking import mask_address, mask_id_number, mask_name

    maskers = {
        "name": mask_name,
        "owner_name": mask_name,
        "resident_name": mask_name,
        "address": mask_address,
        "residence_address": mask_address,
    }
    fields: dict[str, dict[str, object]] = {}
    if reading.facts is not None:
        for name, fact in reading.facts:
            if fact is None:
                continue
            value = fact.value
            if isinstance(value, str):
                masker = maskers.get(name) or (mask_id_number if "id_number" in name else None)
                value = masker(value) if masker else value
            shown = None if value is None else str(value)
            fields[name] = {"value": shown, "confidence": round(fact.confidence, 2)}
    return {
        "kind": reading.kind,
        "fields": fields,
        "metrics": reading.metrics,
        "problems": [p.as_dict() for p in reading.problems],
    }


def read_case_documents(case_id: str, uow: UnitOfWork) -> DocumentsRead:
    """Read every current (not superseded) document of a case."""
    with uow:
        rows = uow.documents.current(case_id)
        declared = Declared(name=uow.cases.get(case_id).applicant_name)
    store = get_document_store()
    readings = [
        read_document(row.kind, store.get(row.content_hash), row.sniffed_type, declared=declared)
        for row in rows
    ]
    _store_readouts(rows, readings, uow)
    sections: dict[str, Any] = {}
    for reading in readings:
        if reading.section and reading.facts is not None and reading.section not in sections:
            sections[reading.section] = reading.facts
    facts = DocumentFacts(**sections) if sections else None
    return DocumentsRead(files=len(rows), readings=readings, facts=facts)


def _store_readouts(rows: list[Document], readings: list[DocumentReading], uow: UnitOfWork) -> None:
    """Keep what each document gave in the case DB, so the card face is built from this reading
    instead of a second OCR of the ID card."""
    try:
        with uow:
            for row, reading in zip(rows, readings, strict=True):
                uow.documents.record_readout(
                    row,
                    section=reading.section,
                    facts=reading.facts.model_dump(mode="json") if reading.facts is not None else None,
                    card_fields=reading.card_fields,
                    problems=[problem.reason.value for problem in reading.problems],
                )
            uow.commit()
    except IntegrityError:
        # Another run of the case stored its reading of the same files at the same moment: the
        # same files, the same readers — theirs stands.
        log.info("document readouts of this case were stored by a concurrent run")
