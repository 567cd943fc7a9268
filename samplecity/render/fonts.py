"""The installed CJK TrueType fonts the renderers draw with, and a cache of loaded sizes.

Several families are used on purpose: a later OCR stage must cope with documents from other
generators, so nothing here should let it learn one typeface.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont


@dataclass(frozen=True)
class FontFace:
    """One face inside a font file (.ttc files hold several faces)."""

    path: str
    index: int
    name: str
    kind: str  # "sans" | "serif" | "kai" | "mono"


_WQY = "/usr/share/fonts/truetype/wqy"
_ARPHIC = "/usr/share/fonts/truetype/arphic"
_DEJAVU = "/usr/share/fonts/truetype/dejavu"

SANS_FACES: tuple[FontFace, ...] = (
    FontFace(f"{_WQY}/wqy-microhei.ttc", 0, "WenQuanYi Micro Hei", "sans"),
    FontFace(f"{_WQY}/wqy-zenhei.ttc", 0, "WenQuanYi Zen Hei", "sans"),
)
SERIF_FACES: tuple[FontFace, ...] = (FontFace(f"{_ARPHIC}/uming.ttc", 0, "AR PL UMing", "serif"),)
KAI_FACES: tuple[FontFace, ...] = (FontFace(f"{_ARPHIC}/ukai.ttc", 0, "AR PL UKai", "kai"),)
CJK_FACES: tuple[FontFace, ...] = SANS_FACES + SERIF_FACES + KAI_FACES
# The ID number on the real card is set in an OCR-B-like digit face; DejaVu Sans Mono is the
# closest installed monospace face, and Sans Condensed gives variety.
DIGIT_FACES: tuple[FontFace, ...] = (
    FontFace(f"{_DEJAVU}/DejaVuSansMono.ttf", 0, "DejaVu Sans Mono", "mono"),
    FontFace(f"{_DEJAVU}/DejaVuSansMono-Bold.ttf", 0, "DejaVu Sans Mono Bold", "mono"),
    FontFace(f"{_DEJAVU}/DejaVuSans.ttf", 0, "DejaVu Sans", "sans"),
)
# Faces reportlab can embed in a text PDF (TrueType outlines only, no CFF).
PDF_FACES: tuple[FontFace, ...] = (
    SANS_FACES[0],
    SANS_FACES[1],
    SERIF_FACES[0],
    KAI_FACES[0],
)


@lru_cache(maxsize=512)
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


def font(face: FontFace, size: int) -> ImageFont.FreeTypeFont:
    """A loaded font at a pixel size (cached: loading a .ttc is slow)."""
    return _load(face.path, face.index, max(4, int(size)))


def pick(rng: random.Random, faces: tuple[FontFace, ...] = CJK_FACES) -> FontFace:
    return faces[rng.randrange(len(faces))]


def available(faces: tuple[FontFace, ...]) -> tuple[FontFace, ...]:
    """Faces whose file exists, so a machine missing one family still renders."""
    found = tuple(f for f in faces if Path(f.path).exists())
    if not found:
        raise FileNotFoundError(f"none of the fonts {[f.path for f in faces]} is installed")
    return found
