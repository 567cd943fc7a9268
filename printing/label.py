"""The EMS mailing label: one 100 × 150 mm page (the usual thermal label) with the waybill number as a
Code 128 barcode and in print, the recipient, the sender, the contents and the case reference.

Rendered with `invariant=1` like the card, so a re-render gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import units

from models.card import MailLabel
from printing.fonts import Line, cjk_font, pdf_canvas, text_width, wrap_text

# reportlab has no type hints: a typed millimetre keeps every size below a float, not Any.
mm: float = units.mm
LABEL_SIZE = (100 * mm, 150 * mm)
LABEL_W, LABEL_H = LABEL_SIZE
MARGIN = 5 * mm
CONTENT_W = LABEL_W - 2 * MARGIN
BAR_HEIGHT = 15 * mm
BAR_TOP = MARGIN + 22  # points from the top, under the EMS header
# Wider modules scan more reliably; 0.4 mm is plenty for a thermal printer's 203 dpi (3+ dots).
MAX_MODULE = 0.4 * mm
LABEL_GAP = 2 * mm

INK = (0, 0, 0)  # thermal printers print black only
LABEL_INK = (0.2, 0.2, 0.2)


class LabelLayoutError(ValueError):
    """The label's text does not fit the label at the smallest readable size."""


@dataclass(frozen=True)
class Field:
    """A label and its value at a size; `rule_before` draws a separating line above the field."""

    label: str
    value: str
    size: float
    rule_before: bool = False


def barcode_for(waybill_no: str) -> Code128:
    """The waybill's Code 128 symbol, its module width chosen so it fits the label with quiet zones."""
    probe = Code128(waybill_no, barWidth=1.0, barHeight=BAR_HEIGHT, quiet=0, humanReadable=0)
    modules = float(probe.width)  # at barWidth 1 the width is the module count
    # Ten modules of quiet zone each side, as the Code 128 spec asks.
    bar_width = min(MAX_MODULE, CONTENT_W / (modules + 20))
    return Code128(
        waybill_no,
        barWidth=bar_width,
        barHeight=BAR_HEIGHT,
        quiet=1,
        lquiet=10 * bar_width,
        rquiet=10 * bar_width,
        humanReadable=0,
    )


def _fields(label: MailLabel, scale: float) -> list[Field]:
    big, mid, small = 14 * scale, 11 * scale, 9 * scale
    return [
        Field("收件人", label.recipient_name, big),
        Field("电话", label.recipient_phone, mid),
        Field("地址", label.recipient_address, mid),
        Field("寄件人", label.sender_name, small, rule_before=True),
        Field("电话", label.sender_phone, small),
        Field("地址", label.sender_address, small),
        Field("内件", label.contents, small, rule_before=True),
        Field("业务编号", label.case_id, small),
    ]


def _every_line(width: float) -> Callable[[int], float]:
    return lambda _i: width


def _flow(fields: Sequence[Field], top: float) -> tuple[list[Line], list[float]]:
    """Text lines and rule heights for the fields laid out from `top` (values wrap under themselves)."""
    lines: list[Line] = []
    rules: list[float] = []
    y = top
    for f in fields:
        if f.rule_before:
            y += f.size * 0.6
            rules.append(y)
            y += f.size * 0.3
        pitch = f.size * 1.3
        value_x = MARGIN + text_width(f.label, f.size) + LABEL_GAP
        first = y + pitch
        wrapped = wrap_text(f.value, f.size, _every_line(LABEL_W - MARGIN - value_x)) or [""]
        lines.append(Line(MARGIN, first, f.label, f.size, is_label=True))
        lines.extend(Line(value_x, first + i * pitch, text, f.size) for i, text in enumerate(wrapped))
        y = first + (len(wrapped) - 1) * pitch + f.size * 0.3
    return lines, rules


def _layout(label: MailLabel, top: float) -> tuple[list[Line], list[float]]:
    # Long addresses shrink the whole block rather than run off the label; 9 pt × 0.8 = 7.2 pt is
    # still legible for a courier and for OCR.
    for scale in (1.0, 0.9, 0.8):
        lines, rules = _flow(_fields(label, scale), top)
        if max(ln.baseline for ln in lines) <= LABEL_H - MARGIN:
            return lines, rules
    raise LabelLayoutError(
        "面单内容过长，无法以可读字号印在面单上。 / "
        "The label's text does not fit the label at a readable size."
    )


def render_mail_label_pdf(label: MailLabel) -> bytes:
    """The EMS label as a one-page 100 × 150 mm PDF, same bytes for the same label."""
    font = cjk_font()
    buf = io.BytesIO()
    c = pdf_canvas(buf, LABEL_SIZE, label.waybill_no)

    def top_y(y: float) -> float:
        return LABEL_H - y

    c.setFillColorRGB(*INK)
    c.setFont(font, 16)
    c.drawString(MARGIN, top_y(MARGIN + 14), "EMS")
    c.setFont(font, 9)
    c.drawRightString(LABEL_W - MARGIN, top_y(MARGIN + 12), "中国邮政速递物流 · 证件寄递")

    bar = barcode_for(label.waybill_no)
    bar.drawOn(c, (LABEL_W - bar.width) / 2, top_y(BAR_TOP + BAR_HEIGHT))
    # 12 pt unless a long alphanumeric waybill would run past the margins.
    c.setFont(font, min(12.0, 12.0 * CONTENT_W / text_width(label.waybill_no, 12.0)))
    waybill_baseline = BAR_TOP + BAR_HEIGHT + 14
    c.drawCentredString(LABEL_W / 2, top_y(waybill_baseline), label.waybill_no)

    lines, rules = _layout(label, waybill_baseline + 6)
    c.setLineWidth(0.8)
    for y in (MARGIN + 19, waybill_baseline + 6, *rules):
        c.line(MARGIN, top_y(y), LABEL_W - MARGIN, top_y(y))
    for ln in lines:
        c.setFillColorRGB(*(LABEL_INK if ln.is_label else INK))
        c.setFont(font, ln.size)
        c.drawString(ln.x, top_y(ln.baseline), ln.text)
    c.showPage()
    c.save()
    return buf.getvalue()
