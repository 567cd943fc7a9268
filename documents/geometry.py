"""Find the document in a photo, flatten it and put it upright — and say what was done.

ID cards: the largest convex quadrilateral (edges → contours → approxPolyDP) is warped to 856×540; when
no edge quadrilateral is found, the card is separated from the background by colour difference (a card
on a white scanner lid or a plain desk). Failing both, text skew is measured by a projection profile
and corrected only above ~1.5°, and uniform borders are trimmed.

Orientation of an ID card: the aspect ratio says landscape or portrait; which of the two remaining
rotations is upright is decided by reading the ID-number band of each candidate in ONE tesseract call
and keeping the rotation whose 18 characters validate (stdnum.cn.ric). Other pages use tesseract OSD,
trusted only at orientation confidence ≥ 1; otherwise 0° and 180° are both read and the one with more
recognised CJK characters wins.

Every function returns a `GeometryReport` for the reviewer: how the document was found, whether it was
warped, the skew corrected and the rotation applied.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from documents.ocr.engines import OcrEngine, flatten_illumination, get_engine, is_cjk, to_grey
from documents.ocr.idnumber import valid_windows

CARD_W, CARD_H = 856, 540
CARD_ASPECT = CARD_W / CARD_H  # ISO/IEC 7810 ID-1: 85.6 × 54 mm
_DETECT_MAX_SIDE = 1000
# A quadrilateral smaller than this share of the frame is not the card (the portrait on the card is ~17%).
_MIN_CARD_AREA = 0.18
_ASPECT_TOLERANCE = 0.28
DESKEW_MIN_DEG = 1.5


@dataclass(frozen=True)
class GeometryReport:
    """What was done to the picture, for the reviewer and the logs (no personal data)."""

    found_by: str = "none"  # "contour" | "colour" | "whole_image" | "none"
    warped: bool = False
    quad: list[tuple[int, int]] | None = None  # corners in the input image (tl, tr, br, bl)
    skew_deg: float = 0.0  # skew corrected (0 when below the threshold or after a warp)
    rotation: int = 0  # degrees, clockwise, applied to make the document upright
    orientation_by: str = "none"  # "id_number" | "aspect" | "osd" | "cjk_count" | "none"
    orientation_confident: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------- rotations


def rotate_clockwise(img: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate by a multiple of 90° clockwise (lossless)."""
    d = degrees % 360
    if d == 0:
        return img
    code = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[d]
    return cv2.rotate(img, code)


# ----------------------------------------------------------------------------- quadrilaterals


def order_corners(pts: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left (float32)."""
    pts = np.asarray(pts, np.float32).reshape(4, 2)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def _quad_sides(q: np.ndarray) -> tuple[float, float]:
    tl, tr, br, bl = q
    w = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    h = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(w), float(h)


def _card_like(q: np.ndarray, frame_area: float) -> bool:
    if not cv2.isContourConvex(q.reshape(-1, 1, 2).astype(np.int32)):
        return False
    area = cv2.contourArea(q.reshape(-1, 1, 2))
    if area < _MIN_CARD_AREA * frame_area:
        return False
    w, h = _quad_sides(q)
    if min(w, h) < 1:
        return False
    aspect = max(w, h) / min(w, h)
    return abs(aspect - CARD_ASPECT) <= _ASPECT_TOLERANCE * CARD_ASPECT


def _to_quad(contour: np.ndarray) -> np.ndarray | None:
    """A 4-corner approximation of a (rounded-corner) card outline, or None."""
    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    for eps in (0.01, 0.02, 0.03, 0.04, 0.06):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return order_corners(approx)
        if len(approx) < 4:
            break
    # Rounded corners can defeat approxPolyDP: fall back to the hull's extreme points along the
    # diagonals, which are the corners of any convex, roughly rectangular outline.
    pts = hull.reshape(-1, 2).astype(np.float32)
    if len(pts) < 4:
        return None
    q = order_corners(
        np.array(
            [
                pts[np.argmin(pts.sum(1))],
                pts[np.argmin(pts[:, 1] - pts[:, 0])],
                pts[np.argmax(pts.sum(1))],
                pts[np.argmax(pts[:, 1] - pts[:, 0])],
            ]
        )
    )
    # Only trust it when the quadrilateral covers nearly all of the outline.
    if cv2.contourArea(q.reshape(-1, 1, 2)) < 0.92 * cv2.contourArea(hull):
        return None
    return q


def _largest_card_quad(mask: np.ndarray, frame_area: float) -> np.ndarray | None:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for c in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        if cv2.contourArea(c) < _MIN_CARD_AREA * frame_area:
            break
        q = _to_quad(c)
        if q is not None and _card_like(q, frame_area):
            return q
    return None


def _quads_by_edges(small: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """Card outlines from edges: median-scaled Canny thresholds first (most desks), then low fixed ones
    for a light card on a light surface, whose outline is only a few grey levels deep."""
    grey = cv2.GaussianBlur(to_grey(small), (5, 5), 0)
    h, w = grey.shape[:2]
    v = float(np.median(grey))
    passes = (
        ("contour", max(10.0, 0.5 * v), min(255.0, 1.2 * v)),
        ("contour_low", 12.0, 36.0),
        ("contour_low", 6.0, 18.0),
    )
    for name, lo, hi in passes:
        edges = cv2.Canny(grey, lo, hi)
        edges = cv2.dilate(edges, np.ones((3, 3), np.uint8), iterations=2)
        # Edges touching the frame would join the card to the border; clear a thin frame.
        edges[:3, :] = 0
        edges[-3:, :] = 0
        edges[:, :3] = 0
        edges[:, -3:] = 0
        filled = np.zeros_like(edges)
        contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(filled, contours, -1, 255, thickness=cv2.FILLED)
        q = _largest_card_quad(filled, float(h * w))
        # Low thresholds also trace the card's own pattern: such an outline must hold all the text.
        if q is not None and (name == "contour" or _holds_the_ink(small, q)):
            yield name, q


def _quad_by_colour(small: np.ndarray) -> np.ndarray | None:
    """Separate the card from a background of roughly uniform colour (sampled along the frame)."""
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (7, 7), 0), cv2.COLOR_BGR2LAB).astype(np.float32)
    h, w = lab.shape[:2]
    b = max(4, min(h, w) // 40)
    border = np.concatenate(
        [
            lab[:b].reshape(-1, 3),
            lab[-b:].reshape(-1, 3),
            lab[:, :b].reshape(-1, 3),
            lab[:, -b:].reshape(-1, 3),
        ]
    )
    bg = np.median(border, axis=0)
    dist = np.linalg.norm(lab - bg, axis=2)
    spread = float(np.percentile(np.linalg.norm(border - bg, axis=1), 90))
    thr = max(12.0, spread * 1.5)
    mask = (dist > thr).astype(np.uint8) * 255
    k = max(3, min(h, w) // 80) | 1
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8), iterations=2)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    return _largest_card_quad(mask, float(h * w))


def warp_quad(img: np.ndarray, quad: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    dst = np.array([[0, 0], [size[0] - 1, 0], [size[0] - 1, size[1] - 1], [0, size[1] - 1]], np.float32)
    m = cv2.getPerspectiveTransform(order_corners(quad), dst)
    return cv2.warpPerspective(img, m, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


# ----------------------------------------------------------------------------- skew


def estimate_skew(img: np.ndarray, *, max_deg: float = 15.0, step: float = 0.25) -> float:
    """The anticlockwise rotation in degrees (as `rotate_by` takes it) that levels the text lines: the
    angle at which the horizontal projection of dark pixels is sharpest."""
    grey = to_grey(img)
    scale = 600 / max(grey.shape[:2])
    if scale < 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    binary = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    h, w = binary.shape
    centre = (w / 2, h / 2)
    best, best_score = 0.0, -1.0
    for coarse in (True, False):
        angles = (
            np.arange(-max_deg, max_deg + 1e-6, 1.0)
            if coarse
            else np.arange(best - 1.0, best + 1.0 + 1e-6, step)
        )
        for a in angles:
            m = cv2.getRotationMatrix2D(centre, float(a), 1.0)
            rot = cv2.warpAffine(binary, m, (w, h), flags=cv2.INTER_NEAREST)
            profile = rot.sum(axis=1, dtype=np.float64)
            score = float(np.var(np.diff(profile)))
            if score > best_score:
                best, best_score = float(a), score
    return best


def rotate_by(img: np.ndarray, degrees: float, fill: tuple[int, ...] | int) -> np.ndarray:
    """Rotate anticlockwise by `degrees` with expansion (nothing is cut off)."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=fill)


def trim_uniform_border(img: np.ndarray, *, tol: float = 6.0) -> np.ndarray:
    """Cut away rows and columns that are all background colour (what a deskew or a scanner adds)."""
    grey = to_grey(img).astype(np.float32)
    h, w = grey.shape
    b = max(2, min(h, w) // 100)
    bg = float(
        np.median(
            np.concatenate([grey[:b].ravel(), grey[-b:].ravel(), grey[:, :b].ravel(), grey[:, -b:].ravel()])
        )
    )
    off = np.abs(grey - bg) > tol
    rows = np.where(off.mean(axis=1) > 0.02)[0]
    cols = np.where(off.mean(axis=0) > 0.02)[0]
    if len(rows) < h * 0.3 or len(cols) < w * 0.3:
        return img
    return img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


# ----------------------------------------------------------------------------- finding the card


def card_candidates(bgr: np.ndarray) -> Iterator[tuple[np.ndarray, GeometryReport]]:
    """Plausible flattened cards, best first: 856×540 (540×856 when the card lies sideways).

    Order: a clear edge outline; the whole picture when it is card-shaped (a scan or crop of the card);
    faint edge outlines; an outline by colour difference from the background; the whole picture. The
    caller keeps the first candidate it can verify (an ID number that validates)."""
    h, w = bgr.shape[:2]
    scale = min(1.0, _DETECT_MAX_SIDE / max(h, w))
    small = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    aspect = max(h, w) / max(1, min(h, w))
    card_shaped = abs(aspect - CARD_ASPECT) <= _ASPECT_TOLERANCE * CARD_ASPECT
    whole_done = False

    def quads() -> Iterator[tuple[str, np.ndarray]]:
        yield from _quads_by_edges(small)
        q = _quad_by_colour(small)
        if q is not None and _holds_the_ink(small, q):
            yield "colour", q

    for found_by, q in quads():
        if found_by != "contour" and card_shaped and not whole_done:
            whole_done = True
            yield _whole_image(bgr)
        quad = q / scale
        qw, qh = _quad_sides(quad)
        # A quad that is practically the whole frame is a tightly cropped scan: no warp needed.
        if qw * qh > 0.9 * w * h and _near_axis_aligned(quad):
            continue
        size = (CARD_W, CARD_H) if qw >= qh else (CARD_H, CARD_W)
        corners = [(round(float(x)), round(float(y))) for x, y in quad]
        yield warp_quad(bgr, quad, size), GeometryReport(found_by=found_by, warped=True, quad=corners)
    if not whole_done:
        yield _whole_image(bgr)


def locate_card(bgr: np.ndarray) -> tuple[np.ndarray, GeometryReport]:
    """The most plausible flattened card, without reading it (see `card_candidates`)."""
    return next(card_candidates(bgr))


def _whole_image(bgr: np.ndarray) -> tuple[np.ndarray, GeometryReport]:
    """No outline: a scan or a crop of the card itself, possibly tilted on the scanner."""
    notes: list[str] = []
    angle = estimate_skew(bgr)
    out = bgr
    skew = 0.0
    if abs(angle) > DESKEW_MIN_DEG:
        if bgr.ndim == 3:
            border = np.concatenate([bgr[:2].reshape(-1, 3), bgr[-2:].reshape(-1, 3)])
            fill: tuple[int, ...] | int = tuple(int(v) for v in np.median(border, axis=0))
        else:
            fill = 255
        out = rotate_by(bgr, angle, fill)
        skew = angle
    out = trim_uniform_border(out)
    oh, ow = out.shape[:2]
    aspect = max(oh, ow) / max(1, min(oh, ow))
    if abs(aspect - CARD_ASPECT) > _ASPECT_TOLERANCE * CARD_ASPECT:
        notes.append(f"aspect {aspect:.2f} is not a card's; resized anyway")
    size = (CARD_W, CARD_H) if ow >= oh else (CARD_H, CARD_W)
    out = cv2.resize(out, size, interpolation=cv2.INTER_AREA if ow > size[0] else cv2.INTER_CUBIC)
    return out, GeometryReport(found_by="whole_image", warped=False, skew_deg=round(skew, 2), notes=notes)


def _holds_the_ink(small: np.ndarray, quad: np.ndarray) -> bool:
    """A colour-difference outline can clip a card whose background is close to the surface's; the
    card must hold (nearly) all the dark strokes in the picture, or the outline is wrong."""
    grey = to_grey(small)
    # Both masks are uint8 0/255 images; OpenCV's stubs type them as any numeric array, which has no `~`.
    ink: np.ndarray = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 25
    )
    card = np.zeros_like(ink)
    cv2.fillConvexPoly(card, quad.astype(np.int32), 255)
    inside: np.ndarray = cv2.dilate(card, np.ones((9, 9), np.uint8))
    total = int(np.count_nonzero(ink))
    outside = int(np.count_nonzero(ink & ~inside))
    return total == 0 or outside / total < 0.03


def _near_axis_aligned(quad: np.ndarray, tol_deg: float = 1.0) -> bool:
    tl, tr, _br, _bl = quad
    return abs(math.degrees(math.atan2(float(tr[1] - tl[1]), float(tr[0] - tl[0])))) < tol_deg


# ----------------------------------------------------------------------------- ID-card orientation


def id_number_band(card: np.ndarray) -> np.ndarray:
    """The bottom band of an upright 856×540 card front, where the 公民身份号码 line sits."""
    h = card.shape[0]
    return card[int(h * 0.70) : int(h * 0.96)]


@dataclass(frozen=True)
class Orientation:
    rotation: int  # clockwise degrees to apply
    method: str
    confident: bool
    id_number: str | None = None  # the number that validated, when found this way


def orient_id_front(card: np.ndarray, *, engine: OcrEngine | None = None) -> Orientation:
    """Which clockwise rotation makes a warped card front upright.

    Portrait cards are turned to landscape (90 or 270); of the two candidates the one whose bottom band
    reads a valid ID number wins. Both candidates are read in one engine call."""
    engine = engine or get_engine("tesseract")
    h, w = card.shape[:2]
    candidates = (0, 180) if w >= h else (90, 270)
    # Flattened first: under a lamp to one side the band's far end is too dark to read (7/20 → 20/20).
    bands = [flatten_illumination(id_number_band(rotate_clockwise(card, r))) for r in candidates]
    lines = _read_digits(engine, bands)
    valid = [(r, valid_windows(ln.text)) for r, ln in zip(candidates, lines, strict=True)]
    hits = [(r, nums) for r, nums in valid if len(nums) == 1]
    if len(hits) == 1:
        return Orientation(hits[0][0], "id_number", True, hits[0][1][0])
    # Undecided (unreadable, or both valid): more digits read in the band is the better guess.
    counts = [len(re.findall(r"[0-9]", ln.text)) for ln in lines]
    best = candidates[0] if counts[0] >= counts[1] else candidates[1]
    return Orientation(best, "digit_count" if counts[0] != counts[1] else "aspect", False)


def _read_digits(engine: OcrEngine, crops: list[np.ndarray]) -> list[Any]:
    from documents.ocr.engines import TesseractEngine

    if isinstance(engine, TesseractEngine):
        return engine.read_crops(crops, lang="eng", psm=6, whitelist="0123456789X")
    return engine.read_crops(crops, lang="eng", psm=6)


def prepare_id_card(
    bgr: np.ndarray, *, engine: OcrEngine | None = None, front: bool = True, max_candidates: int = 3
) -> tuple[np.ndarray, GeometryReport, str | None]:
    """Locate, flatten and turn upright an ID card photo.

    Returns the upright 856×540 card, the report, and (front only) the ID number that validated while
    deciding the orientation (None when orientation had to be guessed). Candidate outlines are tried in
    order until one verifies (front: a valid ID number; back: clearly more text one way up)."""
    first: tuple[np.ndarray, GeometryReport, Orientation] | None = None
    tried = 0
    for card, report in card_candidates(bgr):
        o = orient_id_front(card, engine=engine) if front else orient_id_back(card, engine=engine)
        if first is None:
            first = (card, report, o)
        tried += 1
        if o.confident:
            return _upright(card, report, o, tried)
        if tried >= max_candidates:
            break
    assert first is not None  # card_candidates always yields the whole image
    return _upright(*first, tried)


def _upright(
    card: np.ndarray, report: GeometryReport, o: Orientation, tried: int
) -> tuple[np.ndarray, GeometryReport, str | None]:
    card = rotate_clockwise(card, o.rotation)
    if card.shape[:2] != (CARD_H, CARD_W):
        card = cv2.resize(card, (CARD_W, CARD_H), interpolation=cv2.INTER_AREA)
    notes = [*report.notes, *([f"{tried} outlines tried"] if tried > 1 else [])]
    report = replace(
        report, rotation=o.rotation, orientation_by=o.method, orientation_confident=o.confident, notes=notes
    )
    return card, report, o.id_number


def orient_id_back(card: np.ndarray, *, engine: OcrEngine | None = None) -> Orientation:
    """The emblem side has no number: the candidate rotation with more recognised CJK text wins."""
    engine = engine or get_engine("tesseract")
    h, w = card.shape[:2]
    candidates = (0, 180) if w >= h else (90, 270)
    # The lower half holds 签发机关 / 有效期限; read it for both candidates in one call.
    crops = []
    for r in candidates:
        up = rotate_clockwise(card, r)
        crops.append(up[int(up.shape[0] * 0.62) :])
    lines = engine.read_crops(crops, lang="chi_sim", psm=6)
    scores = [_cjk_score(ln.text, ln.confidence) for ln in lines]
    best = candidates[0] if scores[0] >= scores[1] else candidates[1]
    confident = max(scores) >= 4 and min(scores) < max(scores) / 2
    return Orientation(best, "cjk_count", confident)


def _cjk_score(text: str, confidence: float) -> float:
    return sum(1 for ch in text if is_cjk(ch)) * max(confidence, 0.1)


# ----------------------------------------------------------------------------- other pages


def orient_page(bgr: np.ndarray, *, engine: OcrEngine | None = None) -> tuple[np.ndarray, GeometryReport]:
    """Turn a page upright: tesseract OSD when it is sure (confidence ≥ 1), else the better of 0°/180°
    by count of recognised CJK characters. Skew above ~1.5° is corrected afterwards."""
    import pytesseract

    grey = to_grey(bgr)
    rotation, method, confident = 0, "none", False
    notes: list[str] = []
    try:
        osd = pytesseract.image_to_osd(
            grey, config="--psm 0", output_type=pytesseract.Output.DICT, timeout=30
        )
        # OSD's "rotate" is the clockwise rotation that makes the page upright.
        if float(osd.get("orientation_conf", 0.0)) >= 1.0:
            rotation, method, confident = int(osd["rotate"]) % 360, "osd", True
        else:
            notes.append(f"osd not trusted (confidence {float(osd.get('orientation_conf', 0.0)):.2f})")
    except (pytesseract.TesseractError, RuntimeError) as exc:
        notes.append(f"osd failed: {str(exc)[:80]}")
    if not confident:
        engine = engine or get_engine("tesseract")
        small = grey
        scale = 1400 / max(grey.shape[:2])
        if scale < 1:
            small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        a, b = engine.read_crops([small, rotate_clockwise(small, 180)], lang="chi_sim", psm=6)
        sa, sb = _cjk_score(a.text, a.confidence), _cjk_score(b.text, b.confidence)
        rotation, method = (0 if sa >= sb else 180), "cjk_count"
    out = rotate_clockwise(bgr, rotation)
    angle = estimate_skew(out)
    skew = 0.0
    if abs(angle) > DESKEW_MIN_DEG:
        out = rotate_by(out, angle, (255, 255, 255) if out.ndim == 3 else 255)
        skew = angle
    return out, GeometryReport(
        found_by="none",
        rotation=rotation,
        orientation_by=method,
        orientation_confident=confident,
        skew_deg=round(skew, 2),
        notes=notes,
    )
