"""From a read PDF or a decoded image to text lines with a confidence each — what the extractors eat.

Thin on purpose: the text layer of a PDF is taken as is (confidence 1.0); a scanned page or an
image is turned upright (tesseract OSD, or 0°/180° by CJK count) and read by the OCR engine.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from documents.geometry import orient_page
from documents.ocr.config import load_ocr_settings
from documents.ocr.engines import OcrEngine, OcrLine, dark_ink, merge_rows
from documents.pdf import PdfDocument

logger = logging.getLogger(__name__)

# Below this height (pixels) tesseract reads CJK glyphs poorly; photos of letters are often smaller.
MIN_TEXT_PAGE_HEIGHT = 1600


@dataclass(frozen=True)
class TextLine:
    """One line of a document's text and how sure its reader was (1.0 for a PDF text layer)."""

    text: str
    confidence: float
    page: int = 1


def split_lines(lines: Sequence[TextLine | OcrLine]) -> tuple[list[str], list[float]]:
    """(texts, confidences) as the extractors take them."""
    return [ln.text for ln in lines], [ln.confidence for ln in lines]


def lines_from_image(
    bgr: np.ndarray, engine: OcrEngine, *, page: int = 1, orient: bool = True
) -> list[TextLine]:
    """OCR lines of one page or certificate image, after turning it upright."""
    img = bgr
    if orient:
        # Orientation by the configured orientation engine (tesseract): a layout engine such as RapidOCR
        # turns every text line upright by itself, so it cannot tell which way up the page is.
        img, _report = orient_page(bgr, engine=load_ocr_settings().orientation())
    if engine.reads_layout:
        # RapidOCR: no upscale (its detector scales the page itself; a 3× page made it read two labels
        # stacked in one column as one vertical line "姓性"); coloured print faded (a red seal over the
        # issuer's line hid it from the detector); boxes of one row joined, as tesseract reports rows.
        lines = merge_rows(engine.read_lines(dark_ink(img), lang="chi_sim"))
    else:
        # Tesseract reads small CJK glyphs poorly; its page segmentation was tuned on the colour page.
        h = img.shape[0]
        if h < MIN_TEXT_PAGE_HEIGHT:
            img = cv2.resize(
                img,
                None,
                fx=MIN_TEXT_PAGE_HEIGHT / h,
                fy=MIN_TEXT_PAGE_HEIGHT / h,
                interpolation=cv2.INTER_CUBIC,
            )
        lines = engine.read_lines(img, lang="chi_sim")
    out: list[TextLine] = []
    for line in lines:
        for part in line.text.split("\n"):
            if part.strip():
                out.append(TextLine(part, line.confidence, page))
    return out


def lines_from_pdf(pdf: PdfDocument, engine: OcrEngine, *, orient: bool = True) -> list[TextLine]:
    """All lines of a PDF in page order: text-layer pages as they are, scanned pages by OCR."""
    out: list[TextLine] = []
    for page in pdf.pages:
        if not page.is_scan:
            out += [TextLine(text, 1.0, page.number) for text in page.cell_lines() if text.strip()]
            continue
        if page.image_png is None:
            continue
        bgr = cv2.imdecode(np.frombuffer(page.image_png, np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        try:
            out += lines_from_image(bgr, engine, page=page.number, orient=orient)
        except RuntimeError as exc:
            # pytesseract raises RuntimeError on its timeout (TesseractError subclasses it): one
            # unreadable page leaves its fields unread — reported as such — instead of failing the case.
            logger.warning("OCR of page %d failed: %s", page.number, str(exc)[:120])
    return out
