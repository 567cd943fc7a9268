"""Distrustful decoding of uploaded images: sniff, bound, decode, straighten, re-encode.

Every uploaded picture goes through `decode_image` before anything looks at its pixels:

1. the type is sniffed from the first bytes (JPEG and PNG only; the file name and the declared
   content type are not trusted);
2. the header is read without decoding and its dimensions are checked against the pixel limit —
   a 30000×30000 PNG of zeros is a few kilobytes on disk and 2.7 GB once decoded;
3. Pillow decodes with `MAX_IMAGE_PIXELS` lowered and its DecompressionBombWarning raised as an
   error (belt and braces behind step 2), and a truncated file is an error, not a grey half-image;
4. the EXIF orientation is applied (phones store sideways pixels plus a tag) and the image becomes
   plain RGB (transparent PNGs over white);
5. the result is re-encoded as PNG and that copy is decoded again by OpenCV: later stages only ever
   see pixels that went through our own encoder, never the applicant's byte stream.

OpenCV: `OPENCV_IO_MAX_IMAGE_PIXELS` is read once, when cv2 is loaded, so it is set here before
`import cv2`. Every module of ours that uses OpenCV must get it from here —
``from documents.safe_image import cv2`` — so the limit is in place whichever module is imported first.
"""

from __future__ import annotations

import os
import struct
import sys
import warnings
from dataclasses import dataclass, field
from io import BytesIO
from typing import Literal

from config.document_quality import load_document_quality

if "cv2" not in sys.modules:
    # 50 MP: the same bound as Pillow's below (config decode.max_pixels). Set before the first import.
    os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(50_000_000))

import cv2  # after the environment variable above, on purpose
import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from documents.filetype import SniffedType, sniff_type, type_name
from documents.problems import DocumentProblem
from models.reasons import ReasonCode

__all__ = ["DecodedImage", "cv2", "decode_image"]

_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class DecodedImage:
    """An upload decoded under limits and re-encoded: the only form later stages work on."""

    bgr: np.ndarray = field(repr=False)  # uint8, H×W×3, OpenCV channel order
    width: int
    height: int
    source_format: Literal["jpeg", "png"]
    exif_rotated: bool
    reencoded: bytes = field(repr=False)  # PNG of exactly the pixels in `bgr`


def _problem(reason: ReasonCode, zh: str, en: str, **detail: object) -> DocumentProblem:
    return DocumentProblem(reason=reason, zh=zh, en=en, detail=dict(detail))


def _not_allowed(sniffed: SniffedType | None) -> DocumentProblem:
    what = sniffed.upper() if sniffed else "unknown"
    return _problem(
        ReasonCode.FILE_TYPE_NOT_ALLOWED,
        "文件格式不支持，请上传 JPG 或 PNG 格式的照片。",
        f"File type not allowed ({what}); upload a JPG or PNG image.",
        detected=sniffed or "unknown",
    )


def _unreadable(en_why: str, **detail: object) -> DocumentProblem:
    return _problem(
        ReasonCode.FILE_UNREADABLE,
        "文件已损坏或无法打开，请重新拍摄或重新上传。",
        f"The image cannot be decoded ({en_why}); ask for a new upload.",
        **detail,
    )


def _too_large(width: int, height: int, max_pixels: int) -> DocumentProblem:
    return _problem(
        ReasonCode.FILE_UNREADABLE,
        "图片尺寸过大，无法处理，请上传不超过 5000 万像素的照片（例如用手机正常拍摄的照片）。",
        f"Image too large to process ({width}×{height} = {width * height:,} px, limit {max_pixels:,}).",
        width=width,
        height=height,
        max_pixels=max_pixels,
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    """Plain 8-bit RGB; transparency is flattened onto white (a cut-out photo on black would fail)."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if img.mode == "I;16" or img.mode.startswith("I;16"):
        # 16-bit greyscale PNG: scale down rather than clip.
        arr = np.asarray(img, dtype=np.uint16)
        return Image.fromarray((arr >> 8).astype(np.uint8), "L").convert("RGB")
    return img.convert("RGB")


def decode_image(data: bytes, *, max_pixels: int | None = None) -> DecodedImage | DocumentProblem:
    """Decode an uploaded JPEG or PNG under a pixel limit, upright and re-encoded; or say why not.

    Never raises for bad input. `max_pixels` defaults to config decode.max_pixels.
    """
    limits = load_document_quality().decode
    limit = max_pixels if max_pixels is not None else limits.max_pixels
    if not data:
        return _unreadable("empty file", size=0)
    sniffed = type_name(sniff_type(data))
    if sniffed not in ("jpeg", "png"):
        return _not_allowed(sniffed)

    # Pillow's own check runs in Image.open: a warning above MAX_IMAGE_PIXELS, an error above twice
    # that. The module-level limit is shared by every thread, so it is only ever set to the configured
    # value (never raised per call); the per-call limit is enforced explicitly from the header below.
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(BytesIO(data), formats=["JPEG", "PNG"])
            width, height = img.size
            if width <= 0 or height <= 0:
                return _unreadable("zero-sized image", width=width, height=height)
            if width * height > limit or max(width, height) > limits.max_side:
                return _too_large(width, height, limit)
            orientation = img.getexif().get(_EXIF_ORIENTATION, 1)
            # LOAD_TRUNCATED_IMAGES stays False (the default): a cut-off upload is an error here.
            if ImageFile.LOAD_TRUNCATED_IMAGES:
                return _unreadable("truncated images are accepted process-wide; refusing to decode")
            img.load()
            upright = ImageOps.exif_transpose(img) or img
            rgb = _to_rgb(upright)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _too_large(*_header_size(data), limit)
    except UnidentifiedImageError:
        return _unreadable("not a valid JPEG/PNG stream", detected=sniffed)
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error) as exc:
        # Truncated or corrupt data: Pillow raises OSError ("image file is truncated"), SyntaxError
        # (bad PNG chunk), ValueError, or EOFError depending on where the stream breaks.
        return _unreadable(type(exc).__name__ + ": " + str(exc)[:120], detected=sniffed)
    except MemoryError:
        return _unreadable("out of memory while decoding", detected=sniffed)

    buf = BytesIO()
    rgb.save(buf, format="PNG", compress_level=1)
    reencoded = buf.getvalue()
    bgr = cv2.imdecode(np.frombuffer(reencoded, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:  # cannot happen for our own PNG unless OpenCV's pixel limit is lower than Pillow's
        return _too_large(rgb.width, rgb.height, limit)
    return DecodedImage(
        bgr=bgr,
        width=int(bgr.shape[1]),
        height=int(bgr.shape[0]),
        source_format=sniffed,
        exif_rotated=orientation not in (None, 1),
        reencoded=reencoded,
    )


def _header_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG IHDR, for messages only (0, 0 when unknown)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 0, 0
