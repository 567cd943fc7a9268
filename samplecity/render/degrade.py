"""How an uploaded picture of a document goes wrong: skew, blur, compression, a desk photo,
a phone held the wrong way, and two defects that make it unusable (planted reason codes)."""

from __future__ import annotations

import io
import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from samplecity.render.common import np_rng

DEGRADATIONS_READABLE: tuple[str, ...] = (
    "clean",
    "skew",
    "blur",
    "jpeg",
    "desk_photo",
    "rotate90",
    "rotate180",
    "rotate270",
)
DEGRADATIONS_DEFECTIVE: dict[str, str] = {"severe_blur": "IMAGE_TOO_BLURRY", "tiny": "IMAGE_TOO_SMALL"}
_ALL = (*DEGRADATIONS_READABLE, *DEGRADATIONS_DEFECTIVE, "glare")


def degrade(img: Image.Image, kind: str, *, rng: random.Random) -> Image.Image:
    """A degraded copy of ``img`` (RGB); ``kind`` is one of the names above."""
    img = img.convert("RGB")
    if kind == "clean":
        return img.copy()
    if kind == "skew":
        return _skew(img, rng)
    if kind == "blur":
        return img.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.3) * max(1.0, max(img.size) / 1000)))
    if kind == "jpeg":
        return _jpeg(img, rng.randint(30, 40))
    if kind == "desk_photo":
        return desk_photo(img, rng)
    if kind in ("rotate90", "rotate180", "rotate270"):
        # Image.rotate turns anticlockwise; a phone held sideways gives either direction.
        return img.rotate(int(kind[6:]), expand=True)
    if kind == "severe_blur":
        return _severe_blur(img, rng)
    if kind == "tiny":
        f = rng.uniform(160, 240) / max(img.size)
        small = img.resize(
            (max(1, round(img.width * f)), max(1, round(img.height * f))), Image.Resampling.BILINEAR
        )
        return small
    if kind == "glare":
        return _glare(img, rng)
    raise ValueError(f"unknown degradation {kind!r}; expected one of {_ALL}")


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    out = Image.open(buf)
    out.load()
    return out.convert("RGB")


def _skew(img: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.uniform(2, 8) * rng.choice((-1, 1))
    fill = (rng.randint(225, 255),) * 3
    return img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def _severe_blur(img: Image.Image, rng: random.Random) -> Image.Image:
    # Blur relative to size: what matters is that strokes melt into each other. Downscale-blur-
    # upscale kills every fine edge, so the Laplacian variance collapses at any resolution.
    radius = max(img.size) * rng.uniform(0.012, 0.018)
    small = img.resize((max(1, img.width // 4), max(1, img.height // 4)), Image.Resampling.BILINEAR)
    small = small.filter(ImageFilter.GaussianBlur(radius / 4))
    return small.resize(img.size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))


def _glare(img: Image.Image, rng: random.Random) -> Image.Image:
    w, h = img.size
    arr = np.asarray(img).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
    rx, ry = rng.uniform(0.12, 0.22) * w, rng.uniform(0.1, 0.2) * h
    d2 = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
    # A saturated core (pure white, text gone) with a soft halo, as from a lamp on a laminated card.
    a = np.clip(1.6 - d2, 0, 1)[..., None]
    out = arr * (1 - a) + 255 * a
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def _desk_texture(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Wood grain, a cloth weave, or a plain laminate desk."""
    w, h = size
    g = np_rng(rng)
    kind = rng.randrange(3)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == 0:
        base = np.array(rng.choice(((150, 104, 64), (120, 80, 50), (176, 130, 86))), np.float32)
        freq = rng.uniform(0.02, 0.05)
        warp = 12 * np.sin(xx / rng.uniform(80, 200)) + 6 * np.sin(xx / 37.0)
        grain = 0.5 + 0.5 * np.sin((yy + warp) * freq * math.tau / 3)
        f = 0.82 + 0.18 * grain + g.normal(0, 0.03, (h, w)).astype(np.float32)
    elif kind == 1:
        base = np.array(rng.choice(((70, 80, 96), (120, 40, 44), (60, 90, 70), (110, 110, 116))), np.float32)
        weave = (np.sin(xx * 1.3) * np.sin(yy * 1.3)) * 0.06
        f = 0.9 + weave + g.normal(0, 0.05, (h, w)).astype(np.float32)
    else:
        base = np.array(rng.choice(((210, 206, 198), (186, 188, 190), (60, 60, 64))), np.float32)
        f = 0.95 + g.normal(0, 0.02, (h, w)).astype(np.float32)
    arr = base[None, None, :] * f[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> tuple[float, ...]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping output points ``dst`` to input ``src``."""
    rows = []
    rhs = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    sol = np.linalg.solve(np.array(rows, np.float64), np.array(rhs, np.float64))
    return tuple(float(v) for v in sol)


def desk_photo(img: Image.Image, rng: random.Random) -> Image.Image:
    """The document photographed lying on a desk: perspective, shadow, uneven light, camera noise."""
    w, h = img.size
    landscape = w >= h
    long_side = max(1600, int(max(w, h) * 1.35))
    out_w, out_h = (long_side, int(long_side * 0.75)) if landscape else (int(long_side * 0.75), long_side)
    desk = _desk_texture((out_w, out_h), rng)
    # Target quadrilateral: the document fills 55–75% of the frame, corners pulled unevenly.
    fill = rng.uniform(0.55, 0.75)
    scale = min(out_w * fill / w, out_h * fill / h)
    dw, dh = w * scale, h * scale
    cx = out_w / 2 + rng.uniform(-0.06, 0.06) * out_w
    cy = out_h / 2 + rng.uniform(-0.06, 0.06) * out_h
    ang = math.radians(rng.uniform(-10, 10))
    corners = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x, y = sx * dw / 2, sy * dh / 2
        # Perspective: the far edge (top) is narrower than the near one.
        if sy < 0:
            x *= 1 - rng.uniform(0.04, 0.12)
        xr = x * math.cos(ang) - y * math.sin(ang)
        yr = x * math.sin(ang) + y * math.cos(ang)
        corners.append((cx + xr + rng.uniform(-0.01, 0.01) * dw, cy + yr + rng.uniform(-0.01, 0.01) * dh))
    src = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    coeffs = _perspective_coeffs(src, corners)
    warped = img.transform((out_w, out_h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    # Cards have round corners; their renderings fill the corners white, which must not show on
    # the desk. Paper pages get a barely rounded corner, which is harmless.
    card_mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(card_mask).rounded_rectangle((0, 0, w - 1, h - 1), radius=int(min(w, h) * 0.065), fill=255)
    mask = card_mask.transform((out_w, out_h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)
    # Drop shadow under the document.
    shadow = Image.new("L", (out_w, out_h), 0)
    off = rng.uniform(6, 16)
    ImageDraw.Draw(shadow).polygon([(x + off, y + off) for x, y in corners], fill=150)
    shadow = shadow.filter(ImageFilter.GaussianBlur(12))
    desk_arr = np.asarray(desk).astype(np.float32) * (
        1 - np.asarray(shadow, np.float32)[..., None] / 255 * 0.6
    )
    composed = Image.fromarray(np.clip(desk_arr, 0, 255).astype(np.uint8), "RGB")
    composed.paste(warped, (0, 0), mask)
    # Uneven lighting: a broad gradient plus a soft vignette, as from a ceiling lamp.
    arr = np.asarray(composed).astype(np.float32)
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    lx, ly = rng.uniform(0, out_w), rng.uniform(0, out_h)
    dist = np.sqrt((xx - lx) ** 2 + (yy - ly) ** 2) / math.hypot(out_w, out_h)
    light = 1.08 - 0.35 * dist
    arr = arr * light[..., None]
    arr += np_rng(rng).normal(0, 3.0, arr.shape)
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    return out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
