"""Certificates as images: 营业执照, 不动产权证书, and the 在读证明 / 住宿证明 letters."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from samplecity.documents import (
    BusinessLicense,
    EnrollmentCertificate,
    LodgingCertificate,
    PropertyCertificate,
)
from samplecity.render import fonts
from samplecity.render.common import (
    INK,
    date_cn,
    date_cn_upper,
    draw_round_seal,
    draw_spaced,
    fit_font,
    guilloche,
    paper,
    wrap_width,
)
from samplecity.render.idcard import _emblem

LICENSE_SIZE = (1600, 1130)
LETTER_SIZE = (1240, 1754)  # A4 at 150 dpi: letters are usually photographed, not scanned at 200


def _border(
    d: ImageDraw.ImageDraw, size: tuple[int, int], colour: tuple[int, int, int], rng: random.Random
) -> None:
    """A decorative double frame with a chain of small diamonds between the lines."""
    w, h = size
    m = rng.randint(28, 40)
    d.rectangle((m, m, w - m, h - m), outline=colour, width=6)
    d.rectangle((m + 18, m + 18, w - m - 18, h - m - 18), outline=colour, width=2)
    step = 22
    for x in range(m + 20, w - m - 10, step):
        for y in (m + 9, h - m - 9):
            d.polygon([(x, y - 4), (x + 5, y), (x, y + 4), (x - 5, y)], fill=colour)
    for y in range(m + 20, h - m - 10, step):
        for x in (m + 9, w - m - 9):
            d.polygon([(x, y - 4), (x + 5, y), (x, y + 4), (x - 5, y)], fill=colour)


def render_business_license(doc: BusinessLicense, *, rng: random.Random) -> Image.Image:
    """A 营业执照（副本）: title, credit code, the registered facts, authority seal and a border."""
    w, h = LICENSE_SIZE
    variant = rng.randrange(2)
    base = (rng.randint(248, 253), rng.randint(244, 250), rng.randint(236, 244))
    img = guilloche(LICENSE_SIZE, rng, base=base, line=(base[0] - 8, base[1] - 12, base[2] - 6), curves=30)
    d = ImageDraw.Draw(img)
    frame = rng.choice(((178, 40, 40), (160, 120, 60), (150, 30, 36)))
    _border(d, LICENSE_SIZE, frame, rng)
    _emblem(img, (w / 2, 150), 62)

    tface = fonts.pick(rng, fonts.available(fonts.SERIF_FACES + fonts.SANS_FACES))
    title_f = fonts.font(tface, rng.randint(84, 96))
    d.text((w / 2, 275), "营 业 执 照", font=title_f, fill=(30, 24, 24), anchor="mm")
    d.text(
        (w / 2 + title_f.getlength("营 业 执 照") / 2 + 20, 300),
        "（副  本）",
        font=fonts.font(tface, 32),
        fill=(30, 24, 24),
        anchor="ls",
    )

    lab_face = fonts.pick(rng, fonts.available(fonts.CJK_FACES))
    val_face = fonts.pick(rng, fonts.available(fonts.CJK_FACES))
    lf = fonts.font(lab_face, rng.randint(28, 31))
    vf_size = rng.randint(28, 31)
    code_y = 330 + rng.randint(-6, 6)
    d.text((110, code_y), f"统一社会信用代码  {doc.uscc}", font=fonts.font(val_face, 30), fill=INK)
    serial = f"{rng.randint(1, 9)}-{rng.randint(1, 9)}"
    d.text((w - 110, code_y), f"（{serial}）", font=fonts.font(val_face, 26), fill=INK, anchor="ra")

    individual = "个体" in doc.type
    rep_label = (
        "经营者" if individual else ("负责人" if "分公司" in doc.type or "分支" in doc.type else "法定代表人")
    )
    addr_label = "经营场所" if individual or variant == 1 else "住所"
    left_rows = [("名称", doc.name), ("类型", doc.type), (rep_label, doc.legal_representative)]
    if variant == 0:
        left_rows += [("经营范围", _scope(rng))]
        right_rows = [
            ("注册资本", doc.registered_capital),
            ("成立日期", date_cn(doc.established_on, pad=True)),
            ("营业期限", f"{date_cn(doc.established_on, pad=True)}至长期"),
            (addr_label, doc.address),
        ]
    else:
        left_rows += [
            ("注册资本", doc.registered_capital),
            ("成立日期", date_cn(doc.established_on, pad=True)),
            (addr_label, doc.address),
            ("经营范围", _scope(rng)),
        ]
        right_rows = []

    lw = lf.getlength("法定代表人")
    col_w = (w - 260) / 2 if right_rows else w - 300
    y0 = 410 + rng.randint(-6, 6)

    def rows(x: float, y: float, items: list[tuple[str, str]], width: float) -> None:
        for label, value in items:
            draw_spaced(d, (x, y), label, lf, INK, width=lw)
            vx = x + lw + 30
            vfont = fonts.font(val_face, vf_size if label != "经营范围" else vf_size - 4)
            lines = wrap_width(value, vfont, width - lw - 40)
            max_lines = 6 if label == "经营范围" else 3
            for i, ln in enumerate(lines[:max_lines]):
                d.text((vx, y + i * (vfont.size + 10)), ln, font=vfont, fill=INK)
            y += max(1, min(len(lines), max_lines)) * (vfont.size + 10) + 22

    rows(110, y0, left_rows, col_w)
    if right_rows:
        rows(110 + col_w + 40, y0, right_rows, col_w)

    # Registration authority, date and seal at the bottom right.
    af = fit_font(val_face, "登记机关", 400, 30)
    ax, ay = w - 470, h - 250
    d.text((ax, ay), "登记机关", font=af, fill=INK)
    date_text = date_cn(doc.issued_on)
    d.text((ax + 40, ay + 110), date_text, font=fonts.font(val_face, 30), fill=INK)
    draw_round_seal(img, (ax + 200, ay + 60), 105, doc.registration_authority, rng=rng)
    # QR-like block that real licences carry (国家企业信用信息公示系统).
    _fake_qr(d, (130, h - 270), 150, rng)
    d.text((130, h - 108), "国家企业信用信息公示系统网址：", font=fonts.font(val_face, 20), fill=INK)
    return img


def _fake_qr(d: ImageDraw.ImageDraw, xy: tuple[float, float], size: int, rng: random.Random) -> None:
    n = 25
    cell = size / n
    x0, y0 = xy
    for i in range(n):
        for j in range(n):
            finder = any(
                i in r and j in c
                for r, c in ((range(7), range(7)), (range(7), range(18, 25)), (range(18, 25), range(7)))
            )
            if finder:
                on = i in (0, 6, 18, 24) or j in (0, 6, 18, 24) or (2 <= i % 18 <= 4 and 2 <= j % 18 <= 4)
            else:
                on = rng.random() < 0.5
            if on:
                d.rectangle(
                    (x0 + j * cell, y0 + i * cell, x0 + (j + 1) * cell, y0 + (i + 1) * cell), fill=(0, 0, 0)
                )


_SCOPES = (
    "软件开发；信息技术咨询服务；信息系统集成服务；数据处理和存储支持服务；技术服务、技术开发、技术咨询、"
    "技术交流、技术转让、技术推广",
    "餐饮服务；食品销售；酒类经营；外卖递送服务",
    "建筑装饰材料销售；五金产品零售；日用百货销售；家用电器销售；办公用品销售",
    "物业管理；家政服务；停车场服务；城市绿化管理；专业保洁、清洗、消毒服务",
    "道路货物运输（不含危险货物）；国内货物运输代理；普通货物仓储服务；装卸搬运",
    "美容服务；理发服务；养生保健服务（非医疗）；化妆品零售",
)


def _scope(rng: random.Random) -> str:
    return rng.choice(_SCOPES) + "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"


def render_property_certificate(doc: PropertyCertificate, *, rng: random.Random) -> Image.Image:
    """The register page of a 不动产权证书: certificate number on top and the rights table."""
    w, h = 1240, 1754
    img = paper((w, h), rng, tint=(rng.randint(246, 252), rng.randint(244, 250), rng.randint(236, 244)))
    d = ImageDraw.Draw(img)
    face = fonts.pick(rng, fonts.available(fonts.CJK_FACES))
    head = fonts.font(face, rng.randint(34, 38))
    d.text((w / 2, 150), doc.certificate_no, font=head, fill=INK, anchor="mm")
    line_c = rng.choice(((40, 90, 60), (30, 30, 30), (60, 70, 110)))
    x0, x1 = 110, w - 110
    label_w = 250
    f = fonts.font(face, rng.randint(28, 31))
    share = "单独所有" if rng.random() < 0.75 else "共同共有"
    unit_no = (
        f"510107{rng.randint(0, 999999):06d}GB{rng.randint(0, 99999):05d}F{rng.randint(0, 99999999):08d}"
    )
    rows = [
        ("权利人", doc.owner_name),
        ("共有情况", share),
        ("坐落", doc.address),
        ("不动产单元号", unit_no),
        (
            "权利类型",
            rng.choice(("国有建设用地使用权/房屋所有权", "国有建设用地使用权/房屋（构筑物）所有权")),
        ),
        ("权利性质", "出让/市场化商品房"),
        ("用途", f"城镇住宅用地/{doc.usage}"),
        (
            "面积",
            f"共有宗地面积{rng.randint(8000, 40000)}.{rng.randint(0, 99):02d}㎡"
            f"/房屋建筑面积{doc.area_m2:.2f}㎡",
        ),
        (
            "使用期限",
            f"国有建设用地使用权 {doc.issued_on.year - rng.randint(1, 15)}年01月01日起"
            f"{doc.issued_on.year + 55}年12月31日止",
        ),
        (
            "权利其他状况",
            f"证件号码：{doc.owner_id_number}\n专有建筑面积：{doc.area_m2 * 0.82:.2f}㎡，"
            f"分摊建筑面积：{doc.area_m2 * 0.18:.2f}㎡\n房屋结构：钢筋混凝土结构",
        ),
    ]
    y: float = 230
    top = y
    for label, value in rows:
        lines = wrap_width(value, f, x1 - x0 - label_w - 40)
        row_h = max(90, len(lines) * (f.size + 14) + 40)
        if label == "权利其他状况":
            row_h = max(row_h, 300)
        d.text((x0 + label_w / 2, y + row_h / 2), label, font=f, fill=INK, anchor="mm")
        for i, ln in enumerate(lines):
            d.text((x0 + label_w + 24, y + 22 + i * (f.size + 14)), ln, font=f, fill=INK)
        y += row_h
        d.line((x0, y, x1, y), fill=line_c, width=2)
    d.line((x0 + label_w, top, x0 + label_w, y), fill=line_c, width=2)
    d.rectangle((x0, top, x1, y), outline=line_c, width=3)
    d.text(
        (x1, y + 60), f"登簿日期：{date_cn(doc.issued_on)}", font=fonts.font(face, 26), fill=INK, anchor="ra"
    )
    draw_round_seal(
        img, (x1 - 180, y + 60), 110, "成都市不动产登记中心", rng=rng, centre_text="不动产登记专用章"
    )
    return img


def _letter(
    title: str,
    issuer: str,
    body: str,
    issued_on: str,
    rng: random.Random,
    *,
    header: str | None = None,
) -> Image.Image:
    """A one-page official letter: letterhead, title, body, signature line, seal over the issuer."""
    w, h = LETTER_SIZE
    img = paper((w, h), rng)
    d = ImageDraw.Draw(img)
    face = fonts.pick(rng, fonts.available(fonts.CJK_FACES))
    if header:
        hf = fit_font(face, header, w - 240, 52)
        head_colour = rng.choice(((180, 20, 24), (20, 40, 120), (20, 20, 20)))
        d.text((w / 2, 130), header, font=hf, fill=head_colour, anchor="mm")
        d.line((100, 185, w - 100, 185), fill=head_colour, width=4)
        d.line((100, 193, w - 100, 193), fill=head_colour, width=1)
    tf = fonts.font(face, rng.randint(58, 66))
    d.text((w / 2, 300 + rng.randint(-10, 10)), title, font=tf, fill=INK, anchor="mm")
    bf = fonts.font(face, rng.randint(34, 38))
    margin = rng.randint(120, 150)
    lh = int(bf.size * rng.uniform(1.7, 2.0))
    y = 420
    for para in body.split("\n"):
        lines = wrap_width("\u3000\u3000" + para, bf, w - 2 * margin)
        for ln in lines:
            d.text((margin, y), ln, font=bf, fill=INK)
            y += lh
        y += lh // 3
    y += lh
    right = w - margin
    d.text((right, y), issuer, font=bf, fill=INK, anchor="ra")
    d.text((right, y + lh), issued_on, font=bf, fill=INK, anchor="ra")
    seal_x = right - bf.getlength(issuer) / 2
    draw_round_seal(
        img, (seal_x + rng.uniform(-20, 20), y + lh * 0.5 + rng.uniform(-10, 10)), 150, issuer, rng=rng
    )
    return img


def render_enrollment_certificate(doc: EnrollmentCertificate, *, rng: random.Random) -> Image.Image:
    """A school's 在读证明 / 学籍证明 letter with its round seal."""
    title = rng.choice(("在读证明", "学籍证明", "在校证明"))
    ent = f"{doc.enrolled_on.year}年{doc.enrolled_on.month}月"
    if rng.random() < 0.5:
        body = (
            f"兹证明{doc.student_name}（身份证号：{doc.id_number}）系我校{doc.major}专业全日制在读学生，"
            f"学号{doc.student_no}，于{ent}入学。\n特此证明。"
        )
    else:
        body = (
            f"兹有{doc.student_name}同学，公民身份号码{doc.id_number}，学号：{doc.student_no}，"
            f"{ent}入学，现为我校{doc.major}专业全日制在籍在读学生。\n此证明仅用于办理居住证。\n特此证明。"
        )
    when = date_cn_upper(doc.issued_on) if rng.random() < 0.4 else date_cn(doc.issued_on)
    return _letter(title, doc.school, body, when, rng, header=doc.school if rng.random() < 0.7 else None)


def render_lodging_certificate(doc: LodgingCertificate, *, rng: random.Random) -> Image.Image:
    """An employer's or school's 住宿证明 letter with its round seal."""
    since = date_cn(doc.since)
    if rng.random() < 0.5:
        body = (
            f"兹证明{doc.resident_name}（身份证号码：{doc.id_number}）自{since}起"
            f"居住在我单位提供的宿舍，住址为{doc.address}。\n特此证明。"
        )
    else:
        body = (
            f"{doc.resident_name}，公民身份号码{doc.id_number}，系我单位人员，"
            f"自{since}起至今在{doc.address}住宿。\n情况属实，特此证明。"
        )
    when = date_cn_upper(doc.issued_on) if rng.random() < 0.4 else date_cn(doc.issued_on)
    return _letter("住宿证明", doc.issuer, body, when, rng, header=doc.issuer if rng.random() < 0.5 else None)
