"""Reading uploaded PDFs under a page, time and memory limit, in a child process.

pdfminer (under pdfplumber) is pure Python and trusts the file: a hostile PDF can make it recurse,
loop or allocate gigabytes. So parsing never happens in the caller's process:

- the parent sniffs the bytes (``%PDF-`` at offset 0; an HTML page named .pdf is refused) and refuses
  PDF+ZIP polyglots before starting anything;
- a child process (multiprocessing "forkserver": forked from a small server that has already imported
  pdfplumber, so each PDF costs a fork, not a Python start-up) sets ``RLIMIT_AS`` (address space) and
  ``RLIMIT_CPU``, counts pages with pdfium (C, reads the page tree without parsing content) and stops
  at ``max_pages`` before any text is extracted, then extracts text page by page;
- the parent waits at most ``timeout_s`` wall-clock and kills the child after that.

Whatever goes wrong — encrypted, malformed, too many pages, out of memory, killed — the caller gets a
`DocumentProblem` with a reason code, never an exception.

A page with almost no text and one image covering nearly all of it is a scan: it is rasterised (pdfium)
at ``raster_dpi`` and handed on as PNG for OCR. Joining wrapped lines is the extractors' job; the raw
lines and word boxes are exposed as pdfplumber gives them.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from documents.filetype import sniff_type, type_name
from documents.problems import DocumentProblem
from models.reasons import ReasonCode

__all__ = ["PdfDocument", "PdfPage", "PdfWord", "read_pdf"]

# The folder holding the `documents` package, put on the child's PYTHONPATH.
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


@dataclass(frozen=True)
class PdfWord:
    """One word as pdfplumber found it; coordinates in points from the page's top-left corner."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class PdfPage:
    number: int  # 1-based
    text: str  # pdfplumber's extract_text(): lines separated by "\n", not joined across wraps
    is_scan: bool
    image_png: bytes | None = field(repr=False)  # the page rasterised at raster_dpi, only for scans
    width_pt: float
    height_pt: float
    words: tuple[PdfWord, ...] = field(default=(), repr=False)
    char_count: int = 0
    image_coverage: float = 0.0  # largest image's share of the page area (0..1)

    @property
    def lines(self) -> list[str]:
        """The raw text lines, as laid out on the page."""
        return self.text.splitlines()

    def cell_lines(self, *, gap_heights: float = 2.0) -> list[str]:
        """The text lines with a line cut where two of its words stand more than `gap_heights` text
        heights apart: the cells of a table row (left cell, then right cell), as OCR boxes come.

        pdfplumber reads a two-column table line by line across both columns, so a value wrapping
        inside one cell came out mixed with the other column's text (成都市…1单元 13494991122 / 1905).
        Words of one sentence stand a space apart (under one height). When the words cannot be put
        back into the same rows as the text lines, the text lines are given unchanged.
        """
        lines = self.lines
        rows = _word_rows(self.words)
        if len(rows) != len([line for line in lines if line.strip()]):
            return lines
        from documents.text import normalise_ocr_text, starts_new_line  # lazy: the child needs neither

        texts = [line for line in lines if line.strip()]
        split = [_cells(row, gap_heights) for row in rows]
        out: list[str] = []
        k = 0
        while k < len(split):
            cells = split[k]
            if len(cells) == 1:
                out.append(texts[k])
                k += 1
                continue
            texts_k = [" ".join(w.text for w in cell) for cell in cells]
            below = split[k + 1] if k + 1 < len(split) else []
            below_texts = [" ".join(w.text for w in cell) for cell in below]
            if (
                len(below) == len(cells)
                and starts_new_line(normalise_ocr_text(texts_k[0]))
                and not any(ch.isdigit() for t in texts_k for ch in t)
                and not starts_new_line(normalise_ocr_text(below_texts[0]))
                and all(_overlap(a, b) for a, b in zip(cells, below, strict=True))
            ):
                # A row of labels over a row of their values (租赁期限 建筑面积 / 2025年…至… 88.28㎡):
                # each label followed by its own value, as a form with values beside labels reads.
                out += [t for pair in zip(texts_k, below_texts, strict=True) for t in pair]
                k += 2
                continue
            out += texts_k
            k += 1
        return out


def _word_rows(words: Sequence[PdfWord], tolerance: float = 3.0) -> list[list[PdfWord]]:
    """Words grouped into rows by their top edge (pdfplumber's own clustering: a word joins the row
    when its top is within `tolerance` of the previous top), each row left to right."""
    rows: list[list[PdfWord]] = []
    last_top: float | None = None
    for word in sorted(words, key=lambda w: w.top):
        if last_top is None or word.top - last_top > tolerance:
            rows.append([])
        rows[-1].append(word)
        last_top = word.top
    return [sorted(row, key=lambda w: w.x0) for row in rows]


def _cells(row: list[PdfWord], gap_heights: float) -> list[list[PdfWord]]:
    """A row's words in cells: a new cell where the gap to the previous word is over gap_heights."""
    cells: list[list[PdfWord]] = [[row[0]]]
    for prev, word in itertools.pairwise(row):
        height = max(prev.bottom - prev.top, word.bottom - word.top, 1.0)
        if word.x0 - prev.x1 > gap_heights * height:
            cells.append([])
        cells[-1].append(word)
    return cells


def _overlap(a: list[PdfWord], b: list[PdfWord]) -> bool:
    """True when two cells share some horizontal extent (one column of a table)."""
    return min(a[-1].x1, b[-1].x1) > max(a[0].x0, b[0].x0)


@dataclass(frozen=True)
class PdfDocument:
    pages: list[PdfPage]
    # Wall-clock time for the whole read and the part of it spent starting/stopping the child process.
    elapsed_ms: float = 0.0
    overhead_ms: float = 0.0


# --- parent side ---------------------------------------------------------------------------------


def _problem(reason: ReasonCode, zh: str, en: str, **detail: object) -> DocumentProblem:
    return DocumentProblem(reason=reason, zh=zh, en=en, detail=dict(detail))


def _unreadable(zh: str, en: str, **detail: object) -> DocumentProblem:
    return _problem(ReasonCode.FILE_UNREADABLE, zh, en, **detail)


_GENERIC_ZH = "PDF 文件已损坏或无法读取，请重新导出或扫描后上传。"


def _is_zip(data: bytes) -> bool:
    """True when the bytes also form a ZIP archive (end-of-central-directory record near the end)."""
    if b"PK\x05\x06" not in data[-(65536 + 22) :]:
        return False
    try:
        return zipfile.is_zipfile(io.BytesIO(data))
    except Exception:  # any parse failure means "not a usable zip"
        return False


def read_pdf(
    data: bytes,
    *,
    max_pages: int = 20,
    timeout_s: float = 20,
    memory_mb: int = 512,
    raster_dpi: int = 200,
) -> PdfDocument | DocumentProblem:
    """Text (and, for scanned pages, pixels) of an uploaded PDF, read under limits; or why it cannot be."""
    started = time.monotonic()
    if not data:
        return _unreadable("文件为空，请重新上传。", "Empty file.", size=0)
    if not data.startswith(b"%PDF-"):
        sniffed = type_name(sniff_type(data))
        return _problem(
            ReasonCode.FILE_TYPE_NOT_ALLOWED,
            "文件不是 PDF 格式，请上传 PDF 文件或 JPG/PNG 照片。",
            f"Not a PDF (content looks like {sniffed.upper() if sniffed else 'unknown data'}).",
            detected=sniffed or "unknown",
        )
    if _is_zip(data):
        # A PDF+ZIP polyglot parses as a PDF, but no PDF writer produces one: it is made on purpose
        # (to smuggle content past a filter, or to serve a different file to another program).
        return _problem(
            ReasonCode.FILE_TYPE_NOT_ALLOWED,
            "文件同时包含 PDF 和压缩包内容，无法接受，请上传普通的 PDF 文件。",
            "PDF+ZIP polyglot refused: the file is also a ZIP archive.",
            detected="pdf+zip",
        )
    from config.document_quality import load_document_quality  # lazy: keeps the child's start-up lean

    cfg = load_document_quality().pdf
    params = {
        "max_pages": max_pages,
        "memory_mb": memory_mb,
        "raster_dpi": raster_dpi,
        "scan_max_chars": cfg.scan_max_chars,
        "scan_image_area": cfg.scan_image_area,
        "max_raster_pixels": cfg.max_raster_pixels,
        "cpu_s": int(timeout_s) + 1,
    }
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")])}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "documents.pdf", json.dumps(params)],
            input=data,
            capture_output=True,
            timeout=timeout_s,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:  # subprocess.run has killed the child
        return _unreadable(
            "PDF 文件过于复杂，无法在规定时间内读取，请重新导出或扫描后上传。",
            f"PDF parsing exceeded {timeout_s:g} s and was stopped.",
            timeout_s=timeout_s,
        )
    elapsed_ms = (time.monotonic() - started) * 1000
    try:
        reply = json.loads(done.stdout)
    except ValueError:
        reply = None
    if done.returncode != 0 or not isinstance(reply, dict):
        # Killed by RLIMIT_CPU, crashed in pdfium, or died of MemoryError while reporting it.
        return _unreadable(
            _GENERIC_ZH,
            f"PDF parser stopped (exit code {done.returncode}; memory limit {memory_mb} MB or a crash).",
            exitcode=done.returncode,
            memory_mb=memory_mb,
        )
    if reply["status"] != "ok":
        return _child_problem(str(reply["status"]), dict(reply.get("detail") or {}))
    pages = [_page_from_json(p) for p in reply["pages"]]
    return PdfDocument(
        pages=pages, elapsed_ms=elapsed_ms, overhead_ms=max(0.0, elapsed_ms - float(reply["parse_ms"]))
    )


def _page_from_json(p: dict[str, Any]) -> PdfPage:
    png = p.get("image_png")
    return PdfPage(
        number=int(p["number"]),
        text=str(p["text"]),
        is_scan=bool(p["is_scan"]),
        image_png=base64.b64decode(png) if png else None,
        width_pt=float(p["width_pt"]),
        height_pt=float(p["height_pt"]),
        words=tuple(PdfWord(str(w[0]), *(float(v) for v in w[1:5])) for w in p["words"]),
        char_count=int(p["char_count"]),
        image_coverage=float(p["image_coverage"]),
    )


def _child_problem(kind: str, detail: dict[str, Any]) -> DocumentProblem:
    if kind == "encrypted":
        return _unreadable(
            "PDF 文件设置了密码保护，请取消密码后重新上传。",
            "The PDF is password-protected; ask for an unprotected file.",
            **detail,
        )
    if kind == "too_many_pages":
        return _unreadable(
            f"PDF 页数过多（{detail.get('pages')} 页），"
            f"请只上传所需的页面（最多 {detail.get('max_pages')} 页）。",
            f"Too many pages ({detail.get('pages')}; at most {detail.get('max_pages')}).",
            **detail,
        )
    if kind == "no_pages":
        return _unreadable("PDF 文件没有页面，请重新上传。", "The PDF has no pages.", **detail)
    if kind == "memory":
        return _unreadable(_GENERIC_ZH, "PDF parsing exceeded the memory limit.", **detail)
    return _unreadable(_GENERIC_ZH, f"The PDF cannot be parsed ({detail.get('error', kind)}).", **detail)


# --- child side: runs as `python -m documents.pdf PARAMS_JSON` with the PDF on stdin -----------------


def _child_main(argv: list[str]) -> int:
    """Limit this process, parse the PDF from stdin and print one JSON reply on stdout."""
    params = json.loads(argv[1])
    limit = int(params["memory_mb"]) * 1024 * 1024
    # The limit is set after the interpreter and the parsers are loaded (about 80 MB of address space)
    # but before the untrusted bytes are read.
    import pdfplumber  # noqa: F401  (loaded before the limit; used in _parse)
    import pypdfium2  # noqa: F401

    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = int(params["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    t0 = time.monotonic()
    data = sys.stdin.buffer.read()
    reply: dict[str, Any]
    try:
        reply = _parse(
            data,
            max_pages=int(params["max_pages"]),
            raster_dpi=int(params["raster_dpi"]),
            scan_max_chars=int(params["scan_max_chars"]),
            scan_image_area=float(params["scan_image_area"]),
            max_raster_pixels=int(params["max_raster_pixels"]),
        )
    except MemoryError:
        reply = {"status": "memory", "detail": {"memory_mb": params["memory_mb"]}}
    except RecursionError:
        reply = {"status": "malformed", "detail": {"error": "object structure nested too deeply"}}
    except Exception as exc:  # a hostile file can make pdfminer raise anything; it all means "unreadable"
        reply = {"status": "malformed", "detail": {"error": _describe(exc)}}
    reply["parse_ms"] = (time.monotonic() - t0) * 1000
    sys.stdout.write(json.dumps(reply, ensure_ascii=False))
    return 0


def _describe(exc: BaseException) -> str:
    # pdfplumber wraps pdfminer's exception; name the one underneath.
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    return f"{type(cause).__name__}: {str(cause)[:160]}"


def _parse(
    data: bytes,
    *,
    max_pages: int,
    raster_dpi: int,
    scan_max_chars: int,
    scan_image_area: float,
    max_raster_pixels: int,
) -> dict[str, Any]:
    import itertools

    import pdfplumber
    import pypdfium2 as pdfium
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.page import Page
    from pdfplumber.utils.exceptions import PdfminerException

    # pdfium first: it reads the trailer and page tree in C, so encryption and the page count are
    # known before pdfminer has done any work.
    try:
        pdfium_doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            return {"status": "encrypted", "detail": {}}
        return {"status": "malformed", "detail": {"error": f"pdfium: {str(exc)[:160]}"}}
    n_pages = len(pdfium_doc)
    if n_pages > max_pages:
        return {"status": "too_many_pages", "detail": {"pages": n_pages, "max_pages": max_pages}}
    if n_pages == 0:
        return {"status": "no_pages", "detail": {}}

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
            return {"status": "encrypted", "detail": {}}
        raise
    pages: list[dict[str, Any]] = []
    with pdf:
        # pdfminer's own page walk, stopped after max_pages + 1 whatever the page tree claims.
        doctop = 0.0
        for i, page_obj in enumerate(itertools.islice(PDFPage.create_pages(pdf.doc), max_pages + 1)):
            if i >= max_pages:
                detail = {"pages": f"> {max_pages}", "max_pages": max_pages}
                return {"status": "too_many_pages", "detail": detail}
            page = Page(pdf, page_obj, page_number=i + 1, initial_doctop=doctop)
            doctop += float(page.height)
            pages.append(
                _read_page(
                    page, pdfium_doc, i, raster_dpi, scan_max_chars, scan_image_area, max_raster_pixels
                )
            )
    if not pages:
        return {"status": "no_pages", "detail": {}}
    return {"status": "ok", "pages": pages}


def _read_page(
    page: Any,
    pdfium_doc: Any,
    index: int,
    raster_dpi: int,
    scan_max_chars: int,
    scan_image_area: float,
    max_raster_pixels: int,
) -> dict[str, Any]:
    width, height = float(page.width), float(page.height)
    text = page.extract_text() or ""
    words = [
        [w["text"], float(w["x0"]), float(w["top"]), float(w["x1"]), float(w["bottom"])]
        for w in page.extract_words()
    ]
    n_chars = sum(1 for c in text if not c.isspace())
    page_area = max(width * height, 1e-6)
    coverage = 0.0
    for im in page.images:
        x0, x1 = max(float(im["x0"]), 0.0), min(float(im["x1"]), width)
        top, bottom = max(float(im["top"]), 0.0), min(float(im["bottom"]), height)
        coverage = max(coverage, max(0.0, x1 - x0) * max(0.0, bottom - top) / page_area)
    is_scan = n_chars < scan_max_chars and coverage >= scan_image_area
    png: str | None = None
    if is_scan:
        # Cap the raster: a hostile page box of 200×200 inches at 200 dpi would be 1.6 gigapixels.
        scale = raster_dpi / 72
        px = width * height * scale * scale
        if px > max_raster_pixels:
            scale *= (max_raster_pixels / px) ** 0.5
        bitmap = pdfium_doc[index].render(scale=scale)
        buf = io.BytesIO()
        bitmap.to_pil().convert("RGB").save(buf, format="PNG", compress_level=1)
        png = base64.b64encode(buf.getvalue()).decode("ascii")
    return {
        "number": index + 1,
        "text": text,
        "is_scan": is_scan,
        "image_png": png,
        "width_pt": width,
        "height_pt": height,
        "words": words,
        "char_count": n_chars,
        "image_coverage": round(coverage, 4),
    }


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv))
