"""The ID-photo check (PHOTO_NOT_COMPLIANT): exactly one face, a plain light background, 358×441.

Faces are found with OpenCV's frontal-face Haar cascade (haarcascade_frontalface_default.xml from
``cv2.data.haarcascades``). That needs opencv-python(-headless) 4.x: 5.0 dropped CascadeClassifier and
no longer ships the Haar models (its FaceDetectorYN needs a model file from outside), so 4.14 is pinned.
The cascade is loaded once per process and cached.

The photo is scaled to a fixed width before detection, so the same detector settings (scaleFactor,
minNeighbors, a minimum face size relative to the photo) apply to a 358-px upload and a 3000-px one.

The background is judged on the border strips — the top strip and the upper parts of the side strips
(the shoulders fill the bottom corners): enough of those pixels must be light (CIELAB L) and nearly
colourless (low chroma). Light grey passes; the blue and red backgrounds of other ID photos fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from config.document_quality import load_document_quality
from documents.problems import DocumentProblem
from documents.safe_image import cv2  # not `import cv2`: safe_image sets OpenCV's pixel limit first
from models.document_quality import DocumentQualityConfig
from models.reasons import ReasonCode

__all__ = ["PortraitResult", "check_portrait"]

_DETECT_WIDTH = 358  # the nominal photo width; detection runs at this width
_SIDE_STRIP_HEIGHT = 0.6  # the side strips stop at 60% of the height, above the shoulders


@dataclass(frozen=True)
class PortraitResult:
    face_count: int
    faces: tuple[tuple[int, int, int, int], ...]  # (x, y, w, h) in the input image's pixels
    background_lightness: float  # mean CIELAB L (0..255) of the border strips
    background_chroma: float  # median chroma of the border strips (0 = grey)
    background_fraction: float  # share of border pixels that look like a light plain background
    aspect: float  # width / height
    compliant: bool
    problems: list[DocumentProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "face_count": self.face_count,
            "faces": [list(f) for f in self.faces],
            "background_lightness": round(self.background_lightness, 1),
            "background_chroma": round(self.background_chroma, 1),
            "background_fraction": round(self.background_fraction, 3),
            "aspect": round(self.aspect, 4),
            "compliant": self.compliant,
            "problems": [p.as_dict() for p in self.problems],
        }


@cache
def _cascade() -> cv2.CascadeClassifier:
    # Imported here, after documents.safe_image has loaded OpenCV with its pixel limit; cv2's own
    # stubs do not declare the `data` submodule, the explicit import does.
    from cv2.data import haarcascades

    path = haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():  # pragma: no cover - a broken OpenCV install
        raise RuntimeError(f"cannot load the face model {path}")
    return cascade


def _problem(zh: str, en: str, **detail: object) -> DocumentProblem:
    return DocumentProblem(reason=ReasonCode.PHOTO_NOT_COMPLIANT, zh=zh, en=en, detail=dict(detail))


def _detect_faces(bgr: np.ndarray, cfg: DocumentQualityConfig) -> list[tuple[int, int, int, int]]:
    h, w = bgr.shape[:2]
    f = _DETECT_WIDTH / w
    size = (_DETECT_WIDTH, max(1, round(h * f)))
    small = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    pc = cfg.portrait
    min_side = max(24, round(pc.min_face_fraction * _DETECT_WIDTH))
    found = _cascade().detectMultiScale(
        grey, scaleFactor=pc.scale_factor, minNeighbors=pc.min_neighbors, minSize=(min_side, min_side)
    )
    return [(round(x / f), round(y / f), round(fw / f), round(fh / f)) for x, y, fw, fh in found]


def _background(bgr: np.ndarray, cfg: DocumentQualityConfig) -> tuple[float, float, float]:
    """(mean lightness, median chroma, share of background-like pixels) of the border strips."""
    pc = cfg.portrait
    h, w = bgr.shape[:2]
    bw, bh = max(1, round(w * pc.border_fraction)), max(1, round(h * pc.border_fraction))
    side_h = max(bh + 1, round(h * _SIDE_STRIP_HEIGHT))
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    strips = np.concatenate(
        [
            lab[:bh, :].reshape(-1, 3),
            lab[bh:side_h, :bw].reshape(-1, 3),
            lab[bh:side_h, w - bw :].reshape(-1, 3),
        ]
    )
    lightness = strips[:, 0]
    chroma = np.hypot(strips[:, 1] - 128, strips[:, 2] - 128)
    plain = (lightness >= pc.min_lightness) & (chroma <= pc.max_chroma)
    return float(lightness.mean()), float(np.median(chroma)), float(plain.mean())


def check_portrait(img: np.ndarray, *, config: DocumentQualityConfig | None = None) -> PortraitResult:
    """Is this BGR image a compliant ID photo? Each failed rule is one PHOTO_NOT_COMPLIANT problem."""
    cfg = config or load_document_quality()
    pc = cfg.portrait
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    h, w = img.shape[:2]
    faces = _detect_faces(img, cfg)
    lightness, chroma, fraction = _background(img, cfg)
    aspect = w / h
    problems: list[DocumentProblem] = []
    if not faces:
        problems.append(
            _problem(
                "未检测到人脸，请上传本人正面免冠照片。",
                "No face detected; a frontal head-and-shoulders photo is required.",
                face_count=0,
            )
        )
    elif len(faces) > 1:
        problems.append(
            _problem(
                "检测到多张人脸，照片中只能有本人一人。",
                f"{len(faces)} faces detected; the photo must show the applicant alone.",
                face_count=len(faces),
            )
        )
    if fraction < pc.min_background_fraction:
        problems.append(
            _problem(
                "背景不是白色或浅色，请使用白色或浅色纯色背景拍摄。",
                "The background is not plain white or light.",
                background_lightness=round(lightness, 1),
                background_chroma=round(chroma, 1),
                background_fraction=round(fraction, 3),
            )
        )
    if abs(aspect / pc.aspect - 1) > pc.aspect_tolerance:
        problems.append(
            _problem(
                "照片比例应为 358×441（26×32 毫米），请按证件照规格裁剪。",
                f"Photo proportions should be 358×441 (26×32 mm); this one is {w}×{h}.",
                width=w,
                height=h,
                aspect=round(aspect, 4),
            )
        )
    return PortraitResult(
        face_count=len(faces),
        faces=tuple(faces),
        background_lightness=lightness,
        background_chroma=chroma,
        background_fraction=fraction,
        aspect=aspect,
        compliant=not problems,
        problems=problems,
    )
