"""The print-ready residence-permit card: a two-page PDF (front, back), each page ISO ID-1 size.

Layout is computed in points from the top-left corner and painted once with reportlab. Every value
is set at 7 pt or more so that OCR of a 300 dpi scan reads it back (the integration test does); a
long address first shrinks, then drops its hanging indent, before the card refuses to print.

The PDF is rendered with `invariant=1`: the same `CardFace` and photo give the same bytes, so a
re-render after a crash produces exactly the file that may already have gone to the printer.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from PIL import Image
from reportlab.lib import units
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas as rl_canvas

from models.card import CardFace
from printing.fonts import Line, cjk_font, pdf_canvas, text_width, wrap_text

# reportlab has no type hints: a typed millimetre keeps every size below a float, not Any.
mm: float = units.mm
CARD_SIZE = (85.6 * mm, 54 * mm)  # ISO/IEC 7810 ID-1
CARD_W, CARD_H = CARD_SIZE
MARGIN = 3.5 * mm
PHOTO_W = 21 * mm
PHOTO_H = PHOTO_W * 441 / 358  # the portrait the applicant uploads is 358×441
PHOTO_X = CARD_W - MARGIN - PHOTO_W
PHOTO_TOP = 11.3 * mm  # under the title block
LABEL_GAP = 1.6 * mm  # between a label and its value

INK = (0.05, 0.05, 0.08)
LABEL_INK = (0.18, 0.24, 0.38)  # dark enough for OCR in grey, still told apart from values by eye
RULE_INK = (0.55, 0.62, 0.75)

# Value sizes tried in order, with the line pitch each uses. The last step keeps 7 pt but lets
# wrapped lines run back to the left margin, which is what fits a 200-character address.
_STEPS: tuple[tuple[float, float, bool], ...] = (
    (8.5, 1.30, True),
    (8.0, 1.25, True),
    (7.5, 1.20, True),
    (7.0, 1.15, True),
    (7.0, 1.15, False),
)
_ID_SIZE = 9.0  # the ID number line on the front, set apart at the bottom as on the ID card
# The name one and a half points larger, as on the ID card. Larger sizes, letter spacing or a
# stroked (bolder) face did not read back better with tesseract chi_sim (35 of 40 common names read
# back at best, fewer at other settings); its misses are glyph confusions (萱→曹, 磊→舌), not size.
_NAME_EMPHASIS = 1.5


class CardLayoutError(ValueError):
    """The card's values do not fit the card at the smallest readable size."""


@dataclass(frozen=True)
class Row:
    """One label and its value; `emphasis` sets the value larger (the holder's name).

    `then` is a second short label and value on the same line (民族 after 性别)."""

    label: str
    value: str
    emphasis: float = 0.0
    then: tuple[str, str] | None = None


def format_date(d: date) -> str:
    """A date as printed on the card: 1990年3月5日."""
    return f"{d.year}年{d.month}月{d.day}日"


def _flow(
    rows: Sequence[Row],
    *,
    top: float,
    bottom: float,
    right_edge: Callable[[float, float], float],
    size: float,
    pitch: float,
    hang: bool,
) -> list[Line] | None:
    """Lay rows out top-down from `top`; None when the last baseline would pass `bottom`.

    `right_edge(glyph_top, glyph_bottom)` is where a line spanning those heights must stop (short
    beside the photo, the margin below it)."""
    lines: list[Line] = []
    baseline = top
    for row in rows:
        vsize = size + row.emphasis
        line_pitch = vsize * pitch
        baseline += line_pitch
        label_w = text_width(row.label, size)
        value_x = MARGIN + label_w + LABEL_GAP
        first = baseline

        def width_of_line(
            i: int, first: float = first, vsize: float = vsize, value_x: float = value_x
        ) -> float:
            b = first + i * vsize * pitch
            start = value_x if (i == 0 or hang) else MARGIN
            return right_edge(b - vsize, b + vsize * 0.25) - start

        wrapped = wrap_text(row.value, vsize, width_of_line) or [""]
        lines.append(Line(MARGIN, first, row.label, size, is_label=True))
        for i, text in enumerate(wrapped):
            b = first + i * line_pitch
            lines.append(Line(value_x if (i == 0 or hang) else MARGIN, b, text, vsize))
        if row.then is not None:
            label2, value2 = row.then
            x2 = value_x + text_width(wrapped[-1], vsize) + 5 * mm
            lines.append(Line(x2, first, label2, size, is_label=True))
            lines.append(Line(x2 + text_width(label2, size) + LABEL_GAP, first, value2, vsize))
        baseline = first + (len(wrapped) - 1) * line_pitch
        if baseline > bottom:
            return None
    return lines


def _fit(
    rows: Sequence[Row], *, top: float, bottom: float, right_edge: Callable[[float, float], float]
) -> list[Line]:
    for size, pitch, hang in _STEPS:
        lines = _flow(rows, top=top, bottom=bottom, right_edge=right_edge, size=size, pitch=pitch, hang=hang)
        if lines is not None:
            return lines
    raise CardLayoutError(
        "证件内容过长，无法以可读字号印在卡面上。 / The card's text does not fit the card at a readable size."
    )


def _front_right_edge(glyph_top: float, glyph_bottom: float) -> float:
    beside_photo = glyph_bottom > PHOTO_TOP - 1 and glyph_top < PHOTO_TOP + PHOTO_H + 1
    # A clear gap: OCR reads the photo's edge as a stray character at the end of a line.
    return PHOTO_X - 3 * mm if beside_photo else CARD_W - MARGIN


def _back_right_edge(glyph_top: float, glyph_bottom: float) -> float:
    return CARD_W - MARGIN


def front_lines(face: CardFace) -> list[Line]:
    """Every text line of the card front, positioned (the title and the photo are painted apart)."""
    id_baseline = CARD_H - MARGIN - 1.0
    rows = (
        Row("姓名", face.name, emphasis=_NAME_EMPHASIS),
        # Sex and ethnicity share a line as on the ID card; that line is what leaves room for a long
        # residence address. Every ethnicity name is short; anything longer gets its own line.
        *(
            [Row("性别", face.sex, then=("民族", face.ethnicity))]
            if len(face.ethnicity) <= 6
            else [Row("性别", face.sex), Row("民族", face.ethnicity)]
        ),
        Row("出生日期", format_date(face.birth_date)),
        Row("居住地址", face.residence_address),
    )
    lines = _fit(
        rows, top=PHOTO_TOP - 1.0, bottom=id_baseline - _ID_SIZE * 1.35, right_edge=_front_right_edge
    )
    id_label = "公民身份号码"
    lines.append(Line(MARGIN, id_baseline, id_label, _ID_SIZE - 1, is_label=True))
    id_x = MARGIN + text_width(id_label, _ID_SIZE - 1) + LABEL_GAP * 1.5
    lines.append(Line(id_x, id_baseline, face.id_number, _ID_SIZE))
    return lines


def back_lines(face: CardFace) -> list[Line]:
    """Every text line of the card back, positioned."""
    rows = [
        Row("户口地址", face.hukou_address),
        Row("签发机关", face.issuing_authority),
        Row("签发日期", format_date(face.issued_on)),
    ]
    if face.valid_until is not None:
        rows.append(Row("有效期限", f"{format_date(face.issued_on)}至{format_date(face.valid_until)}"))
    rows.append(Row("证件号码", face.card_no))
    return _fit(rows, top=MARGIN + 2.0, bottom=CARD_H - MARGIN - 1.0, right_edge=_back_right_edge)


def _paint_lines(c: rl_canvas.Canvas, lines: Sequence[Line]) -> None:
    font = cjk_font()
    for ln in lines:
        c.setFillColorRGB(*(LABEL_INK if ln.is_label else INK))
        c.setFont(font, ln.size)
        c.drawString(ln.x, CARD_H - ln.baseline, ln.text)


def _paint_title(c: rl_canvas.Canvas) -> None:
    font = cjk_font()
    c.setFillColorRGB(*INK)
    c.setFont(font, 12)
    c.drawCentredString(CARD_W / 2, CARD_H - (MARGIN + 10.5), "成都市居住证")
    c.setFillColorRGB(*LABEL_INK)
    c.setFont(font, 6)
    c.drawCentredString(CARD_W / 2, CARD_H - (MARGIN + 18.0), "Chengdu Residence Permit")
    c.setStrokeColorRGB(*RULE_INK)
    c.setLineWidth(0.4)
    rule_y = CARD_H - (PHOTO_TOP - 2.0)
    c.line(MARGIN, rule_y, CARD_W - MARGIN, rule_y)


def _crop_to_photo_aspect(img: Image.Image) -> Image.Image:
    """Centre-crop to the 358:441 frame so the face is never squeezed (no resampling)."""
    w, h = img.size
    target = PHOTO_W / PHOTO_H
    if abs(w / h - target) < 0.01:
        return img
    if w / h > target:
        new_w = round(h * target)
        left = (w - new_w) // 2
        return img.crop((left, 0, left + new_w, h))
    new_h = round(w / target)
    top = (h - new_h) // 2
    return img.crop((0, top, w, top + new_h))


def _paint_photo(c: rl_canvas.Canvas, photo_jpeg: bytes | None) -> None:
    y = CARD_H - PHOTO_TOP - PHOTO_H
    if photo_jpeg is None:
        # An empty frame tells the card centre a photo is missing; it must not look like a card.
        c.setStrokeColorRGB(*RULE_INK)
        c.setLineWidth(0.6)
        c.rect(PHOTO_X, y, PHOTO_W, PHOTO_H)
        c.setFillColorRGB(*LABEL_INK)
        c.setFont(cjk_font(), 8)
        c.drawCentredString(PHOTO_X + PHOTO_W / 2, y + PHOTO_H / 2 - 3, "照片")
        return
    # The bytes were already re-encoded by documents.safe_image; decoding them again here is cheap.
    with Image.open(io.BytesIO(photo_jpeg)) as opened:
        img = _crop_to_photo_aspect(opened.convert("RGB"))
    c.drawImage(ImageReader(img), PHOTO_X, y, PHOTO_W, PHOTO_H)


def render_card_pdf(face: CardFace, photo_jpeg: bytes | None) -> bytes:
    """The card as a two-page PDF (front, back), 85.6 × 54 mm, same bytes for the same inputs."""
    front = front_lines(face)
    back = back_lines(face)
    buf = io.BytesIO()
    c = pdf_canvas(buf, CARD_SIZE, face.card_no)
    _paint_title(c)
    _paint_photo(c, photo_jpeg)
    _paint_lines(c, front)
    c.showPage()
    _paint_lines(c, back)
    c.showPage()
    c.save()
    return buf.getvalue()
