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
from documents.ocr.engines import Box, OcrEngine, OcrLine, dark_ink, merge_rows, reading_order
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
        ink = dark_ink(img)
        lines = merge_by_cell(engine.read_lines(ink, lang="chi_sim"), table_rules(ink))
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


@dataclass(frozen=True)
class Rules:
    """A page's table rules: vertical ones as (x, top, bottom), horizontal ones as (y, left, right)."""

    vertical: list[tuple[int, int, int]]
    horizontal: list[tuple[int, int, int]]


def table_rules(grey: np.ndarray) -> Rules:
    """Long straight dark lines of a page: a table's rules (text strokes are far shorter)."""
    h, w = grey.shape[:2]
    ink = (grey < 128).astype(np.uint8)
    found: list[list[tuple[int, int, int]]] = []
    for size in ((1, max(40, h // 25)), (max(60, w // 12), 1)):
        long = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))
        n, _labels, stats, _centroids = cv2.connectedComponentsWithStats(long)
        segs = []
        for x, y, bw, bh, _area in stats[1:n]:
            if size[0] == 1 and bw <= 8:
                segs.append((int(x + bw // 2), int(y), int(y + bh)))
            elif size[1] == 1 and bh <= 8:
                segs.append((int(y + bh // 2), int(x), int(x + bw)))
        found.append(segs)
    return Rules(found[0], found[1])


def _cell(box: Box, rules: Rules) -> tuple[int, int] | None:
    """(top, left) of the ruled cell holding box's centre, or None outside any table."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    lefts = [vx for vx, top, bottom in rules.vertical if vx <= cx and top <= cy <= bottom]
    rights = [vx for vx, top, bottom in rules.vertical if vx >= cx and top <= cy <= bottom]
    tops = [hy for hy, left, right in rules.horizontal if hy <= cy and left <= cx <= right]
    if not (lefts and rights and tops):
        return None
    return max(tops), max(lefts)


def merge_by_cell(lines: list[OcrLine], rules: Rules) -> list[OcrLine]:
    """Detector boxes joined into rows (merge_rows), but never across a table's rule, and a ruled
    table read cell by cell: all lines of a cell together, cells by rows left to right.

    A two-column register (不动产单元号 | 坐落, each label over its value) read row by row mixes the
    cells: merge_rows joined 510107…F476835 with 四川省成都市…244号 into one line, and the wrapped ends
    of both values (38, 17栋4单元2204) came after it. Read cell by cell, a label is followed by its
    value and the value by its wrapped end, as on a page without rules.
    """
    if len(rules.vertical) < 2 or not rules.horizontal:
        return merge_rows(lines)
    groups: dict[tuple[int, int] | None, list[OcrLine]] = {}
    for line in lines:
        groups.setdefault(_cell(line.box, rules), []).append(line)
    blocks: list[tuple[tuple[int, int], list[OcrLine]]] = []
    for key, members in groups.items():
        merged = merge_rows(members)
        if key is None:
            # Outside the tables each line is a block of its own, keyed by its reading-order row.
            row_top = -1
            for ln in merged:  # merge_rows gives them in reading order
                if row_top < 0 or not row_top <= ln.box[1] + ln.box[3] / 2 <= row_top + ln.box[3]:
                    row_top = ln.box[1]
                blocks.append(((row_top, ln.box[0]), [ln]))
        else:
            blocks.append((key, reading_order(merged)))
    # Cells of one table row start at the same rule; a row's cells left to right.
    blocks.sort(key=lambda block: block[0])
    return [ln for _key, block in blocks for ln in block]


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
