"""Drawing helpers shared by all renderers: text layout, seals, backgrounds, dates, encoding."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Sequence
from datetime import date

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from samplecity.render import fonts

RGB = tuple[int, int, int]
SEAL_RED: RGB = (214, 32, 38)
INK: RGB = (20, 20, 22)


def np_rng(rng: random.Random) -> np.random.Generator:
    """A numpy generator derived from the caller's rng, so numpy noise stays reproducible."""
    return np.random.default_rng(rng.getrandbits(32))


# ----------------------------------------------------------------------------- dates and money

_CN_DIGITS = "〇一二三四五六七八九"


def date_cn(d: date, *, pad: bool = False) -> str:
    """2021年3月5日 (pad=True: 2021年03月05日, as on business licences)."""
    if pad:
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    return f"{d.year}年{d.month}月{d.day}日"


def date_dotted(d: date) -> str:
    return f"{d.year}.{d.month:02d}.{d.day:02d}"


def date_cn_upper(d: date) -> str:
    """二〇二一年三月五日 — how official letters often date themselves."""

    def num(n: int) -> str:
        if n < 10:
            return "一二三四五六七八九"[n - 1]
        tens, ones = divmod(n, 10)
        head = "" if tens == 1 else "一二三四五六七八九"[tens - 1]
        return head + "十" + ("" if ones == 0 else "一二三四五六七八九"[ones - 1])

    year = "".join(_CN_DIGITS[int(c)] for c in str(d.year))
    return f"{year}年{num(d.month)}月{num(d.day)}日"


_UPPER = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")


def yuan_upper(amount: int) -> str:
    """Amount in 大写 as written on contracts: 3500 -> 叁仟伍佰元整."""
    if amount == 0:
        return "零元整"

    def four(n: int) -> str:
        out = ""
        zero = False
        for i in range(3, -1, -1):
            digit = n // 10**i % 10
            if digit == 0:
                zero = bool(out)
                continue
            if zero:
                out += "零"
                zero = False
            out += _UPPER[digit] + _UNITS[i]
        return out

    wan, rest = divmod(amount, 10000)
    text = ""
    if wan:
        text = four(wan) + "万"
        if 0 < rest < 1000:
            text += "零"
    text += four(rest)
    return text + "元整"


# ----------------------------------------------------------------------------- text layout


def text_width(fnt: ImageFont.FreeTypeFont, text: str) -> float:
    return fnt.getlength(text)


def wrap_chars(text: str, per_line: int) -> list[str]:
    """Split by character count: how the ID card and narrow fields wrap CJK text."""
    return [text[i : i + per_line] for i in range(0, len(text), per_line)] or [""]


def wrap_width(text: str, fnt: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy wrap to a pixel width, keeping ASCII runs (numbers, codes) whole where possible."""
    lines: list[str] = []
    for para in text.split("\n"):
        tokens = text_tokens(para)
        line = ""
        for tok in tokens:
            if fnt.getlength(line + tok) <= max_width or not line:
                if fnt.getlength(tok) > max_width and not line:
                    # A single token wider than the line: break it by characters.
                    for ch in tok:
                        if fnt.getlength(line + ch) > max_width and line:
                            lines.append(line)
                            line = ""
                        line += ch
                    continue
                line += tok
            else:
                if tok in "，。；：、）》”" and len(tok) == 1:
                    # Chinese typesetting keeps closing punctuation off the start of a line.
                    line += tok
                    continue
                lines.append(line)
                line = tok.lstrip(" ")
        lines.append(line)
    return lines


def text_tokens(text: str) -> list[str]:
    """Characters, but ASCII runs (ID numbers, dates, amounts) kept whole so they never split."""
    out: list[str] = []
    buf = ""
    for ch in text:
        if ch.isascii() and ch != " ":
            buf += ch
            continue
        if buf:
            out.append(buf)
            buf = ""
        out.append(ch)
    if buf:
        out.append(buf)
    return out


def draw_spaced(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    fnt: ImageFont.FreeTypeFont,
    fill: RGB,
    *,
    width: float,
) -> None:
    """Spread a short label evenly over ``width`` (姓    名 style, as printed on official forms)."""
    if len(text) <= 1:
        draw.text(xy, text, font=fnt, fill=fill)
        return
    total = sum(fnt.getlength(c) for c in text)
    gap = max(0.0, (width - total) / (len(text) - 1))
    x, y = xy
    for ch in text:
        draw.text((x, y), ch, font=fnt, fill=fill)
        x += fnt.getlength(ch) + gap


# ----------------------------------------------------------------------------- seals and paper


def draw_round_seal(
    img: Image.Image,
    center: tuple[float, float],
    radius: float,
    ring_text: str,
    *,
    rng: random.Random,
    centre_text: str = "",
    colour: RGB = SEAL_RED,
    face: fonts.FontFace | None = None,
) -> None:
    """A red round official seal (公章): ring, star, text along the arc, worn ink, multiplied on."""
    size = int(radius * 2 + 8)
    layer = Image.new("L", (size * 2, size * 2), 0)  # drawn at 2x for smooth arcs
    d = ImageDraw.Draw(layer)
    c = size
    r = radius * 2
    d.ellipse((c - r, c - r, c + r, c + r), outline=255, width=max(4, int(r * 0.06)))
    _star(d, (c, c), r * 0.26, 255)
    face = face or fonts.SANS_FACES[1]
    n = len(ring_text)
    if n:
        span = min(250.0, 18.0 * n + 40)
        # Glyphs no wider than their share of the arc, or neighbours run into each other.
        fsize = int(min(r * 0.26, 0.85 * r * 0.72 * math.radians(span) / n))
        fnt = fonts.font(face, fsize)
        start = -90 - span / 2
        for i, ch in enumerate(ring_text):
            ang = start + span * (i + 0.5) / n
            glyph = Image.new("L", (fsize * 2, fsize * 2), 0)
            ImageDraw.Draw(glyph).text((fsize, fsize), ch, font=fnt, fill=255, anchor="mm")
            glyph = glyph.rotate(-(ang + 90), resample=Image.Resampling.BICUBIC)
            rr = r * 0.72
            gx = c + rr * math.cos(math.radians(ang)) - fsize
            gy = c + rr * math.sin(math.radians(ang)) - fsize
            layer.paste(255, (int(gx), int(gy)), glyph)
    if centre_text:
        fnt = fonts.font(face, int(r * 0.16))
        d.text((c, c + r * 0.5), centre_text, font=fnt, fill=255, anchor="mm")
    layer = layer.resize((size, size), Image.Resampling.LANCZOS)
    # Worn, uneven ink: real stamps never print solid.
    arr = np.asarray(layer).astype(np.float32) / 255.0
    wear = np_rng(rng).uniform(0.55, 1.0, arr.shape).astype(np.float32)
    alpha = arr * wear * rng.uniform(0.75, 0.92)
    _multiply(img, alpha, colour, (int(center[0] - size / 2), int(center[1] - size / 2)))


def _star(d: ImageDraw.ImageDraw, c: tuple[float, float], r: float, fill: int | RGB) -> None:
    pts = []
    for i in range(10):
        rad = r if i % 2 == 0 else r * 0.4
        ang = math.radians(-90 + i * 36)
        pts.append((c[0] + rad * math.cos(ang), c[1] + rad * math.sin(ang)))
    d.polygon(pts, fill=fill)


def draw_star(d: ImageDraw.ImageDraw, c: tuple[float, float], r: float, fill: RGB) -> None:
    _star(d, c, r, fill)


def _multiply(img: Image.Image, alpha: np.ndarray, colour: RGB, offset: tuple[int, int]) -> None:
    """Blend ``colour`` onto ``img`` with per-pixel ``alpha`` in multiply mode (ink over print)."""
    x0, y0 = offset
    h, w = alpha.shape
    ix0, iy0 = max(0, x0), max(0, y0)
    ix1, iy1 = min(img.width, x0 + w), min(img.height, y0 + h)
    if ix0 >= ix1 or iy0 >= iy1:
        return
    region = np.asarray(img.crop((ix0, iy0, ix1, iy1))).astype(np.float32)
    a = alpha[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0][..., None]
    ink = region * (np.array(colour, np.float32) / 255.0)
    out = region * (1 - a) + ink * a
    img.paste(Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB"), (ix0, iy0))


def paper(size: tuple[int, int], rng: random.Random, *, tint: RGB = (252, 251, 248)) -> Image.Image:
    """Off-white paper with faint fibre noise."""
    w, h = size
    g = np_rng(rng)
    base = np.ones((h, w, 3), np.float32) * np.array(tint, np.float32)
    base += g.normal(0, 1.2, (h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")


def guilloche(
    size: tuple[int, int],
    rng: random.Random,
    *,
    base: RGB,
    line: RGB,
    curves: int = 40,
    width: int = 1,
) -> Image.Image:
    """A pale security-print background of interlaced sine curves, like on ID cards and licences."""
    w, h = size
    img = Image.new("RGB", size, base)
    d = ImageDraw.Draw(img)
    amp = rng.uniform(h * 0.05, h * 0.12)
    period = rng.uniform(w * 0.15, w * 0.3)
    phase0 = rng.uniform(0, math.tau)
    xs = np.arange(0, w + 4, 4, dtype=np.float32)
    for i in range(curves):
        y0 = h * i / curves
        ph = phase0 + i * 0.35
        ys = y0 + amp * np.sin(xs / period * math.tau + ph) + amp * 0.4 * np.sin(xs / (period * 0.37) + ph)
        d.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=line, width=width)
    # A second family of curves crossing the first.
    for i in range(curves // 2):
        x0 = w * i / (curves / 2)
        ys2 = np.arange(0, h + 4, 4, dtype=np.float32)
        xs2 = x0 + amp * np.sin(ys2 / period * math.tau + phase0 + i)
        d.line(list(zip(xs2.tolist(), ys2.tolist(), strict=True)), fill=line, width=width)
    return img


def rounded_card(img: Image.Image, radius: int, outside: RGB = (255, 255, 255)) -> Image.Image:
    """Round the card's corners, filling outside with ``outside`` (a scan of a card on white)."""
    mask = Image.new("L", img.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, img.width - 1, img.height - 1), radius=radius, fill=255)
    bg = Image.new("RGB", img.size, outside)
    bg.paste(img, (0, 0), mask)
    return bg


def fit_font(
    face: fonts.FontFace, text: str, max_width: float, size: int, *, min_size: int = 10
) -> ImageFont.FreeTypeFont:
    """The largest font not above ``size`` that fits ``text`` into ``max_width``."""
    while size > min_size and fonts.font(face, size).getlength(text) > max_width:
        size -= 1
    return fonts.font(face, size)


# ----------------------------------------------------------------------------- encoding


def encode_image(img: Image.Image, fmt: str, *, quality: int = 90) -> bytes:
    """JPEG or PNG bytes with no timestamps or other varying metadata (deterministic)."""
    buf = io.BytesIO()
    rgb = img.convert("RGB") if img.mode not in ("RGB", "L") else img
    fmt = fmt.lower()
    if fmt in ("jpeg", "jpg"):
        rgb.save(buf, "JPEG", quality=quality, optimize=False, subsampling=2 if quality < 90 else 0)
    elif fmt == "png":
        rgb.save(buf, "PNG", optimize=False, compress_level=6)
    else:
        raise ValueError(f"unsupported image format {fmt!r}")
    return buf.getvalue()


def paste_center(dst: Image.Image, src: Image.Image, center: tuple[float, float]) -> None:
    dst.paste(src, (int(center[0] - src.width / 2), int(center[1] - src.height / 2)))


def choose(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]
