"""Image quality: size, sharpness, exposure and glare of a decoded document image.

`measure_quality` only measures; `quality_problems` turns the measurements into reason codes with the
per-kind thresholds of config/document_quality.yaml. Only two codes come from here: IMAGE_TOO_SMALL and
IMAGE_TOO_BLURRY. Exposure and glare are reported as metrics and warnings for the reviewer — whether
glare over a field made it unreadable is for the OCR stage to say (OCR_LOW_CONFIDENCE), not for a
global pixel count.

Blur is the variance of the Laplacian, measured so that it means the same at any resolution and
contrast:

- the grey image is resized so its longer side is ``blur_long_side`` (1000 px). The Laplacian is a
  per-pixel second difference, so the same document photographed at 4000 px has edges spread over
  four times as many pixels and a far lower score than at 1000 px, while a downscaled blurry image
  looks sharp. At a fixed size the score measures "how crisp are the strokes relative to the
  document", which is what OCR needs. Small images are scaled up; they lose score, and that is right:
  they carry less detail (and are usually IMAGE_TOO_SMALL anyway).
- contrast is stretched (1st to 99th percentile → 0..255), so a dim but sharp photo is not called
  blurry — underexposure is reported separately;
- the image is cut into tiles and the score is the 90th percentile of the tile variances, so a page
  with a few lines of text on much white paper scores on its text, not on its margins.

Calibration (tests/unit/test_quality.py holds the table; numbers in the module's report): sample-city
cards, portraits and pages under every degradation, plus OpenCV Gaussian blurs at several sigmas and
real downscales.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from config.document_quality import load_document_quality
from documents.problems import DocumentProblem
from documents.safe_image import cv2  # not `import cv2`: safe_image sets OpenCV's pixel limit first
from models.document_quality import DocumentQualityConfig
from models.reasons import ReasonCode

__all__ = ["QualityMetrics", "measure_quality", "quality_problems"]

_TILES = 8  # tiles per side for the blur score


@dataclass(frozen=True)
class QualityMetrics:
    width: int
    height: int
    blur: float  # sharpness score: higher is sharper (see module docstring)
    blur_global: float  # plain Laplacian variance of the whole normalised image, for comparison
    brightness: float  # mean grey, 0..255
    dark_fraction: float  # share of pixels at or below exposure.dark_level
    bright_fraction: float  # share of pixels at or above exposure.bright_level
    glare: float  # share of the image in large near-white, colourless blobs
    warnings: tuple[str, ...] = field(default=())  # "underexposed", "overexposed", "glare"

    def as_dict(self) -> dict[str, object]:
        return {
            "width": self.width,
            "height": self.height,
            "blur": round(self.blur, 1),
            "blur_global": round(self.blur_global, 1),
            "brightness": round(self.brightness, 1),
            "dark_fraction": round(self.dark_fraction, 4),
            "bright_fraction": round(self.bright_fraction, 4),
            "glare": round(self.glare, 4),
            "warnings": list(self.warnings),
        }


def _grey(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return img
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def _blur_scores(grey: np.ndarray) -> tuple[float, float]:
    """(90th percentile of tile Laplacian variances, whole-image variance) of a normalised grey image."""
    g = grey.astype(np.float32)
    lo, hi = np.percentile(g, (1, 99))
    if hi - lo >= 8:  # leave a flat image flat; stretching noise would invent edges
        g = np.clip((g - np.float32(lo)) * np.float32(255.0 / (hi - lo)), 0, 255).astype(np.float32)
    lap = cv2.Laplacian(g, cv2.CV_32F)
    whole = float(lap.var())
    th, tw = max(1, lap.shape[0] // _TILES), max(1, lap.shape[1] // _TILES)
    tiles = [
        float(lap[y : y + th, x : x + tw].var())
        for y in range(0, lap.shape[0] - th + 1, th)
        for x in range(0, lap.shape[1] - tw + 1, tw)
    ]
    return float(np.percentile(tiles, 90)) if tiles else whole, whole


def _glare(
    small: np.ndarray, grey: np.ndarray, value_min: int, saturation_max: int, min_blob: float
) -> float:
    """Share of the image in large blobs of clipped, colourless pixels brighter than the paper.

    White paper is itself near-white and colourless, so "bright" is relative: a pixel counts when it
    is at least `value_min` and clearly above the paper level (median grey). On a scan whose paper is
    already near-white, glare cannot be told from paper and reads 0.
    """
    paper = float(np.median(grey))
    level = min(254.0, max(value_min, paper + 10))
    if paper >= 245:
        return 0.0
    if small.ndim == 2:
        mask = (small >= level).astype(np.uint8)
    else:
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        mask = ((hsv[..., 2] >= level) & (hsv[..., 1] <= saturation_max)).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    total = mask.shape[0] * mask.shape[1]
    areas = stats[1:n, cv2.CC_STAT_AREA]
    return float(areas[areas >= min_blob * total].sum() / total) if n > 1 else 0.0


def measure_quality(img: np.ndarray, *, config: DocumentQualityConfig | None = None) -> QualityMetrics:
    """Size, sharpness, exposure and glare of a BGR (or grey) uint8 image."""
    cfg = config or load_document_quality()
    h, w = img.shape[:2]
    if img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    # Everything is measured at the normalised size: cheaper on a 48 MP photo, and comparable.
    f = cfg.blur_long_side / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    grey = _grey(small)
    blur, blur_global = _blur_scores(grey)
    ex, gl = cfg.exposure, cfg.glare
    brightness = float(grey.mean())
    dark = float((grey <= ex.dark_level).mean())
    bright = float((grey >= ex.bright_level).mean())
    glare = _glare(small, grey, gl.value_min, gl.saturation_max, gl.min_blob_fraction)
    warnings: list[str] = []
    if brightness < ex.too_dark_mean:
        warnings.append("underexposed")
    if brightness > ex.too_bright_mean:
        warnings.append("overexposed")
    if glare >= gl.warn_fraction:
        warnings.append("glare")
    return QualityMetrics(
        width=w,
        height=h,
        blur=blur,
        blur_global=blur_global,
        brightness=brightness,
        dark_fraction=dark,
        bright_fraction=bright,
        glare=glare,
        warnings=tuple(warnings),
    )


def quality_problems(
    metrics: QualityMetrics, kind: str, thresholds: DocumentQualityConfig | None = None
) -> list[DocumentProblem]:
    """IMAGE_TOO_SMALL / IMAGE_TOO_BLURRY for a document `kind` (id_front, photo, lease_contract, ...,
    or a profile name: card, portrait, page). Thresholds default to config/document_quality.yaml."""
    cfg = thresholds or load_document_quality()
    profile = cfg.profile_for(kind)
    long_side, short_side = max(metrics.width, metrics.height), min(metrics.width, metrics.height)
    if long_side < profile.min_long or short_side < profile.min_short:
        # Too small: the blur score of a tiny image says nothing more, so it is the only problem.
        return [
            DocumentProblem(
                reason=ReasonCode.IMAGE_TOO_SMALL,
                zh=(
                    f"图片分辨率太低（{metrics.width}×{metrics.height}），"
                    f"请上传至少 {profile.min_long}×{profile.min_short} 像素的清晰照片。"
                ),
                en=(
                    f"Image too small ({metrics.width}×{metrics.height}); "
                    f"{kind} needs at least {profile.min_long}×{profile.min_short} px."
                ),
                detail={
                    "width": metrics.width,
                    "height": metrics.height,
                    "min_long": profile.min_long,
                    "min_short": profile.min_short,
                },
            )
        ]
    if metrics.blur < profile.min_blur:
        return [
            DocumentProblem(
                reason=ReasonCode.IMAGE_TOO_BLURRY,
                zh="图片模糊，文字无法辨认，请在光线充足处对准焦点重新拍摄。",
                en=(
                    f"Image too blurry (sharpness {metrics.blur:.0f}; "
                    f"{kind} needs at least {profile.min_blur:g})."
                ),
                detail={"blur": round(metrics.blur, 1), "min_blur": profile.min_blur},
            )
        ]
    return []
