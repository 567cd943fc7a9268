"""Distrustful image decoding: sniffing, pixel limits, EXIF orientation, re-encoding."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from documents.filetype import sniff_type, type_name
from documents.problems import DocumentProblem
from documents.safe_image import DecodedImage, decode_image
from models.reasons import ReasonCode


def encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def marked(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Grey image with a red block in the top-left corner, so orientation can be checked."""
    img = Image.new("RGB", size, (128, 128, 128))
    img.paste((255, 0, 0), (0, 0, size[0] // 4, size[1] // 4))
    return img


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xff\xd8\xff\xe0....", "jpeg"),
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"%PDF-1.7\n", "pdf"),
        (b"GIF89a..", "gif"),
        (b"PK\x03\x04....", "zip"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "heic"),
        (b"  <!DOCTYPE html><html>", "html"),
        (b"hello", None),
    ],
)
def test_sniff_type(data: bytes, kind: str | None) -> None:
    # Short and cut-off files too: where libmagic says only "data", the signatures name them.
    assert type_name(sniff_type(data)) == kind


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_decodes_to_bgr_and_reencodes_as_png(fmt: str) -> None:
    out = decode_image(encode(marked(), fmt))
    assert isinstance(out, DecodedImage)
    assert (out.width, out.height) == (400, 300) and out.bgr.shape == (300, 400, 3)
    assert out.bgr.dtype == np.uint8
    assert out.source_format == fmt.lower() and not out.exif_rotated
    assert out.reencoded.startswith(b"\x89PNG")
    b, g, r = out.bgr[10, 10]
    assert r > 200 and g < 50 and b < 50  # BGR order: the red corner is red


@pytest.mark.parametrize(
    ("orientation", "corner"), [(6, "top-right"), (8, "bottom-left"), (3, "bottom-right")]
)
def test_exif_orientation_is_applied(orientation: int, corner: str) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = decode_image(encode(marked(), "JPEG", exif=exif, quality=95))
    assert isinstance(out, DecodedImage) and out.exif_rotated
    h, w = out.bgr.shape[:2]
    assert (w, h) == ((300, 400) if orientation in (6, 8) else (400, 300))
    y, x = {"top-right": (5, w - 5), "bottom-left": (h - 5, 5), "bottom-right": (h - 5, w - 5)}[corner]
    assert out.bgr[y, x, 2] > 200 and out.bgr[y, x, 1] < 60


def test_transparent_png_is_flattened_on_white() -> None:
    img = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    out = decode_image(encode(img, "PNG"))
    assert isinstance(out, DecodedImage) and int(out.bgr.min()) == 255


def test_16_bit_and_palette_pngs_decode() -> None:
    grey16 = Image.fromarray(np.full((30, 40), 40000, np.uint16))
    pal = marked().convert("P")
    for img in (grey16, pal):
        assert isinstance(decode_image(encode(img, "PNG")), DecodedImage)


def test_per_call_pixel_limit() -> None:
    out = decode_image(encode(marked((400, 300)), "PNG"), max_pixels=100_000)
    assert isinstance(out, DocumentProblem) and out.reason is ReasonCode.FILE_UNREADABLE
    assert out.detail["width"] == 400 and "400×300" in out.en


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", ReasonCode.FILE_UNREADABLE),
        (b"GIF89a\x01\x00\x01\x00", ReasonCode.FILE_TYPE_NOT_ALLOWED),
        (b"%PDF-1.4\n", ReasonCode.FILE_TYPE_NOT_ALLOWED),
        (b"\xff\xd8\xff\xe0garbage", ReasonCode.FILE_UNREADABLE),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDRbroken", ReasonCode.FILE_UNREADABLE),
    ],
)
def test_bad_bytes_give_a_reason(data: bytes, reason: ReasonCode) -> None:
    out = decode_image(data)
    assert isinstance(out, DocumentProblem) and out.reason is reason
    assert out.zh and out.en
