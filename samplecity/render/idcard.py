"""Card-sized documents at 856x540 (about 10 px/mm): the ID card front and back, the old 居住证.

Layouts follow the real cards in proportion; positions, sizes and fonts are jittered by the rng so
an extractor cannot rely on exact pixel positions.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from samplecity.documents import IdCardBack, OldPermit, Person
from samplecity.render import fonts
from samplecity.render.common import (
    INK,
    date_dotted,
    draw_spaced,
    draw_star,
    fit_font,
    guilloche,
    rounded_card,
    wrap_chars,
    wrap_width,
)
from samplecity.render.faces import render_portrait

CARD_SIZE = (856, 540)
LABEL_BLUE: tuple[int, int, int] = (58, 96, 140)
GOLD: tuple[int, int, int] = (236, 190, 60)
EMBLEM_RED: tuple[int, int, int] = (206, 30, 36)


def _j(rng: random.Random, amount: float) -> float:
    return rng.uniform(-amount, amount)


def card_photo(face_seed: int, size: tuple[int, int], rng: random.Random) -> tuple[Image.Image, Image.Image]:
    """The portrait scaled for a card, and a soft mask that lets the card pattern show through its
    white background (the card photo is printed, not pasted)."""
    photo = render_portrait(face_seed, rng=rng).resize(size, Image.Resampling.LANCZOS)
    grey = np.asarray(photo.convert("L")).astype(np.float32)
    sat = np.asarray(photo.convert("HSV"))[..., 1].astype(np.float32)
    # Near-white and unsaturated pixels are background; everything else is the person.
    mask = np.clip(((248 - grey) * 8 + sat * 4), 0, 255).astype(np.uint8)
    m = Image.fromarray(mask, "L").filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.GaussianBlur(1.2))
    return photo, m


def render_id_front(
    person: Person, *, rng: random.Random, address_lines: Sequence[str] | None = None
) -> Image.Image:
    """The face side of the second-generation resident ID card (居民身份证).

    `address_lines` sets where the 住址 breaks (up to three lines that join to the hukou address:
    a break after 新 with 民 opening the next line, inside a house number); by default the address
    wraps by character count. The rng draws the same either way, so the rest of the card is the same.
    """
    w, _h = CARD_SIZE
    base = (rng.randint(238, 246), rng.randint(238, 244), rng.randint(232, 240))
    line = (base[0] - rng.randint(10, 18), base[1] - rng.randint(8, 14), base[2] - rng.randint(2, 8))
    img = guilloche(CARD_SIZE, rng, base=base, line=line, curves=rng.randint(36, 56))
    d = ImageDraw.Draw(img)

    label_face = fonts.pick(rng, fonts.available(fonts.SANS_FACES + fonts.SERIF_FACES))
    value_face = fonts.pick(rng, fonts.available(fonts.CJK_FACES))
    digit_face = fonts.pick(rng, fonts.available(fonts.DIGIT_FACES))
    lsize = rng.randint(22, 26)
    vsize = rng.randint(28, 32)
    lf = fonts.font(label_face, lsize)
    vf = fonts.font(value_face, vsize)

    x_label = 58 + _j(rng, 8)
    x_value = x_label + lsize * 2 + rng.randint(26, 36)
    y = 52 + _j(rng, 6)
    row = rng.randint(62, 70)

    def label(xy: tuple[float, float], text: str) -> None:
        # Labels sit slightly lower than the taller value glyphs, aligned on the baseline.
        d.text((xy[0], xy[1] + (vsize - lsize) * 0.7), text, font=lf, fill=LABEL_BLUE)

    label((x_label, y), "姓名")
    d.text((x_value, y), person.name, font=vf, fill=INK)
    y += row
    label((x_label, y), "性别")
    d.text((x_value, y), person.sex, font=vf, fill=INK)
    x_eth = x_value + vsize * 2 + rng.randint(40, 70)
    label((x_eth, y), "民族")
    d.text((x_eth + lsize * 2 + rng.randint(20, 30), y), person.ethnicity, font=vf, fill=INK)
    y += row
    label((x_label, y), "出生")
    bd = person.birth_date
    bx = x_value
    # 1990 年 3 月 5 日: numbers in the value font, 年/月/日 in the label colour, as on the card.
    for part, is_label in (
        (str(bd.year), False),
        ("年", True),
        (str(bd.month), False),
        ("月", True),
        (str(bd.day), False),
        ("日", True),
    ):
        if is_label:
            d.text((bx, y + (vsize - lsize) * 0.7), part, font=lf, fill=LABEL_BLUE)
            bx += lf.getlength(part) + 10
        else:
            d.text((bx, y), part, font=vf, fill=INK)
            bx += vf.getlength(part) + 10
    y += row
    label((x_label, y), "住址")
    per_line = rng.choice((11, 11, 11, 12))
    lines = wrap_chars(person.hukou_address, per_line)
    if len(lines) > 3:
        # The card has room for three lines; longer addresses are set in a smaller font.
        per_line = math.ceil(len(person.hukou_address) / 3)
        lines = wrap_chars(person.hukou_address, per_line)
    if address_lines is not None:
        if "".join(address_lines) != person.hukou_address or not 1 <= len(address_lines) <= 3:
            raise ValueError("address_lines must be 1-3 lines that join to the hukou address")
        lines = list(address_lines)
        per_line = max(len(ln) for ln in lines)
    af = fit_font(value_face, "国" * per_line, 540 - x_value, vsize - 2)
    for i, ln in enumerate(lines[:3]):
        d.text((x_value, y + i * (af.size + 9)), ln, font=af, fill=INK)

    y_num = 430 + _j(rng, 8)
    nf = fonts.font(label_face, lsize + 1)
    d.text((x_label, y_num + 6), "公民身份号码", font=nf, fill=LABEL_BLUE)
    digit = fonts.font(digit_face, rng.randint(34, 38))
    x_num = x_label + nf.getlength("公民身份号码") + rng.randint(36, 56)
    # Wide letter spacing as on the card; the check character may be X.
    step = min(digit.getlength("0") + rng.uniform(3, 6), (w - 30 - x_num) / 18)
    for i, ch in enumerate(person.id_number):
        d.text((x_num + i * step, y_num), ch, font=digit, fill=INK)

    pw, ph = 250 + rng.randint(-6, 6), 310 + rng.randint(-6, 6)
    photo, mask = card_photo(person.face_seed, (pw, ph), rng)
    img.paste(photo, (int(w - pw - 40 + _j(rng, 6)), int(48 + _j(rng, 6))), mask)
    return rounded_card(img, 34)


def _emblem(img: Image.Image, center: tuple[float, float], r: float) -> None:
    """A simplified national-emblem-like roundel: red disc, gold ring, stars, a gate and rays."""
    ss = 3
    size = int(r * 2 + 4) * ss
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    c = size / 2
    R = r * ss
    d.ellipse((c - R, c - R, c + R, c + R), fill=GOLD)
    d.ellipse((c - R * 0.86, c - R * 0.86, c + R * 0.86, c + R * 0.86), fill=EMBLEM_RED)
    # Rays behind the gate.
    for i in range(13):
        ang = math.radians(200 + i * 11.5)
        d.line(
            [(c, c + R * 0.25), (c + R * 0.75 * math.cos(ang), c + R * 0.25 + R * 0.75 * math.sin(ang))],
            fill=GOLD,
            width=max(1, int(R * 0.02)),
        )
    # The big star and four small ones.
    draw_star(d, (c, c - R * 0.5), R * 0.17, GOLD)
    for dx, dy in ((-0.3, -0.62), (-0.4, -0.42), (0.3, -0.62), (0.4, -0.42)):
        draw_star(d, (c + dx * R, c + dy * R), R * 0.07, GOLD)
    # Gate building.
    d.rectangle((c - R * 0.5, c + R * 0.05, c + R * 0.5, c + R * 0.42), fill=GOLD)
    d.polygon(
        [
            (c - R * 0.6, c + R * 0.07),
            (c + R * 0.6, c + R * 0.07),
            (c + R * 0.45, c - R * 0.08),
            (c - R * 0.45, c - R * 0.08),
        ],
        fill=GOLD,
    )
    for i in range(5):
        gx = c - R * 0.36 + i * R * 0.18
        d.rounded_rectangle(
            (gx - R * 0.04, c + R * 0.2, gx + R * 0.04, c + R * 0.42), radius=R * 0.03, fill=EMBLEM_RED
        )
    d.rectangle((c - R * 0.62, c + R * 0.5, c + R * 0.62, c + R * 0.58), fill=GOLD)
    # Wheat-ear ring suggestion: gold ticks just inside the ring.
    for i in range(36):
        ang = math.radians(i * 10)
        d.ellipse(
            (
                c + R * 0.78 * math.cos(ang) - R * 0.04,
                c + R * 0.78 * math.sin(ang) - R * 0.04,
                c + R * 0.78 * math.cos(ang) + R * 0.04,
                c + R * 0.78 * math.sin(ang) + R * 0.04,
            ),
            fill=GOLD,
        )
    layer = layer.resize((size // ss, size // ss), Image.Resampling.LANCZOS)
    img.paste(layer, (int(center[0] - layer.width / 2), int(center[1] - layer.height / 2)), layer)


def render_id_back(back: IdCardBack, *, rng: random.Random) -> Image.Image:
    """The national-emblem side: title, emblem, 签发机关 and 有效期限."""
    w, _h = CARD_SIZE
    base = (rng.randint(236, 244), rng.randint(238, 244), rng.randint(238, 246))
    line = (base[0] - rng.randint(12, 20), base[1] - rng.randint(6, 12), base[2] - rng.randint(0, 6))
    img = guilloche(CARD_SIZE, rng, base=base, line=line, curves=rng.randint(30, 50))
    d = ImageDraw.Draw(img)
    _emblem(img, (118 + _j(rng, 6), 128 + _j(rng, 6)), 86 + _j(rng, 3))

    title_face = fonts.pick(rng, fonts.available(fonts.SERIF_FACES + fonts.SANS_FACES))
    tf = fonts.font(title_face, rng.randint(38, 42))
    draw_spaced(d, (270 + _j(rng, 6), 76 + _j(rng, 5)), "中华人民共和国", tf, (30, 30, 32), width=500)
    big = fonts.font(title_face, rng.randint(62, 68))
    draw_spaced(d, (300 + _j(rng, 6), 168 + _j(rng, 5)), "居民身份证", big, (30, 30, 32), width=440)

    label_face = fonts.pick(rng, fonts.available(fonts.SANS_FACES + fonts.SERIF_FACES))
    value_face = fonts.pick(rng, fonts.available(fonts.CJK_FACES))
    lf = fonts.font(label_face, rng.randint(22, 25))
    x_label = 170 + _j(rng, 10)
    x_value = x_label + lf.getlength("签发机关") + rng.randint(24, 36)
    vf = fit_font(value_face, back.issuing_authority, w - 40 - x_value, rng.randint(26, 30))
    y1 = 388 + _j(rng, 6)
    y2 = y1 + rng.randint(56, 64)
    d.text((x_label, y1 + 4), "签发机关", font=lf, fill=LABEL_BLUE)
    d.text((x_value, y1), back.issuing_authority, font=vf, fill=INK)
    d.text((x_label, y2 + 4), "有效期限", font=lf, fill=LABEL_BLUE)
    until = "长期" if back.valid_until is None else date_dotted(back.valid_until)
    validity = f"{date_dotted(back.valid_from)}-{until}"
    df = fit_font(value_face, validity, w - 40 - x_value, rng.randint(26, 30))
    d.text((x_value, y2), validity, font=df, fill=INK)
    return rounded_card(img, 34)


def render_old_permit(doc: OldPermit, *, rng: random.Random) -> Image.Image:
    """A 四川省居住证 card: the permit the applicant already holds (endorsement, change, reissue)."""
    w, _h = CARD_SIZE
    base = (rng.randint(228, 238), rng.randint(238, 246), rng.randint(242, 250))
    line = (base[0] - rng.randint(14, 22), base[1] - rng.randint(8, 14), base[2] - rng.randint(2, 8))
    img = guilloche(CARD_SIZE, rng, base=base, line=line, curves=rng.randint(30, 46))
    d = ImageDraw.Draw(img)
    # Coloured header band with the title.
    band = rng.choice(((30, 92, 160), (24, 110, 150), (40, 80, 140)))
    d.rectangle((0, 0, w, 86), fill=band)
    title_face = fonts.pick(rng, fonts.available(fonts.SANS_FACES + fonts.SERIF_FACES))
    tf = fonts.font(title_face, rng.randint(44, 50))
    title = "四川省居住证"
    d.text((w / 2 + _j(rng, 10), 44), title, font=tf, fill=(255, 255, 255), anchor="mm")
    _emblem(img, (w - 64, 44), 34)

    person = doc.person
    lf = fonts.font(fonts.pick(rng, fonts.available(fonts.SANS_FACES)), rng.randint(19, 21))
    vface = fonts.pick(rng, fonts.available(fonts.CJK_FACES))
    vf = fonts.font(vface, rng.randint(23, 25))
    x_label = 36 + _j(rng, 6)
    x_value = x_label + lf.getlength("公民身份号码") + 14
    max_w = 590 - x_value
    y = 104 + _j(rng, 4)
    rows: list[tuple[str, str]] = [
        ("证件号码", doc.permit_no),
        ("姓名", person.name),
        ("性别", f"{person.sex}        民族  {person.ethnicity}"),
        ("出生日期", f"{person.birth_date.year}年{person.birth_date.month}月{person.birth_date.day}日"),
        ("公民身份号码", person.id_number),
        ("居住地址", doc.residence_address),
        ("签发机关", doc.issuing_authority),
        ("签发日期", f"{doc.issued_on.year}年{doc.issued_on.month}月{doc.issued_on.day}日"),
    ]
    gap = rng.randint(12, 16)
    for lab, val in rows:
        draw_spaced(d, (x_label, y + 3), lab, lf, LABEL_BLUE, width=lf.getlength("公民身份号码"))
        if lab == "居住地址":
            af = fonts.font(vface, int(vf.size) - 3)  # Pillow types the size float: whole pixels here
            addr = wrap_width(val, af, max_w)[:2]
            for i, ln in enumerate(addr):
                d.text((x_value, y + i * (af.size + 5)), ln, font=af, fill=INK)
            y += len(addr) * (af.size + 5) + gap
            continue
        f = fit_font(vface, val, max_w, int(vf.size))
        d.text((x_value, y), val, font=f, fill=INK)
        y += vf.size + gap
    pw, ph = 210, 258
    photo, mask = card_photo(person.face_seed, (pw, ph), rng)
    img.paste(photo, (int(w - pw - 34 + _j(rng, 5)), int(120 + _j(rng, 5))), mask)
    return rounded_card(img, 30)
