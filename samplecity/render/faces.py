"""Drawn head-and-shoulders ID photos.

The faces are cartoons, but shaded so that OpenCV's frontal-face Haar cascade (what the photo check
uses) finds exactly one face: the cascade keys on a dark eye band over bright cheeks, a bright nose
bridge between dark eyes and a dark mouth line, so those contrasts are drawn deliberately strong.
Everything that identifies a person comes from ``face_seed``; the passed ``rng`` only adds
per-shot variation (lighting, noise), so one person looks the same on every document.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from samplecity.render.common import np_rng

PORTRAIT_SIZE = (358, 441)
_SS = 2  # supersampling factor: drawn at 2x and downscaled for smooth edges

RGB = tuple[int, int, int]

_SKIN_TONES: tuple[RGB, ...] = (
    (241, 204, 178),
    (232, 190, 160),
    (224, 178, 146),
    (214, 166, 132),
    (198, 150, 118),
    (236, 198, 170),
    (220, 184, 150),
)
_HAIR: tuple[RGB, ...] = ((22, 18, 16), (34, 26, 22), (48, 36, 28), (28, 28, 30), (62, 44, 32), (90, 88, 86))
_CLOTHES: tuple[RGB, ...] = (
    (30, 34, 48),
    (52, 58, 80),
    (20, 20, 22),
    (92, 30, 36),
    (40, 70, 110),
    (70, 72, 74),
    (120, 110, 96),
    (28, 60, 48),
    (200, 200, 204),
)


@dataclass(frozen=True)
class FaceGenes:
    """What makes one drawn person recognisable: all derived from face_seed."""

    skin: RGB
    hair: RGB
    clothes: RGB
    face_w: float  # half-width of the face oval, in units of the 358-px canvas
    face_h: float
    eye_gap: float
    eye_size: float
    brow_thick: float
    mouth_w: float
    hair_style: int  # 0 short, 1 long (hair falls behind shoulders), 2 side-part, 3 very short
    collar: int  # 0 round neck, 1 shirt collar (white V), 2 suit with shirt
    glasses: bool

    @classmethod
    def from_seed(cls, face_seed: int) -> FaceGenes:
        r = random.Random(f"face:{face_seed}")
        return cls(
            skin=r.choice(_SKIN_TONES),
            hair=r.choice(_HAIR),
            clothes=r.choice(_CLOTHES),
            face_w=r.uniform(68, 80),
            face_h=r.uniform(92, 104),
            eye_gap=r.uniform(30, 36),
            eye_size=r.uniform(12, 15),
            brow_thick=r.uniform(5, 8),
            mouth_w=r.uniform(20, 27),
            hair_style=r.randrange(4),
            collar=r.randrange(3),
            glasses=r.random() < 0.12,
        )


def _shade(c: RGB, f: float) -> RGB:
    return (
        max(0, min(255, int(c[0] * f))),
        max(0, min(255, int(c[1] * f))),
        max(0, min(255, int(c[2] * f))),
    )


def draw_person(
    canvas: Image.Image,
    genes: FaceGenes,
    *,
    cx: float,
    cy: float,
    scale: float,
    rng: random.Random,
    back_of_head: bool = False,
) -> None:
    """Draw one head-and-shoulders figure onto ``canvas`` (RGB), face centre at (cx, cy).

    ``scale`` 1.0 is the size used on a 358x441 ID photo. The figure is drawn on a supersampled
    RGBA layer and composited, so several people can share one picture.
    """
    w, h = canvas.size
    s = scale * _SS
    layer = Image.new("RGBA", (w * _SS, h * _SS), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    X, Y = cx * _SS, cy * _SS

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (X + x0 * s, Y + y0 * s, X + x1 * s, Y + y1 * s)

    fw, fh = genes.face_w, genes.face_h
    skin = genes.skin
    hair = genes.hair
    clothes = genes.clothes

    # Long hair falls behind the shoulders, so it is drawn first.
    if genes.hair_style == 1:
        d.rounded_rectangle(box(-fw - 14, -fh * 0.6, fw + 14, fh * 1.55), radius=50 * s, fill=hair)
        d.ellipse(box(-fw - 14, -fh - 22, fw + 14, fh * 0.3), fill=hair)

    # Shoulders and clothing.
    d.rounded_rectangle(box(-175, fh * 1.38, 175, fh * 3.2), radius=70 * s, fill=clothes)
    # Neck with a shadow under the jaw.
    d.rectangle(box(-fw * 0.5, fh * 0.55, fw * 0.5, fh * 1.5), fill=_shade(skin, 0.9))
    d.ellipse(box(-fw * 0.5, fh * 1.15, fw * 0.5, fh * 1.62), fill=_shade(skin, 0.9))
    d.ellipse(box(-fw * 0.55, fh * 0.72, fw * 0.55, fh * 1.05), fill=_shade(skin, 0.72))
    if genes.collar == 1:
        d.polygon(
            [
                box(-fw * 0.6, fh * 1.3, 0, 0)[:2],
                box(fw * 0.6, fh * 1.3, 0, 0)[:2],
                box(0, fh * 1.95, 0, 0)[:2],
            ],
            fill=(236, 236, 232),
        )
        d.polygon(
            [
                box(-fw * 0.45, fh * 1.38, 0, 0)[:2],
                box(fw * 0.45, fh * 1.38, 0, 0)[:2],
                box(0, fh * 1.8, 0, 0)[:2],
            ],
            fill=_shade(skin, 0.9),
        )
    elif genes.collar == 2:
        d.polygon(
            [
                box(-fw * 0.75, fh * 1.35, 0, 0)[:2],
                box(fw * 0.75, fh * 1.35, 0, 0)[:2],
                box(0, fh * 2.6, 0, 0)[:2],
            ],
            fill=(240, 240, 238),
        )
        d.polygon(
            [box(-8, fh * 1.5, 0, 0)[:2], box(8, fh * 1.5, 0, 0)[:2], box(0, fh * 2.5, 0, 0)[:2]],
            fill=(110, 30, 40),
        )
    else:
        d.chord(box(-fw * 0.62, fh * 1.05, fw * 0.62, fh * 1.72), 0, 180, fill=_shade(skin, 0.9))

    if back_of_head:
        # Seen from behind: ears and a head of hair, no facial features at all.
        d.ellipse(box(-fw - 10, -12, -fw + 10, 26), fill=_shade(skin, 0.85))
        d.ellipse(box(fw - 10, -12, fw + 10, 26), fill=_shade(skin, 0.85))
        d.ellipse(box(-fw - 8, -fh - 16, fw + 8, fh + 6), fill=hair)
        d.rectangle(box(-fw * 0.55, fh * 0.6, fw * 0.55, fh * 1.3), fill=hair)
        _composite(canvas, layer)
        return

    # Ears.
    d.ellipse(box(-fw - 12, -14, -fw + 10, 30), fill=_shade(skin, 0.88))
    d.ellipse(box(fw - 10, -14, fw + 12, 30), fill=_shade(skin, 0.88))

    # Hair cap behind the face.
    if genes.hair_style != 3:
        d.ellipse(box(-fw - 9, -fh - 20, fw + 9, fh * 0.45), fill=hair)
    else:
        d.ellipse(box(-fw - 3, -fh - 8, fw + 3, fh * 0.2), fill=hair)

    # Face oval with shading: lighter in the middle, darker towards the jaw and temples.
    x0, y0, x1, y1 = (int(v) for v in box(-fw, -fh, fw, fh))
    fwid, fhei = x1 - x0, y1 - y0
    yy, xx = np.mgrid[0:fhei, 0:fwid].astype(np.float32)
    nx = (xx - fwid / 2) / (fwid / 2)
    ny = (yy - fhei / 2) / (fhei / 2)
    r2 = nx**2 + ny**2
    light_dir = rng.uniform(-0.25, 0.25)
    shade = 1.04 - 0.22 * np.clip(r2, 0, 1) ** 1.5 + light_dir * nx * 0.25 - 0.05 * np.clip(ny, 0, 1)
    rgb = np.stack([np.full_like(nx, c) for c in skin], axis=-1) * shade[..., None]
    alpha = np.clip((1.0 - r2) * 40.0, 0, 1) * 255
    face = np.dstack([np.clip(rgb, 0, 255), alpha]).astype(np.uint8)
    layer.alpha_composite(Image.fromarray(face, "RGBA"), (x0, y0))
    d = ImageDraw.Draw(layer)

    # Fringe/hairline over the top of the face.
    if genes.hair_style == 0:
        d.chord(box(-fw - 4, -fh - 18, fw + 4, -fh * 0.25), 180, 360, fill=hair)
        d.rectangle(box(-fw - 4, -fh * 0.64, -fw * 0.82, 0), fill=hair)
        d.rectangle(box(fw * 0.82, -fh * 0.64, fw + 4, 0), fill=hair)
    elif genes.hair_style == 1:
        d.chord(box(-fw - 6, -fh - 16, fw + 6, -fh * 0.3), 180, 360, fill=hair)
        d.polygon(
            [
                box(-fw - 6, -fh * 0.65, 0, 0)[:2],
                box(-fw * 0.7, -fh * 0.6, 0, 0)[:2],
                box(-fw * 0.85, fh * 0.2, 0, 0)[:2],
                box(-fw - 6, fh * 0.6, 0, 0)[:2],
            ],
            fill=hair,
        )
        d.polygon(
            [
                box(fw + 6, -fh * 0.65, 0, 0)[:2],
                box(fw * 0.7, -fh * 0.6, 0, 0)[:2],
                box(fw * 0.85, fh * 0.2, 0, 0)[:2],
                box(fw + 6, fh * 0.6, 0, 0)[:2],
            ],
            fill=hair,
        )
    elif genes.hair_style == 2:
        d.chord(box(-fw - 4, -fh - 18, fw + 4, -fh * 0.3), 180, 360, fill=hair)
        d.polygon(
            [
                box(-fw * 0.9, -fh * 0.62, 0, 0)[:2],
                box(-fw * 0.1, -fh * 0.72, 0, 0)[:2],
                box(-fw * 0.95, -fh * 0.35, 0, 0)[:2],
            ],
            fill=hair,
        )
    else:
        d.chord(box(-fw - 2, -fh - 6, fw + 2, -fh * 0.45), 180, 360, fill=hair)

    # Eyebrows: thick and dark, the cascade's strongest cue above the eyes.
    ey = -fh * 0.08
    gap = genes.eye_gap
    es = genes.eye_size
    bt = genes.brow_thick
    brow = _shade(hair, 0.8)
    for side in (-1, 1):
        ex = side * gap
        d.line(
            [
                box(ex - side * es * 1.4, ey - es * 1.25, 0, 0)[:2],
                box(ex, ey - es * 1.65, 0, 0)[:2],
                box(ex + side * es * 1.5, ey - es * 1.35, 0, 0)[:2],
            ],
            fill=brow,
            width=max(2, int(bt * s)),
            joint="curve",
        )
        # Eye socket shadow, then the white, the iris and the pupil.
        d.ellipse(box(ex - es * 1.55, ey - es * 0.85, ex + es * 1.55, ey + es * 0.8), fill=_shade(skin, 0.78))
        d.ellipse(box(ex - es * 1.2, ey - es * 0.5, ex + es * 1.2, ey + es * 0.5), fill=(242, 240, 236))
        d.ellipse(box(ex - es * 0.55, ey - es * 0.55, ex + es * 0.55, ey + es * 0.5), fill=(52, 36, 28))
        d.ellipse(box(ex - es * 0.25, ey - es * 0.25, ex + es * 0.25, ey + es * 0.25), fill=(8, 6, 6))
        d.ellipse(box(ex + es * 0.1, ey - es * 0.3, ex + es * 0.28, ey - es * 0.12), fill=(250, 250, 250))
        # Upper lid line.
        d.arc(
            box(ex - es * 1.25, ey - es * 0.6, ex + es * 1.25, ey + es * 0.6),
            190,
            350,
            fill=(30, 22, 20),
            width=max(2, int(2.5 * s)),
        )
        if genes.glasses:
            d.rounded_rectangle(
                box(ex - es * 1.9, ey - es * 1.0, ex + es * 1.9, ey + es * 1.1),
                radius=8 * s,
                outline=(40, 40, 44),
                width=max(2, int(2.5 * s)),
            )
    if genes.glasses:
        d.line(
            [box(-gap + es * 1.9, ey - es * 0.3, 0, 0)[:2], box(gap - es * 1.9, ey - es * 0.3, 0, 0)[:2]],
            fill=(40, 40, 44),
            width=max(2, int(2.5 * s)),
        )

    # Nose: a shadow down one side and darker nostrils; the bridge stays bright.
    ny0, ny1 = ey + es * 0.6, fh * 0.32
    d.line(
        [box(-6, ny0, 0, 0)[:2], box(-9, ny1 - 4, 0, 0)[:2]], fill=_shade(skin, 0.8), width=max(2, int(4 * s))
    )
    d.ellipse(box(-14, ny1 - 6, 14, ny1 + 6), fill=_shade(skin, 0.84))
    d.ellipse(box(-11, ny1 - 1, -4, ny1 + 4), fill=_shade(skin, 0.5))
    d.ellipse(box(4, ny1 - 1, 11, ny1 + 4), fill=_shade(skin, 0.5))

    # Mouth: dark line between two lips.
    my = fh * 0.56
    mw = genes.mouth_w
    lip = (min(255, int(skin[0] * 0.85)), int(skin[1] * 0.55), int(skin[2] * 0.55))
    d.ellipse(box(-mw, my - 6, mw, my + 9), fill=lip)
    d.line(
        [box(-mw, my, 0, 0)[:2], box(0, my + 2, 0, 0)[:2], box(mw, my, 0, 0)[:2]],
        fill=(90, 40, 40),
        width=max(2, int(3 * s)),
    )
    # Chin shadow.
    d.arc(
        box(-fw * 0.35, fh * 0.7, fw * 0.35, fh * 0.9),
        20,
        160,
        fill=_shade(skin, 0.85),
        width=max(2, int(3 * s)),
    )

    _composite(canvas, layer)


def _composite(canvas: Image.Image, layer: Image.Image) -> None:
    small = layer.resize(canvas.size, Image.Resampling.LANCZOS)
    base = canvas.convert("RGBA")
    base.alpha_composite(small)
    canvas.paste(base.convert("RGB"))


def _finish(img: Image.Image, rng: random.Random) -> Image.Image:
    """Camera softness and sensor noise, so the photo is not a flat vector drawing."""
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.9)))
    arr = np.asarray(img).astype(np.int16)
    noise = np_rng(rng).normal(0, 2.0, arr.shape)
    return Image.fromarray(np.clip(arr + noise, 0, 255).astype(np.uint8), "RGB")


def _background(size: tuple[int, int], colour: RGB, rng: random.Random) -> Image.Image:
    """A studio backdrop with a faint vertical gradient (real white backdrops are never flat)."""
    w, h = size
    grad = np.linspace(1.0, 1.0 - rng.uniform(0.0, 0.03), h, dtype=np.float32)[:, None, None]
    arr = np.ones((h, w, 3), np.float32) * np.array(colour, np.float32) * grad
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def render_portrait(face_seed: int, *, rng: random.Random, defect: str | None = None) -> Image.Image:
    """A 358x441 ID photo of the person ``face_seed`` on white; ``defect`` plants a non-compliant one.

    defect: None | "colored_background" | "two_faces" | "no_face" | "landscape".
    """
    genes = FaceGenes.from_seed(face_seed)
    w, h = PORTRAIT_SIZE
    jitter_x = rng.uniform(-6, 6)
    jitter_y = rng.uniform(-6, 6)
    scale = rng.uniform(0.95, 1.05)
    if defect is None:
        bg = (rng.randint(246, 255),) * 3
        img = _background((w, h), bg, rng)
        draw_person(img, genes, cx=w / 2 + jitter_x, cy=190 + jitter_y, scale=scale, rng=rng)
    elif defect == "colored_background":
        colour: RGB = rng.choice(((67, 142, 219), (60, 120, 200), (216, 30, 40), (200, 40, 48)))
        img = _background((w, h), colour, rng)
        draw_person(img, genes, cx=w / 2 + jitter_x, cy=190 + jitter_y, scale=scale, rng=rng)
    elif defect == "two_faces":
        img = _background((w, h), (250, 250, 250), rng)
        other = FaceGenes.from_seed(face_seed * 7919 + 1)
        draw_person(img, other, cx=w * 0.27, cy=200 + rng.uniform(-10, 10), scale=0.66, rng=rng)
        draw_person(img, genes, cx=w * 0.73, cy=190 + rng.uniform(-10, 10), scale=0.66, rng=rng)
    elif defect == "no_face":
        img = _no_face(genes, (w, h), rng)
    elif defect == "landscape":
        lw, lh = 640, 480
        img = _background((lw, lh), (rng.randint(240, 252),) * 3, rng)
        draw_person(img, genes, cx=lw * rng.uniform(0.4, 0.6), cy=lh * 0.42, scale=0.62, rng=rng)
    else:
        raise ValueError(f"unknown portrait defect {defect!r}")
    return _finish(img, rng)


def _no_face(genes: FaceGenes, size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Something that is not a face: the back of the head, or a landscape snapshot."""
    w, h = size
    if rng.random() < 0.5:
        img = _background(size, (250, 250, 250), rng)
        draw_person(img, genes, cx=w / 2, cy=190, scale=1.0, rng=rng, back_of_head=True)
        return img
    # A holiday snapshot uploaded by mistake: sky, mountains, a field.
    img = Image.new("RGB", size)
    d = ImageDraw.Draw(img)
    for y in range(h):
        t = y / h
        d.line([(0, y), (w, y)], fill=(int(120 + 100 * t), int(170 + 70 * t), 235))
    for _ in range(3):
        peak_x = rng.uniform(0, w)
        peak_y = rng.uniform(h * 0.25, h * 0.5)
        g = rng.randint(70, 120)
        d.polygon(
            [(peak_x - w * 0.7, h * 0.7), (peak_x, peak_y), (peak_x + w * 0.7, h * 0.7)],
            fill=(g, g + 10, g + 30),
        )
    d.rectangle((0, int(h * 0.68), w, h), fill=(70, rng.randint(120, 150), 60))
    return img
