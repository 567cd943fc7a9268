"""Several readings of one short text line (an ID card's name), for verifying rather than only reading.

tesseract's chi_sim reads the name right on ~60 % of the sample city's cards and is sure of it
(≥ 0.80) on under 40 %, but it does not misread the same way at every size and stroke weight: a name
misread at full size is often read right at 3/4 size or with slightly bolder strokes. So the crop is
read at four sizes, three of them also with strokes thickened by one pixel, and binarised — each on
its own (psm 7), all by one tesseract process (TesseractEngine.read_each_as_line).
documents.verify.verify_name_readings then decides whether those readings confirm a declared name.

The set was chosen on 480 rendered cards over six conditions (other seeds than the ones
bench/name_verification.py reports on): each rendering alone reads the name right on 59–73 % of
cards (the free reading, a psm 6 sheet of all value crops: ~60 %), the eight together confirm 78 %;
all 21 renderings tried (also gamma, sharpening, CLAHE, adaptive thresholds, 0.5×, 0.9×, 1.25×)
confirmed no more. Upscaling 2× reads worse (52 %) than the crop as it is.

Not used, measured: tesseract's per-character alternatives (`-c lstm_choice_mode=2`, hOCR). With
chi_sim the list often lacks the very character tesseract outputs (word text 余, "choices" 人 对 义
和), so it cannot say how likely a declared character is; chi_sim's LSTM works on recoded character
components (its lstm-recoder), the likely cause. lstm_choice_mode=1's per-timestep lists name
unrelated characters altogether (高 明 章 for 曹). Nor does tesseract's confidence separate a
look-alike misread from a right reading (昊 read as 吴 at 0.73–0.91): a per-character floor that
removed 3 of 10 look-alike false confirmations also removed 20 of 372 true ones.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from documents.ocr.engines import OcrLine, TesseractEngine, get_engine, to_grey


def _scale(img: np.ndarray, f: float) -> np.ndarray:
    if f == 1.0:
        return img
    return cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)


def _bolder(img: np.ndarray) -> np.ndarray:
    """Dark strokes one pixel thicker (a grey minimum filter): thin serif and Kai strokes survive."""
    return cv2.erode(img, np.ones((2, 2), np.uint8))


def _otsu(img: np.ndarray) -> np.ndarray:
    """Black ink on white: drops the card's light guilloche pattern."""
    return cv2.threshold(img, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]


# (name, rendering of a grey line crop), in the order they are read.
LINE_VARIANTS: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = (
    ("plain", lambda g: g),
    ("plain_x0.75", lambda g: _scale(g, 0.75)),
    ("plain_x0.6", lambda g: _scale(g, 0.6)),
    ("plain_x1.5", lambda g: _scale(g, 1.5)),
    ("bold", _bolder),
    ("bold_x0.75", lambda g: _scale(_bolder(g), 0.75)),
    ("bold_x0.6", lambda g: _scale(_bolder(g), 0.6)),
    ("binary", _otsu),
)


def line_variants(img: np.ndarray) -> list[np.ndarray]:
    """The renderings of a line crop (BGR or grey) that `read_line_variants` reads, in order."""
    grey = to_grey(img)
    return [render(grey) for _name, render in LINE_VARIANTS]


def read_line_variants(
    img: np.ndarray, *, engine: TesseractEngine | None = None, lang: str = "chi_sim"
) -> list[OcrLine]:
    """One reading per rendering in LINE_VARIANTS of a one-line crop, by one tesseract process.

    Always tesseract, whichever engine reads the document: it is the required engine, and reading a
    multi-page image in one process is what makes eight readings cost about one."""
    tesseract = engine if engine is not None else get_engine("tesseract")
    if not isinstance(tesseract, TesseractEngine):  # a configured RapidOCR: verification stays on tesseract
        tesseract = TesseractEngine()
    return tesseract.read_each_as_line(line_variants(img), lang=lang)
