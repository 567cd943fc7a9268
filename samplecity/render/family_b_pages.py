"""Family "b" page layout: A4 documents with ruled tables, boxed headers, labels over values,
seals over text and page footers, painted as a text PDF or as scanned image-only pages.

Family "a" (samplecity/render/pages.py) lays documents out as lines of text only. Family "b" is the
held-out family (issue 11 item 4): its documents are built from a small flow of elements placed on
pages here, so that the positions of labels and values differ from family "a" in kind, not only in
wording. Coordinates are PDF points from the top-left; both painters put every mark in the same place.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas as rl_canvas

from samplecity.render import fonts
from samplecity.render.common import INK, draw_round_seal, paper
from samplecity.render.pages import (
    SCAN_SIZE,
    Seal,
    Style,
    _pdf_seal,
    _rl_font,
    _wrap,
    measure,
    paint_scanned_pdf,
)

# reportlab has no type hints: typed page sizes keep the layout's coordinates floats, not Any.
PAGE_W: float
PAGE_H: float
PAGE_W, PAGE_H = A4
HAND_INK = (26, 30, 78)


@dataclass(frozen=True)
class Mark:
    """A run of text at a baseline."""

    x: float
    y: float
    text: str
    size: float
    style: str = "normal"  # "normal" | "bold" | "hand"


@dataclass(frozen=True)
class Rule:
    x0: float
    y0: float
    x1: float
    y1: float
    width: float = 0.8


@dataclass
class Sheet:
    marks: list[Mark] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    seals: list[Seal] = field(default_factory=list)


@dataclass(frozen=True)
class Cell:
    """One table cell. With ``label`` the label is printed small on top and ``text`` under it."""

    text: str = ""
    span: int = 1
    label: str = ""
    bold: bool = False
    centre: bool = False
    hand: bool = False  # a handwritten value (a signature)


class Flow:
    """Places elements top to bottom on A4 pages, starting a new page when one is full."""

    def __init__(self, style: Style, rng: random.Random) -> None:
        self.style = style
        self.rng = rng
        self.sheets: list[Sheet] = [Sheet()]
        self.left = style.margin_x
        self.right = PAGE_W - style.margin_x
        self.top = style.margin_top
        self.bottom = PAGE_H - style.margin_top - 18  # room for the page footer
        self.y = self.top
        self.lh = style.size * style.leading

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def sheet(self) -> Sheet:
        return self.sheets[-1]

    def need(self, h: float) -> None:
        if self.y + h > self.bottom:
            self.page_break()

    def page_break(self) -> None:
        self.sheets.append(Sheet())
        self.y = self.top

    def text(self, x: float, y: float, text: str, size: float | None = None, style: str = "normal") -> None:
        self.sheet.marks.append(Mark(x, y, text, size or self.style.size, style))

    def rule(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.8) -> None:
        self.sheet.rules.append(Rule(x0, y0, x1, y1, width))

    def box(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.8) -> None:
        for r in ((x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)):
            self.rule(*r, width=width)

    def measure(self, text: str, size: float | None = None) -> float:
        return measure(self.style.face, text, size or self.style.size)

    def wrap(self, text: str, width: float, size: float | None = None, indent: float = 0.0) -> list[str]:
        return _wrap(self.style.face, text, size or self.style.size, width, indent)

    # --- elements ---------------------------------------------------------------------------------

    def gap(self, lines: float = 0.6) -> None:
        self.y += self.lh * lines

    def title(self, text: str, *, spaced: bool = False, scale: float | None = None) -> None:
        size = self.style.size * (scale or self.rng.uniform(1.5, 1.85))
        shown = " ".join(text) if spaced else text
        self.need(size * 2)
        self.y += size
        self.text((PAGE_W - self.measure(shown, size)) / 2, self.y, shown, size, "bold")
        self.y += size * 0.9

    def line(
        self, text: str, *, align: str = "left", size: float | None = None, style: str = "normal"
    ) -> None:
        size = size or self.style.size
        self.need(self.lh)
        self.y += self.lh
        w = self.measure(text, size)
        x = {"left": self.left, "centre": (PAGE_W - w) / 2, "right": self.right - w}[align]
        self.text(x, self.y, text, size, style)

    def para(self, text: str, *, indent: bool = True) -> None:
        first = self.style.size * 2 if indent else 0.0
        for i, ln in enumerate(self.wrap(text, self.width, indent=first)):
            self.need(self.lh)
            self.y += self.lh
            self.text(self.left + (first if i == 0 else 0.0), self.y, ln)

    def heading(self, text: str) -> None:
        self.need(self.lh * 2.2)
        self.y += self.lh * 1.2
        self.text(self.left, self.y, text, style="bold")

    def boxed(self, text: str, *, align: str = "right", size: float | None = None) -> None:
        """A short line inside a ruled box (a registration number stamped in the page header)."""
        size = size or self.style.size
        pad = size * 0.6
        w = self.measure(text, size) + 2 * pad
        h = size + 2 * pad
        self.need(h + self.lh * 0.4)
        self.y += self.lh * 0.4
        x0 = self.right - w if align == "right" else (self.left if align == "left" else (PAGE_W - w) / 2)
        self.box(x0, self.y, x0 + w, self.y + h, width=1.0)
        self.text(x0 + pad, self.y + pad + size * 0.85, text, size)
        self.y += h

    def table(
        self,
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        *,
        ruled: bool = True,
        outer: float = 1.2,
        pad: float | None = None,
    ) -> list[tuple[float, float]]:
        """A table of rows of cells; ``widths`` are column fractions, a cell may span columns.

        Ruled tables get every row and column line; unruled ones only their text (a form laid out
        with tab stops). A row never splits over two pages.
        """
        size = self.style.size
        pad = pad if pad is not None else size * 0.55
        xs = [self.left]
        for f in widths:
            xs.append(xs[-1] + self.width * f / sum(widths))
        lh = size * 1.45
        self.y += self.lh * 0.3
        spans: list[tuple[float, float]] = []
        first_row = True
        for row in rows:
            # Lay the row out first, to know its height.
            placed: list[tuple[float, float, Cell, list[tuple[str, float, str]]]] = []
            col = 0
            height = 0.0
            for cell in row:
                x0, x1 = xs[col], xs[min(col + cell.span, len(widths))]
                col += cell.span
                inner = x1 - x0 - 2 * pad
                items: list[tuple[str, float, str]] = []
                if cell.label:
                    lsize = size * 0.85
                    for ln in self.wrap(cell.label, inner, lsize):
                        items.append((ln, lsize, "normal"))
                vstyle = "hand" if cell.hand else ("bold" if cell.bold else "normal")
                vsize = size * 1.2 if cell.hand else size
                if cell.text:
                    for ln in self.wrap(cell.text, inner, vsize):
                        items.append((ln, vsize, vstyle))
                placed.append((x0, x1, cell, items))
                height = max(height, len(items) * lh + 2 * pad - (lh - size))
            height = max(height, size + 2 * pad)
            if self.y + height > self.bottom:
                if ruled and not first_row:
                    self.rule(xs[0], self.y, xs[-1], self.y, outer)
                self.page_break()
                first_row = True
            y0 = self.y
            for x0, x1, cell, items in placed:
                n = len(items)
                block = n * lh - (lh - size)
                ty = y0 + (height - block) / 2 if n and not cell.label else y0 + pad
                for i, (ln, sz, st) in enumerate(items):
                    w = self.measure(ln, sz)
                    x = (x0 + x1 - w) / 2 if cell.centre else x0 + pad
                    self.text(x, ty + i * lh + sz * 0.88, ln, sz, st)
                if ruled:
                    self.rule(x0, y0, x0, y0 + height, outer if x0 == xs[0] else 0.8)
                    self.rule(x1, y0, x1, y0 + height, outer if x1 == xs[-1] else 0.8)
            if ruled:
                self.rule(xs[0], y0, xs[-1], y0, outer if first_row else 0.8)
            self.y = y0 + height
            spans.append((y0, self.y))
            first_row = False
        if ruled:
            self.rule(xs[0], self.y, xs[-1], self.y, outer)
        return spans

    def seal(self, text: str, x: float, y: float, *, r: float | None = None) -> None:
        """A round seal centred at (x, y) on the current page: over whatever is printed there."""
        self.sheet.seals.append(Seal(x, y, r or self.rng.uniform(40, 47), text))

    def finish(self, footer: str | None, *, header: str | None = None) -> list[Sheet]:
        """Page footers (第1页 共2页 style) and a running header on every page; returns the pages."""
        n = len(self.sheets)
        if header:
            size = self.style.size * 0.85
            w = self.measure(header, size)
            y = self.style.margin_top * 0.6
            for sheet in self.sheets:
                sheet.marks.append(Mark(self.right - w, y, header, size))
                sheet.rules.append(Rule(self.left, y + size * 0.5, self.right, y + size * 0.5, 0.6))
        if footer:
            size = self.style.size * 0.8
            for i, sheet in enumerate(self.sheets, start=1):
                text = footer.format(i=i, n=n)
                w = self.measure(text, size)
                sheet.marks.append(Mark((PAGE_W - w) / 2, PAGE_H - self.style.margin_top * 0.55, text, size))
        return self.sheets


# ----------------------------------------------------------------------------- painters


def paint_pdf(sheets: Sequence[Sheet], style: Style, *, title: str) -> bytes:
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(title)
    body = _rl_font(style.face)
    hand = _rl_font(style.hand)
    for sheet in sheets:
        c.setStrokeColorRGB(*(v / 255 for v in INK))
        for r in sheet.rules:
            c.setLineWidth(r.width)
            c.line(r.x0, PAGE_H - r.y0, r.x1, PAGE_H - r.y1)
        for m in sheet.marks:
            t = c.beginText()
            t.setTextOrigin(m.x, PAGE_H - m.y)
            if m.style == "hand":
                t.setFont(hand, m.size)
                c.setFillColorRGB(*(v / 255 for v in HAND_INK))
            else:
                t.setFont(body, m.size)
                c.setFillColorRGB(*(v / 255 for v in INK))
            t.setTextRenderMode(2 if m.style == "bold" else 0)
            if m.style == "bold":
                c.setLineWidth(m.size * 0.03)
            t.textLine(m.text)
            c.drawText(t)
        for s in sheet.seals:
            _pdf_seal(c, s, body)
        c.showPage()
    c.save()
    return buf.getvalue()


def paint_sheet_image(sheet: Sheet, style: Style, rng: random.Random) -> Image.Image:
    """One page at 200 dpi, clean (before the scanner)."""
    img = paper(SCAN_SIZE, rng)
    d = ImageDraw.Draw(img)
    k = SCAN_SIZE[0] / PAGE_W
    for r in sheet.rules:
        d.line((r.x0 * k, r.y0 * k, r.x1 * k, r.y1 * k), fill=INK, width=max(1, round(r.width * k * 0.9)))
    for m in sheet.marks:
        face = style.hand if m.style == "hand" else style.face
        fill = HAND_INK if m.style == "hand" else INK
        d.text(
            (m.x * k, m.y * k),
            m.text,
            font=fonts.font(face, round(m.size * k)),
            fill=fill,
            anchor="ls",
            stroke_width=1 if m.style == "bold" else 0,
            stroke_fill=fill,
        )
    for s in sheet.seals:
        draw_round_seal(img, (s.x * k, s.y * k), s.r * k, s.text, rng=rng)
    return img


def paint(sheets: Sequence[Sheet], style: Style, rng: random.Random, *, scanned: bool, title: str) -> bytes:
    if scanned:
        return paint_scanned_pdf(sheets, style, rng, title=title, paint=paint_sheet_image)
    return paint_pdf(sheets, style, title=title)
