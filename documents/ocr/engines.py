"""OCR engines behind one small interface: lines of text with a confidence (0–1) and a box.

`TesseractEngine` (pytesseract + Debian's tesseract, chi_sim + eng) is always available.
`RapidOcrEngine` (rapidocr-onnxruntime, PP-OCRv4 ONNX models bundled in its wheel, works offline) is
a declared dependency and reads every document kind (config/ocr.yaml). Its wheel declares
`opencv-python`, which would clash with our `opencv-python-headless` (both are the `cv2` module; the
non-headless one also needs libGL), so `make setup` installs with uv and excludes that one package
(README, "OCR engines"). It is imported lazily; where a configured engine cannot run,
`EngineUnavailable` is raised with a message in Chinese and English — at the first use and, through
`check_engines`, when `rongju up` starts the worker — never a silent switch to another engine.

pytesseract spawns one tesseract process per call (~0.2–1 s, mostly loading chi_sim), so
`read_crops` stacks all field crops into ONE image with white gaps, runs tesseract once and splits the
words back to their crops by vertical position.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x, y, width, height in the image that was read


@dataclass(frozen=True)
class OcrLine:
    """One line of recognised text. `confidence` is the engine's own score scaled to 0–1."""

    text: str
    confidence: float
    box: Box


class EngineUnavailable(Exception):
    """The engine's package (or its models) is not installed on this machine.

    Not a RuntimeError: readers catch RuntimeError for one tesseract call that failed or timed out
    (that page or field stays unread); a missing engine must stop the run, not look like a bad page."""


@runtime_checkable
class OcrEngine(Protocol):
    """What every OCR engine offers. Images are numpy arrays: BGR (H, W, 3) or grey (H, W)."""

    name: str
    # True when the engine finds text lines itself well enough that one pass over a whole card or page
    # (boxes and all) reads better than separate field crops (RapidOCR's detector); False for tesseract,
    # whose page segmentation splits and drops the short values of a card.
    reads_layout: bool

    def load(self) -> None:
        """Load the models now rather than at the first image (a document reader warms up)."""
        ...

    def read_lines(self, img: np.ndarray, *, lang: str = "chi_sim", psm: int | None = None) -> list[OcrLine]:
        """All text lines found in the image, top to bottom, boxes in image coordinates."""
        ...

    def read_crops(self, crops: list[np.ndarray], *, lang: str = "chi_sim", psm: int = 6) -> list[OcrLine]:
        """One OcrLine per crop, in the same order (text "" with confidence 0 when nothing was read).

        A crop holding several text lines gives their texts joined by "\\n"; the box is the crop's
        own extent (0, 0, w, h)."""
        ...


# ----------------------------------------------------------------------------- helpers


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (the unified block and extension A)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def join_words(words: list[str]) -> str:
    """Join OCR words of one line: no space next to a CJK character, one space between Latin words.

    chi_sim tesseract reports each Chinese character as its own word; 张 少 颖 must become 张少颖,
    while "NO. 12" keeps its space."""
    out = ""
    for w in words:
        w = w.strip()
        if not w:
            continue
        if out and not is_cjk(out[-1]) and not is_cjk(w[0]):
            out += " "
        out += w
    return out


def to_grey(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return img
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def to_bgr(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img


def dark_ink(img: np.ndarray) -> np.ndarray:
    """Grey image in which dark (black) print stays dark and coloured print fades: the brightest
    channel of a black glyph is dark, of a blue label or a red seal it is light. Used for the values of
    an ID card (blue labels) and for pages, where a red company seal often lies over the signature
    line it certifies (a lodging certificate's issuer was not read at all under its seal)."""
    if img.ndim == 2:
        return img
    brightest: np.ndarray = img[:, :, :3].max(axis=2)  # numpy types a reduction along an axis as Any
    return brightest


def flatten_illumination(img: np.ndarray, *, kernel: int = 31) -> np.ndarray:
    """Grey image with uneven lighting divided out: dark print on a light ground stays dark, a lamp's
    gradient or a hot spot becomes flat white.

    The background is estimated by a morphological closing wider than a character stroke (it removes
    the dark print), and the image is divided by it. Measured on ID cards lit from one side
    (bench/ocr.py `uneven_light`): the number band read right on 7/20 cards before, 20/20 after, with
    no change on clean, blurred or photographed cards."""
    grey = to_grey(img)
    background = cv2.morphologyEx(
        grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kernel, kernel))
    )
    return cv2.divide(grey, background, scale=255)


@dataclass(frozen=True)
class _Word:
    text: str
    conf: float  # 0–1
    box: Box
    line_key: tuple[int, int, int]


def _union(boxes: list[Box]) -> Box:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def _line_of(words: list[_Word]) -> OcrLine:
    words = sorted(words, key=lambda w: w.box[0])
    text = unicodedata.normalize("NFC", join_words([w.text for w in words]))
    # Character-weighted mean: a one-character word should not weigh as much as an 18-digit number.
    weights = [max(1, len(w.text.strip())) for w in words]
    conf = sum(w.conf * n for w, n in zip(words, weights, strict=True)) / sum(weights)
    return OcrLine(text=text, confidence=round(conf, 4), box=_union([w.box for w in words]))


def _group_lines(words: list[_Word]) -> list[OcrLine]:
    groups: dict[tuple[int, int, int], list[_Word]] = {}
    for w in words:
        groups.setdefault(w.line_key, []).append(w)
    lines = [_line_of(ws) for ws in groups.values()]
    return sorted(lines, key=lambda ln: (ln.box[1], ln.box[0]))


def centre_y(box: Box) -> float:
    """The vertical centre of a box: rows and fields are told apart by it."""
    return box[1] + box[3] / 2


def reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Lines top to bottom by rows, left to right within a row.

    Sorting by the top edge alone interleaves a row whose boxes differ by a pixel ("名杨莉" before
    "姓"): a line joins the current row when its vertical centre lies inside the row's first box."""
    rows: list[list[OcrLine]] = []
    for ln in sorted(lines, key=lambda ln: centre_y(ln.box)):
        cy = centre_y(ln.box)
        if rows and rows[-1][0].box[1] <= cy <= rows[-1][0].box[1] + rows[-1][0].box[3]:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return [ln for row in rows for ln in sorted(row, key=lambda ln: ln.box[0])]


def split_stacked(line: OcrLine) -> list[OcrLine]:
    """A tall box of two or more CJK characters, read top to bottom, as one line per character.

    Our documents are written across; a detector that sees the first characters of two rows stacked
    in one column ("姓" above "性" in a form with spaced labels) returns them as one vertical line
    "姓性", which would take each character from its row. Split, each goes back to its own row."""
    x, y, w, h = line.box
    chars = line.text.strip()
    if h < 1.5 * w or len(chars) < 2 or not all(is_cjk(ch) for ch in chars):
        return [line]
    step = h / len(chars)
    return [
        OcrLine(ch, line.confidence, (x, round(y + i * step), w, max(1, round(step))))
        for i, ch in enumerate(chars)
    ]


def merge_rows(lines: list[OcrLine], *, max_gap_heights: float = 3.0) -> list[OcrLine]:
    """Neighbouring boxes of one row joined into one line, as tesseract reports a text row.

    A detector box per word group splits "姓　名  杨莉" into "姓" and "名杨莉"; extractors read a label
    and its value from one line. Boxes further apart than `max_gap_heights` line heights stay separate
    (the next column of a two-column form)."""
    out: list[OcrLine] = []
    for ln in reading_order(lines):
        if out:
            prev = out[-1]
            px, py, pw, ph = prev.box
            x, _y, _w, h = ln.box
            same_row = py <= centre_y(ln.box) <= py + ph
            gap = x - (px + pw)
            if same_row and -h <= gap <= max_gap_heights * max(ph, h):
                n_prev, n = max(1, len(prev.text)), max(1, len(ln.text))
                conf = (prev.confidence * n_prev + ln.confidence * n) / (n_prev + n)
                out[-1] = OcrLine(
                    join_words([prev.text, ln.text]), round(conf, 4), _union([prev.box, ln.box])
                )
                continue
        out.append(ln)
    return out


def stack_crops(crops: list[np.ndarray], *, gap: int = 24, pad: int = 12) -> tuple[np.ndarray, list[Box]]:
    """Stack grey crops vertically on white with `gap` pixels between them.

    Returns the stacked image and each crop's band (x, y, w, h) inside it. Crops narrower than the
    widest are left-aligned; their right side is padded white."""
    greys = [to_grey(c) for c in crops]
    width = max((g.shape[1] for g in greys), default=1) + 2 * pad
    height = sum(g.shape[0] for g in greys) + gap * max(0, len(greys) - 1) + 2 * pad
    sheet = np.full((max(height, 1), max(width, 1)), 255, np.uint8)
    bands: list[Box] = []
    y = pad
    for g in greys:
        h, w = g.shape[:2]
        sheet[y : y + h, pad : pad + w] = g
        bands.append((pad, y, w, h))
        y += h + gap
    return sheet, bands


def split_by_bands(words: list[_Word], bands: list[Box], gap: int) -> list[OcrLine]:
    """Assign each word to the band holding its vertical centre; one OcrLine per band."""
    per_band: list[list[_Word]] = [[] for _ in bands]
    for w in words:
        cy = w.box[1] + w.box[3] / 2
        for i, (_x, y, _w, h) in enumerate(bands):
            if y - gap / 2 <= cy < y + h + gap / 2:
                per_band[i].append(w)
                break
    return [_crop_reading(ws, (bw, bh), "\n") for (_bx, _by, bw, bh), ws in zip(bands, per_band, strict=True)]


def _crop_reading(words: list[_Word], size: tuple[int, int], separator: str) -> OcrLine:
    """All words read in one crop as one line (its lines joined by `separator`), with the
    character-weighted confidence of its lines; box = the whole crop."""
    width, height = size
    if not words:
        return OcrLine("", 0.0, (0, 0, width, height))
    lines = _group_lines(words)
    weights = [max(1, len(ln.text)) for ln in lines]
    conf = sum(ln.confidence * n for ln, n in zip(lines, weights, strict=True)) / sum(weights)
    return OcrLine(separator.join(ln.text for ln in lines), round(conf, 4), (0, 0, width, height))


# ----------------------------------------------------------------------------- tesseract


def _tess_config(psm: int | None, whitelist: str | None) -> str:
    parts = []
    if psm is not None:
        parts.append(f"--psm {psm}")
    if whitelist:
        parts.append(f"-c tessedit_char_whitelist={whitelist}")
    # Keep inter-word spaces out of CJK text (tesseract otherwise inserts them between characters).
    parts.append("-c preserve_interword_spaces=0")
    return " ".join(parts)


def _data_words(data: dict[str, list[Any]]) -> list[tuple[int, _Word]]:
    """(page index, word) for every recognised word in pytesseract's image_to_data dictionary."""
    words = []
    for i, text in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if not str(text).strip() or conf < 0:
            continue
        box = (int(data["left"][i]), int(data["top"][i]), int(data["width"][i]), int(data["height"][i]))
        line_key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        word = _Word(text=str(text), conf=max(0.0, min(1.0, conf / 100.0)), box=box, line_key=line_key)
        words.append((int(data["page_num"][i]) - 1, word))
    return words


class TesseractEngine:
    """pytesseract over the system tesseract (Debian: chi_sim, eng, osd)."""

    name = "tesseract"
    reads_layout = False

    def __init__(self, *, timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s
        # tesseract's OpenMP threads fight each other when several documents are read in parallel
        # (worker processes); one thread per process is faster overall. Inherited by the child.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    def load(self) -> None:
        """Nothing to load: tesseract is a new process per call."""

    def _words(
        self, img: np.ndarray, *, lang: str, psm: int | None, whitelist: str | None = None
    ) -> list[_Word]:
        import pytesseract

        data: dict[str, list[Any]] = pytesseract.image_to_data(
            to_grey(img),
            lang=lang,
            config=_tess_config(psm, whitelist),
            output_type=pytesseract.Output.DICT,
            timeout=self.timeout_s,
        )
        return [w for _page, w in _data_words(data)]

    def read_lines(self, img: np.ndarray, *, lang: str = "chi_sim", psm: int | None = None) -> list[OcrLine]:
        return _group_lines(self._words(img, lang=lang, psm=psm))

    def read_crops(
        self,
        crops: list[np.ndarray],
        *,
        lang: str = "chi_sim",
        psm: int = 6,
        whitelist: str | None = None,
    ) -> list[OcrLine]:
        if not crops:
            return []
        gap = 24
        sheet, bands = stack_crops(crops, gap=gap)
        # A stacked sheet is several lines whatever the caller's psm: single-line modes would merge
        # them, so 7/8/13 become 6 (one uniform block).
        sheet_psm = 6 if psm in (7, 8, 13) else psm
        return split_by_bands(self._words(sheet, lang=lang, psm=sheet_psm, whitelist=whitelist), bands, gap)

    def read_each_as_line(self, images: list[np.ndarray], *, lang: str = "chi_sim") -> list[OcrLine]:
        """Each image read on its own as one text line (psm 7), all by ONE tesseract process.

        The images go in as the pages of a multi-page TIFF, so the model is loaded once (eight small
        pages take ~0.3 s, against ~0.2 s per process for one call each) and, unlike `read_crops`'
        stacked sheet, no image's layout or text size influences another's reading (measured in
        bench/name_verification.py: a crop read alone with psm 7 reads a name right more often than
        the same crop in a psm 6 sheet). One OcrLine per image, in order; "" when nothing was read."""
        import pytesseract
        from PIL import Image

        if not images:
            return []
        pages = [Image.fromarray(to_grey(img)) for img in images]
        with tempfile.TemporaryDirectory(prefix="rongju-ocr-") as tmp:
            path = os.path.join(tmp, "pages.tif")
            pages[0].save(path, format="TIFF", save_all=True, append_images=pages[1:])
            data: dict[str, list[Any]] = pytesseract.image_to_data(
                path,
                lang=lang,
                config=_tess_config(7, None),
                output_type=pytesseract.Output.DICT,
                timeout=self.timeout_s,
            )
        per_page: list[list[_Word]] = [[] for _ in images]
        for page, word in _data_words(data):
            if 0 <= page < len(images):
                per_page[page].append(word)
        return [
            _crop_reading(words, (img.shape[1], img.shape[0]), "")
            for img, words in zip(images, per_page, strict=True)
        ]


# ----------------------------------------------------------------------------- RapidOCR


_RAPIDOCR_MISSING = (
    "OCR 引擎 rapidocr 未安装（rapidocr-onnxruntime），无法识别证件，请运行 make setup 安装依赖 / "
    "the configured OCR engine rapidocr (rapidocr-onnxruntime) is not installed: run `make setup`"
)
_TESSERACT_MISSING = (
    "OCR 引擎 tesseract 未安装，请运行 make setup（Debian 软件包 tesseract-ocr） / "
    "the OCR engine tesseract is not installed: run `make setup` (tesseract-ocr, tesseract-ocr-chi-sim)"
)


class RapidOcrEngine:
    """RapidOCR (PP-OCRv4 det + rec ONNX models shipped in the rapidocr-onnxruntime wheel).

    Language is fixed by the bundled model (Chinese + Latin); `lang` and `psm` are accepted for the
    interface and ignored. Recognition of crops runs as one batch in-process."""

    name = "rapidocr"
    reads_layout = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine: Any = None

    @staticmethod
    def available() -> bool:
        try:
            import rapidocr_onnxruntime  # noqa: F401
        except ImportError:
            return False
        return True

    def load(self) -> None:
        self._get()

    def _get(self) -> Any:
        with self._lock:
            if self._engine is None:
                try:
                    from rapidocr_onnxruntime import RapidOCR
                except ImportError as exc:  # pragma: no cover - depends on the machine
                    raise EngineUnavailable(_RAPIDOCR_MISSING) from exc
                from documents.ocr.config import load_ocr_settings

                threads = load_ocr_settings().rapidocr_threads
                # onnxruntime's threads per session (0: its default, every core); rapidocr applies
                # them to the detection, classification and recognition sessions alike.
                options = {"intra_op_num_threads": threads, "inter_op_num_threads": 1} if threads else {}
                self._engine = RapidOCR(**options)
            return self._engine

    def read_lines(self, img: np.ndarray, *, lang: str = "chi_sim", psm: int | None = None) -> list[OcrLine]:
        result, _elapse = self._get()(to_bgr(img))
        lines = []
        for quad, text, score in result or []:
            xs = [int(p[0]) for p in quad]
            ys = [int(p[1]) for p in quad]
            box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
            lines.extend(split_stacked(OcrLine(unicodedata.normalize("NFC", str(text)), float(score), box)))
        return reading_order(lines)

    def read_crops(self, crops: list[np.ndarray], *, lang: str = "chi_sim", psm: int = 6) -> list[OcrLine]:
        if not crops:
            return []
        engine = self._get()
        out: list[OcrLine | None] = [None] * len(crops)
        single: list[int] = []
        for i, crop in enumerate(crops):
            h, w = crop.shape[:2]
            # A crop taller than ~2 text lines (an address) needs detection; one-line crops go to the
            # recogniser together, in one batch.
            lines = self.read_lines(crop) if h > 2.2 * _LINE_PX else []
            if not lines:
                single.append(i)
                continue
            weights = [max(1, len(ln.text)) for ln in lines]
            conf = sum(ln.confidence * n for ln, n in zip(lines, weights, strict=True)) / sum(weights)
            out[i] = OcrLine("\n".join(ln.text for ln in lines), round(conf, 4), (0, 0, w, h))
        if single:
            rec, _ = engine.text_rec([to_bgr(crops[i]) for i in single])
            for i, (text, score) in zip(single, rec, strict=True):
                h, w = crops[i].shape[:2]
                out[i] = OcrLine(str(text), float(score) if text else 0.0, (0, 0, w, h))
        return [ln if ln is not None else OcrLine("", 0.0, (0, 0, 1, 1)) for ln in out]


# A text line on a card warped to 856×540 is ~30–40 px high.
_LINE_PX = 40


# ----------------------------------------------------------------------------- registry


ENGINES: dict[str, type[TesseractEngine] | type[RapidOcrEngine]] = {
    "tesseract": TesseractEngine,
    "rapidocr": RapidOcrEngine,
}


@cache
def get_engine(name: str = "tesseract") -> OcrEngine:
    """The (shared, lazily created) engine called `name`; EngineUnavailable if it cannot run here."""
    check_engine(name)
    return ENGINES[name]()


def check_engine(name: str) -> None:
    """Refuse (EngineUnavailable, Chinese and English) an engine that is unknown or not installed here."""
    try:
        cls = ENGINES[name]
    except KeyError:
        raise EngineUnavailable(
            f"未知的 OCR 引擎 {name!r}（可用：{'、'.join(sorted(ENGINES))}） / "
            f"unknown OCR engine {name!r}; known: {sorted(ENGINES)}"
        ) from None
    if cls is RapidOcrEngine and not RapidOcrEngine.available():
        raise EngineUnavailable(_RAPIDOCR_MISSING)
    if cls is TesseractEngine and shutil.which("tesseract") is None:
        raise EngineUnavailable(_TESSERACT_MISSING)
