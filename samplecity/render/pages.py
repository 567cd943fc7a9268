"""A4 documents laid out once and painted two ways: as a real text PDF (reportlab, embedded CJK
TrueType font) or as page images that are then "scanned" into an image-only PDF.

A document is a list of blocks; ``layout`` breaks them into positioned lines on pages (in PDF
points, origin top-left) so both painters put every line in the same place.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

from samplecity.render import fonts
from samplecity.render.common import INK, SEAL_RED, draw_round_seal, np_rng, paper, text_tokens

PAGE_W, PAGE_H = A4  # points
SCAN_SIZE = (1654, 2339)  # A4 at 200 dpi


@dataclass(frozen=True)
class Block:
    """One piece of a document.

    kind: "title" | "center" | "heading" | "para" | "line" | "pair" | "gap" | "seal" | "right"
    For "pair", ``text`` is the left column and ``right`` the right one. For "seal", ``text`` is the
    ring text and ``right`` says which column ("left" | "right") it is stamped over.
    """

    kind: str
    text: str = ""
    right: str = ""


@dataclass(frozen=True)
class Line:
    x: float
    y: float  # baseline, points from the top of the page
    text: str
    size: float
    style: str = "normal"  # "normal" | "bold" | "hand" (handwritten signature)


@dataclass(frozen=True)
class Seal:
    x: float
    y: float
    r: float
    text: str


@dataclass
class Page:
    lines: list[Line] = field(default_factory=list)
    seals: list[Seal] = field(default_factory=list)


@dataclass(frozen=True)
class Style:
    """Typography of one rendering of a document, chosen by the rng."""

    face: fonts.FontFace
    hand: fonts.FontFace
    size: float
    leading: float  # line height as a multiple of size
    margin_x: float
    margin_top: float
    indent: bool  # first-line indent of two characters, as in most Chinese contracts

    @classmethod
    def choose(cls, rng: random.Random) -> Style:
        return cls(
            face=fonts.pick(rng, fonts.available(fonts.PDF_FACES)),
            hand=fonts.KAI_FACES[0],
            size=rng.choice((10.5, 11.0, 11.5, 12.0)),
            leading=rng.uniform(1.55, 1.9),
            margin_x=rng.uniform(62, 82),
            margin_top=rng.uniform(64, 84),
            indent=rng.random() < 0.7,
        )


def measure(face: fonts.FontFace, text: str, size: float) -> float:
    """Width of ``text`` in points; measured with FreeType at 10x so both painters agree."""
    return fonts.font(face, round(size * 10)).getlength(text) / 10


def _wrap(face: fonts.FontFace, text: str, size: float, width: float, first_indent: float) -> list[str]:
    lines: list[str] = []
    line = ""
    avail = width - first_indent
    tokens = text_tokens(text)
    for tok in tokens:
        if not line or measure(face, line + tok, size) <= avail:
            line += tok
            continue
        if len(tok) == 1 and tok in "，。；：、）》”％":
            line += tok  # no closing punctuation at the start of a line
            continue
        lines.append(line)
        line = tok
        avail = width
    if line:
        lines.append(line)
    return lines or [""]


def layout(blocks: Sequence[Block], style: Style, rng: random.Random) -> list[Page]:
    pages = [Page()]
    width = PAGE_W - 2 * style.margin_x
    bottom = PAGE_H - style.margin_top
    y = style.margin_top
    lh = style.size * style.leading
    last_pair_y = y

    def need(h: float) -> None:
        nonlocal y
        if y + h > bottom:
            pages.append(Page())
            y = style.margin_top

    for b in blocks:
        if b.kind == "title":
            size = style.size * rng.uniform(1.6, 1.9)
            need(size * 2.2)
            y += size
            w = measure(style.face, b.text, size)
            pages[-1].lines.append(Line((PAGE_W - w) / 2, y, b.text, size, "bold"))
            y += size * 1.2
        elif b.kind in ("center", "right"):
            size = style.size * (1.05 if b.kind == "center" else 1.0)
            need(lh)
            y += lh
            w = measure(style.face, b.text, size)
            x = (PAGE_W - w) / 2 if b.kind == "center" else PAGE_W - style.margin_x - w
            pages[-1].lines.append(Line(x, y, b.text, size))
        elif b.kind == "heading":
            need(lh * 2.2)
            y += lh * 1.25
            pages[-1].lines.append(Line(style.margin_x, y, b.text, style.size, "bold"))
        elif b.kind in ("para", "line"):
            indent = style.size * 2 if (b.kind == "para" and style.indent) else 0.0
            for i, text in enumerate(_wrap(style.face, b.text, style.size, width, indent)):
                need(lh)
                y += lh
                pages[-1].lines.append(Line(style.margin_x + (indent if i == 0 else 0), y, text, style.size))
        elif b.kind == "pair":
            need(lh * 1.1)
            y += lh * 1.1
            last_pair_y = y
            col2 = style.margin_x + width * 0.52
            for x, text in ((style.margin_x, b.text), (col2, b.right)):
                if not text:
                    continue
                # A signature written by hand after the printed label.
                label, sep, signed = text.partition("|")
                pages[-1].lines.append(Line(x, y, label, style.size))
                if sep:
                    lx = x + measure(style.face, label, style.size) + 6
                    pages[-1].lines.append(Line(lx, y + 1, signed, style.size * 1.25, "hand"))
        elif b.kind == "gap":
            y += lh * 0.6
        elif b.kind == "seal":
            col = style.margin_x if b.right == "left" else style.margin_x + width * 0.52
            r = rng.uniform(42, 48)
            pages[-1].seals.append(Seal(col + r * rng.uniform(1.0, 1.8), last_pair_y - lh * 0.4, r, b.text))
        else:
            raise ValueError(f"unknown block kind {b.kind!r}")
    return pages


# ----------------------------------------------------------------------------- text PDF

_REGISTERED: set[str] = set()


def _rl_font(face: fonts.FontFace) -> str:
    name = f"{face.name.replace(' ', '')}-{face.index}"
    if name not in _REGISTERED:
        pdfmetrics.registerFont(TTFont(name, face.path, subfontIndex=face.index))
        _REGISTERED.add(name)
    return name


def paint_pdf(pages: Sequence[Page], style: Style, *, title: str) -> bytes:
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(title)
    body = _rl_font(style.face)
    hand = _rl_font(style.hand)
    for page in pages:
        for ln in page.lines:
            t = c.beginText()
            t.setTextOrigin(ln.x, PAGE_H - ln.y)
            if ln.style == "hand":
                t.setFont(hand, ln.size)
                c.setFillColorRGB(0.1, 0.12, 0.3)
            else:
                t.setFont(body, ln.size)
                c.setFillColorRGB(*(v / 255 for v in INK))
            # The render mode lives in the graphics state and outlasts the text object, so it is
            # set on every line. No bold CJK face is installed: fill+stroke (2) thickens strokes.
            t.setTextRenderMode(2 if ln.style == "bold" else 0)
            if ln.style == "bold":
                c.setLineWidth(ln.size * 0.03)
            t.textLine(ln.text)
            c.drawText(t)
        for s in page.seals:
            _pdf_seal(c, s, body)
        c.showPage()
    c.save()
    return buf.getvalue()


def _pdf_seal(c: rl_canvas.Canvas, s: Seal, font_name: str) -> None:
    c.saveState()
    r, g, b = (v / 255 for v in SEAL_RED)
    c.setStrokeColorRGB(r, g, b, alpha=0.8)
    c.setFillColorRGB(r, g, b, alpha=0.8)
    cx, cy = s.x, PAGE_H - s.y
    c.setLineWidth(2.2)
    c.circle(cx, cy, s.r)
    star = []
    for i in range(10):
        rad = s.r * (0.26 if i % 2 == 0 else 0.1)
        ang = math.radians(90 - i * 36)
        star.append((cx + rad * math.cos(ang), cy + rad * math.sin(ang)))
    p = c.beginPath()
    p.moveTo(*star[0])
    for pt in star[1:]:
        p.lineTo(*pt)
    p.close()
    c.drawPath(p, fill=1, stroke=0)
    n = max(1, len(s.text))
    span = min(250.0, 18.0 * n + 40)
    # Glyphs no wider than their share of the arc, or neighbours run into each other.
    size = min(s.r * 0.26, 0.85 * s.r * 0.72 * math.radians(span) / n)
    for i, ch in enumerate(s.text):
        ang = 90 + span / 2 - span * (i + 0.5) / n
        x = cx + s.r * 0.72 * math.cos(math.radians(ang))
        y = cy + s.r * 0.72 * math.sin(math.radians(ang))
        c.saveState()
        c.translate(x, y)
        c.rotate(ang - 90)
        c.setFont(font_name, size)
        t = c.beginText()
        t.setTextRenderMode(0)
        c.drawText(t)
        c.drawCentredString(0, -size * 0.35, ch)
        c.restoreState()
    c.restoreState()


# ----------------------------------------------------------------------------- scanned PDF


def paint_page_image(page: Page, style: Style, rng: random.Random) -> Image.Image:
    """One page drawn at 200 dpi, clean (before the scanner's degradation)."""
    img = paper(SCAN_SIZE, rng)
    d = ImageDraw.Draw(img)
    k = SCAN_SIZE[0] / PAGE_W
    for ln in page.lines:
        face = style.hand if ln.style == "hand" else style.face
        fnt = fonts.font(face, round(ln.size * k))
        fill = (26, 30, 78) if ln.style == "hand" else INK
        # Pillow places text by its top; the layout gives baselines.
        d.text(
            (ln.x * k, ln.y * k),
            ln.text,
            font=fnt,
            fill=fill,
            anchor="ls",
            stroke_width=1 if ln.style == "bold" else 0,
            stroke_fill=fill,
        )
    for s in page.seals:
        draw_round_seal(img, (s.x * k, s.y * k), s.r * k, s.text, rng=rng)
    return img


def scan(img: Image.Image, rng: random.Random) -> Image.Image:
    """A flatbed scan or a phone photo of the page: grey paper, tilt, noise, uneven light, blur."""
    w, h = img.size
    g = np_rng(rng)
    arr = np.asarray(img).astype(np.float32)
    phone = rng.random() < 0.4
    # Paper greyed by the scanner's exposure, ink not quite black.
    grey = rng.uniform(0.86, 0.96)
    arr = 255 - (255 - arr) * rng.uniform(0.85, 0.95)
    arr *= grey
    if phone:
        yy, xx = np.mgrid[0:h:4, 0:w:4].astype(np.float32)
        lx, ly = rng.uniform(0, w), rng.uniform(0, h)
        light = 1.05 - 0.3 * np.sqrt((xx - lx) ** 2 + (yy - ly) ** 2) / math.hypot(w, h)
        light_img = Image.fromarray((light * 200).astype(np.uint8), "L").resize(
            (w, h), Image.Resampling.BILINEAR
        )
        arr *= np.asarray(light_img, np.float32)[..., None] / 200
    arr += g.normal(0, rng.uniform(3, 6), (h, w, 1)).astype(np.float32)
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    angle = rng.uniform(0.3, 1.6) * rng.choice((-1, 1))
    fill = tuple(int(v) for v in np.clip(np.array((250, 250, 250)) * grey, 0, 255))
    out = out.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=fill)
    out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.0)))
    if rng.random() < 0.5:
        out = out.convert("L").convert("RGB")  # many scanners default to greyscale
    return out


def paint_scanned_pdf(
    pages: Sequence[Any],
    style: Style,
    rng: random.Random,
    *,
    title: str,
    paint: Callable[[Any, Style, random.Random], Image.Image] | None = None,
) -> bytes:
    """An image-only PDF: each page painted (`paint`, default this module's page painter), scanned
    and embedded as a JPEG. Template families with their own page model pass their painter."""
    paint = paint or paint_page_image
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(title)
    for page in pages:
        img = scan(paint(page, style, rng), rng)
        jpg = io.BytesIO()
        img.save(jpg, "JPEG", quality=rng.randint(55, 80))
        jpg.seek(0)
        c.drawImage(ImageReader(jpg), 0, 0, width=PAGE_W, height=PAGE_H)
        c.showPage()
    c.save()
    return buf.getvalue()


def render_document(blocks: Sequence[Block], *, rng: random.Random, scanned: bool, title: str) -> bytes:
    style = Style.choose(rng)
    pages = layout(blocks, style, rng)
    if scanned:
        return paint_scanned_pdf(pages, style, rng, title=title)
    return paint_pdf(pages, style, title=title)
