"""The CJK TrueType font printed documents embed, registered with reportlab on first use, and the
measuring and wrapping of text set in it.

reportlab embeds TrueType outlines only (not the CFF outlines of the Noto CJK .otf files), so the
card and the label use WenQuanYi Micro Hei from Debian's fonts-wqy-microhei. samplecity registers
its own faces under other names for its generated documents; production printing does not import
the sample-city generator.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

CJK_FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CJK_FONT_INDEX = 0
# The name reportlab knows the face by; the PDF's BaseFont is the file's own PostScript name
# (WenQuanYiMicroHei) behind a subset prefix.
CJK_FONT_NAME = "RongjuWenQuanYiMicroHei"


class FontMissing(RuntimeError):
    """The CJK font the printed documents embed is not installed."""


@cache
def cjk_font() -> str:
    """Register the embedded CJK font with reportlab (once) and return its reportlab name."""
    if not CJK_FONT_PATH.is_file():
        raise FontMissing(
            f"缺少证件打印字体 {CJK_FONT_PATH}，请安装 Debian 软件包 fonts-wqy-microhei。 / "
            f"The card printing font {CJK_FONT_PATH} is missing: install the Debian package "
            "fonts-wqy-microhei."
        )
    pdfmetrics.registerFont(TTFont(CJK_FONT_NAME, str(CJK_FONT_PATH), subfontIndex=CJK_FONT_INDEX))
    return CJK_FONT_NAME


def text_width(text: str, size: float) -> float:
    """Width in points of `text` set in the CJK font at `size`."""
    return float(pdfmetrics.stringWidth(text, cjk_font(), size))


# A run of Latin letters, digits and their joiners stays whole, with the unit an address number
# carries ("1803号", "5栋"): a number is never split and a unit never left alone on a line (OCR
# misreads a lone glyph). Every other character, CJK included, may end a line.
_TOKEN = re.compile(r"[0-9A-Za-z\-./#()]+[号栋幢楼层室座弄巷组]?|\s+|.")


def wrap_text(text: str, size: float, width_of_line: Callable[[int], float]) -> list[str]:
    """Break `text` into lines; line i is at most `width_of_line(i)` points wide at `size`.

    Breaks fall between CJK characters or at spaces; a Latin/digit run wider than a whole line is
    split by character. An empty text gives no lines."""
    lines: list[str] = []
    current = ""
    for token in _TOKEN.findall(text.strip()):
        if token.isspace() and not current:
            continue
        limit = width_of_line(len(lines))
        if text_width(current + token, size) <= limit:
            current += token
            continue
        if token.isspace():
            # A space at a break is dropped, not carried to the next line's start.
            lines.append(current)
            current = ""
            continue
        if current:
            lines.append(current.rstrip())
            current = ""
        for ch in token:
            if current and text_width(current + ch, size) > width_of_line(len(lines)):
                lines.append(current)
                current = ""
            current += ch
    if current.strip():
        lines.append(current.rstrip())
    return lines


@dataclass(frozen=True)
class Line:
    """A run of text to paint: x from the left, baseline from the top, in points."""

    x: float
    baseline: float
    text: str
    size: float
    is_label: bool = False


def pdf_canvas(buffer: io.BytesIO, pagesize: tuple[float, float], title: str) -> rl_canvas.Canvas:
    """A canvas for a printed document: the same bytes for the same drawing (invariant mode, so a
    re-render after a crash replaces the spooled file with itself) and metadata that names only the
    document's number — PDF metadata travels with the file and must carry no person."""
    canvas = rl_canvas.Canvas(buffer, pagesize=pagesize, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("")
    canvas.setSubject("")
    canvas.setCreator("rongju")
    return canvas
