"""Every hostile file gives a reason code within seconds and bounded memory; nothing raises.

Each case runs the real decoder (images in process, PDFs in the limited child process) and checks
the reason and the wall-clock time. 15 s is a safety bound, not a benchmark.
"""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from collections.abc import Callable

import pytest
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from documents.pdf import PdfDocument, read_pdf
from documents.problems import DocumentProblem
from documents.safe_image import DecodedImage, decode_image
from models.reasons import ReasonCode

BOUND_S = 15.0


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return struct.pack(">I", len(body)) + kind + body + crc


def png_claiming(width: int, height: int, idat: bytes = b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def decompression_bomb() -> bytes:
    """30000×30000 zeros: 900 MB decoded, under 1 MB on disk (zlib streamed, never held whole)."""
    width, height = 30000, 30000
    comp = zlib.compressobj(1)
    rows = b"\x00" * ((width + 1) * 1000)  # 1000 rows of filter byte + pixels
    parts = [comp.compress(rows) for _ in range(height // 1000)]
    parts.append(comp.flush())
    return png_claiming(width, height, b"".join(parts))


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real JPEG whose SOF0 header is patched to claim other dimensions."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def truncated_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((800, 600), 60).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()[: len(buf.getvalue()) // 2]


def small_pdf(pages: int = 1, **kw: object) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(200, 200), **kw)  # type: ignore[arg-type]
    for i in range(pages):
        c.drawString(20, 100, f"page {i + 1} lease contract text")
        c.showPage()
    c.save()
    return buf.getvalue()


def polyglot() -> bytes:
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("payload.html", "<script>alert(1)</script>")
    return small_pdf() + z.getvalue()


def nested_pdf(depth: int = 200_000) -> bytes:
    """A page whose /Contents is an array nested `depth` levels deep (recursion bait for pdfminer)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << >> >>",
        b"[" * depth + b"]" * depth,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


Reader = Callable[[bytes], object]

UNREADABLE, NOT_ALLOWED = ReasonCode.FILE_UNREADABLE, ReasonCode.FILE_TYPE_NOT_ALLOWED
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
HTML = b"<!DOCTYPE html><html><body>lease</body></html>"

CASES: list[tuple[str, Callable[[], bytes], Reader, ReasonCode]] = [
    ("decompression bomb PNG", decompression_bomb, decode_image, UNREADABLE),
    ("PNG header 100000x100000", lambda: png_claiming(100_000, 100_000), decode_image, UNREADABLE),
    ("JPEG header 65000x65000", lambda: jpeg_claiming(65000, 65000), decode_image, UNREADABLE),
    ("truncated JPEG", truncated_jpeg, decode_image, UNREADABLE),
    ("zero bytes image", lambda: b"", decode_image, UNREADABLE),
    ("zero bytes pdf", lambda: b"", read_pdf, UNREADABLE),
    ("GIF named .jpg", lambda: GIF, decode_image, NOT_ALLOWED),
    ("ZIP named .png", lambda: polyglot()[len(small_pdf()) :], decode_image, NOT_ALLOWED),
    ("HTML named .pdf", lambda: HTML, read_pdf, NOT_ALLOWED),
    ("encrypted PDF", lambda: small_pdf(encrypt="pw"), read_pdf, UNREADABLE),
    ("2000-page PDF", lambda: small_pdf(2000), read_pdf, UNREADABLE),
    ("PDF+ZIP polyglot", polyglot, read_pdf, NOT_ALLOWED),
    ("garbage after %PDF-", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 64, read_pdf, UNREADABLE),
]


@pytest.mark.parametrize(("data", "read", "reason"), [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_hostile_file_gives_a_reason_quickly(
    data: Callable[[], bytes], read: Reader, reason: ReasonCode
) -> None:
    payload = data()
    started = time.monotonic()
    out = read(payload)
    elapsed = time.monotonic() - started
    assert isinstance(out, DocumentProblem), out
    assert out.reason is reason, out
    assert out.zh and out.en
    assert elapsed < BOUND_S


def test_deeply_nested_pdf_is_read_or_refused_within_the_bound() -> None:
    started = time.monotonic()
    out = read_pdf(nested_pdf())
    assert time.monotonic() - started < BOUND_S
    # pdfminer either survives (an empty page) or the child gives up; the caller never sees an exception.
    if isinstance(out, DocumentProblem):
        assert out.reason is ReasonCode.FILE_UNREADABLE
    else:
        assert isinstance(out, PdfDocument) and out.pages[0].text.strip() == ""


def scanned_pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    img = Image.linear_gradient("L").resize((1200, 1700)).convert("RGB")
    c.drawImage(ImageReader(img), 0, 0, width=595, height=842)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_memory_limit_stops_a_greedy_parse() -> None:
    # Rasterising the scanned page needs more than 100 MB of address space: the child fails, the
    # caller gets a reason instead of the machine running out of memory. 1 GB is plenty.
    data = scanned_pdf()
    out = read_pdf(data, memory_mb=100)
    assert isinstance(out, DocumentProblem) and out.reason is ReasonCode.FILE_UNREADABLE
    ok = read_pdf(data, memory_mb=1024)
    assert isinstance(ok, PdfDocument) and ok.pages[0].is_scan and ok.pages[0].image_png


def test_timeout_kills_the_child() -> None:
    started = time.monotonic()
    out = read_pdf(small_pdf(5), timeout_s=0.01)
    assert isinstance(out, DocumentProblem) and out.reason is ReasonCode.FILE_UNREADABLE
    assert time.monotonic() - started < 5


def test_exif_rotated_phone_photo_is_decoded_upright() -> None:
    # A phone stores a portrait shot as landscape pixels plus orientation 6 (rotate 90° clockwise).
    upright = Image.new("RGB", (300, 400), (255, 255, 255))
    upright.paste((0, 0, 0), (0, 0, 300, 100))  # dark band at the top of the upright picture
    stored = upright.rotate(90, expand=True)  # how the sensor saw it: 400×300, band on the left
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, "JPEG", exif=exif, quality=95)
    out = decode_image(buf.getvalue())
    assert isinstance(out, DecodedImage) and out.exif_rotated
    assert (out.width, out.height) == (300, 400)
    assert out.bgr[:100].mean() < 40 and out.bgr[150:].mean() > 215
