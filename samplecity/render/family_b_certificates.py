"""Family "b" certificates as images: 营业执照, 不动产权证书, 学籍/就读证明, 住宿证明 and the 居住证 card.

The held-out family (issue 11 item 4). Compared with family "a" (certificates.py, idcard.py) the
label words are other synonyms, values sit under their labels or in ruled table cells (an address
wraps inside its cell), the school's name appears only in its seal and in the footer or a table cell,
and seals are stamped over printed text. Each rendering picks its arrangement from the rng.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw, ImageFont

from samplecity.documents import (
    BusinessLicense,
    EnrollmentCertificate,
    LodgingCertificate,
    OldPermit,
    PropertyCertificate,
)
from samplecity.render import fonts
from samplecity.render.certificates import _fake_qr, _scope
from samplecity.render.common import (
    INK,
    date_cn,
    date_cn_upper,
    date_dotted,
    draw_round_seal,
    fit_font,
    guilloche,
    paper,
    rounded_card,
    wrap_width,
)
from samplecity.render.idcard import _emblem, card_photo

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Box:
    """A table cell in pixels: ``label`` small on top (or on the left with ``side``) and ``text``."""

    text: str
    label: str = ""
    span: int = 1
    side: bool = False  # label in its own cell left of the value (ruled label | value tables)


def grid(
    d: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    widths: Sequence[float],
    rows: Sequence[Sequence[Box]],
    *,
    lf: ImageFont.FreeTypeFont,
    vf: ImageFont.FreeTypeFont,
    ruled: bool,
    colour: RGB = INK,
    label_colour: RGB = INK,
    pad: int = 14,
    min_h: int = 0,
) -> list[tuple[float, float]]:
    """Draw rows of cells; returns each row's top and bottom. A cell's value wraps inside it."""
    x0, y = xy
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    spans: list[tuple[float, float]] = []
    vlh = int(vf.size * 1.35)
    llh = int(lf.size * 1.3)
    for row in rows:
        col = 0
        laid = []
        height = float(min_h)
        for box in row:
            a, b = xs[col], xs[min(col + box.span, len(widths))]
            col += box.span
            lines = wrap_width(box.text, vf, b - a - 2 * pad) if box.text else []
            if box.side:
                height = max(height, len(lines) * vlh + 2 * pad, llh + 2 * pad)
            else:
                head = llh if box.label else 0
                height = max(height, head + len(lines) * vlh + 2 * pad)
            laid.append((a, b, box, lines))
        for a, b, box, lines in laid:
            if box.side:
                # Label and value are separate cells: the label centred, the value left.
                d.text(((a + b) / 2, y + height / 2), box.label, font=lf, fill=label_colour, anchor="mm")
            else:
                ty = y + pad
                if box.label:
                    d.text((a + pad, ty), box.label, font=lf, fill=label_colour)
                    ty += llh
                elif len(lines) * vlh < height - 2 * pad:
                    ty = y + (height - len(lines) * vlh) / 2
                for i, ln in enumerate(lines):
                    d.text((a + pad, ty + i * vlh), ln, font=vf, fill=INK)
            if ruled:
                d.line((a, y, a, y + height), fill=colour, width=2)
                d.line((b, y, b, y + height), fill=colour, width=2)
        if ruled:
            d.line((xs[0], y, xs[-1], y), fill=colour, width=2)
            d.line((xs[0], y + height, xs[-1], y + height), fill=colour, width=2)
        spans.append((y, y + height))
        y += height
    return spans


def _side(label: str, value: str, span: int = 1) -> list[Box]:
    """A ruled label cell followed by its value cell."""
    return [Box("", label=label, side=True), Box(value, span=span)]


def _ym(d: date, rng: random.Random) -> str:
    return rng.choice((f"{d.year}年{d.month}月", f"{d.year}年{d.month:02d}月", f"{d.year}.{d.month:02d}"))


# ----------------------------------------------------------------------------- business licence


def render_business_license_b(doc: BusinessLicense, *, rng: random.Random) -> Image.Image:
    """A 营业执照 with values under their labels in a grid, or an older ruled label|value table."""
    portrait = rng.random() < 0.35
    size = (1130, 1600) if portrait else (1600, 1130)
    w, h = size
    base = (rng.randint(246, 252), rng.randint(246, 251), rng.randint(240, 248))
    img = guilloche(size, rng, base=base, line=(base[0] - 6, base[1] - 10, base[2] - 12), curves=24)
    d = ImageDraw.Draw(img)
    frame = rng.choice(((170, 120, 50), (150, 40, 40), (90, 60, 40)))
    m = rng.randint(24, 34)
    d.rectangle((m, m, w - m, h - m), outline=frame, width=3)
    d.rectangle((m + 8, m + 8, w - m - 8, h - m - 8), outline=frame, width=1)
    face = fonts.pick(rng, fonts.available(fonts.CJK_FACES))
    tf = fonts.font(
        fonts.pick(rng, fonts.available(fonts.SERIF_FACES + fonts.KAI_FACES)), rng.randint(80, 92)
    )
    _emblem(img, (w / 2, 120), 52)
    d.text((w / 2, 230), "营业执照", font=tf, fill=(28, 22, 22), anchor="mm")
    d.text(
        (w / 2, 300),
        rng.choice(("（副本）", "副 本", "(副本)")),
        font=fonts.font(face, 30),
        fill=INK,
        anchor="mm",
    )

    individual = "个体" in doc.type
    rep = "经营者" if individual else rng.choice(("法定代表人", "法定代表人（负责人）", "法定代表人"))
    addr = "经营场所" if individual else rng.choice(("住所", "住所（经营场所）", "企业住所"))
    name_l = (
        rng.choice(("名称", "企业名称", "主体名称")) if not individual else rng.choice(("名称", "字号名称"))
    )
    type_l = rng.choice(("类型", "主体类型", "企业类型"))
    est_l = rng.choice(("成立日期", "注册日期", "设立日期"))
    code_l = rng.choice(("统一社会信用代码", "社会信用代码", "统一社会信用代码"))
    est = date_cn(doc.established_on, pad=rng.random() < 0.6)
    lf = fonts.font(fonts.pick(rng, fonts.available(fonts.SANS_FACES)), rng.randint(22, 25))
    vf = fonts.font(face, rng.randint(28, 31))
    label_colour = rng.choice(((110, 70, 40), (60, 60, 60), (40, 60, 110)))
    x0 = m + 70
    inner = w - 2 * x0
    y: float = 360
    if rng.random() < 0.5:
        # Code in a box at the top left, label over value; QR code at the top right.
        cw = vf.getlength(doc.uscc) + 60
        d.rectangle((x0, y, x0 + cw, y + lf.size + vf.size + 50), outline=label_colour, width=2)
        d.text((x0 + 20, y + 14), code_l, font=lf, fill=label_colour)
        d.text((x0 + 20, y + 24 + lf.size), doc.uscc, font=vf, fill=INK)
        _fake_qr(d, (int(w - x0 - 140), y - 10), 130, rng)
        y += lf.size + vf.size + 80
        rows_code: list[list[Box]] = []
    else:
        _fake_qr(d, (int(w - x0 - 130), 90), 120, rng)
        rows_code = [[Box(doc.uscc, label=code_l, span=2)]]
    layout = rng.randrange(2)
    if layout == 0:
        cols = 1 if portrait else 2
        cells = [
            Box(doc.name, label=name_l, span=cols),
            Box(doc.type, label=type_l),
            Box(doc.legal_representative, label=rep),
            Box(doc.registered_capital, label="注册资本"),
            Box(est, label=est_l),
            Box(doc.address, label=addr, span=cols),
            Box(_scope(rng), label="经营范围", span=cols),
        ]
        rows: list[list[Box]] = (
            [list(r) for r in rows_code]
            if cols == 2
            else [[Box(c.text, label=c.label)] for r in rows_code for c in r]
        )
        cur: list[Box] = []
        used = 0
        for c in cells:
            if used + c.span > cols:
                rows.append(cur)
                cur, used = [], 0
            cur.append(Box(c.text, label=c.label, span=min(c.span, cols)))
            used += min(c.span, cols)
        rows.append(cur)
        widths = [inner / cols] * cols
        ruled = rng.random() < 0.5
        vsize = int(vf.size)  # Pillow types a font's size float; fonts.font loads whole pixels
    else:
        lw = (
            lf.getlength("法定代表人（负责人）") + 30
            if not portrait
            else lf.getlength("统一社会信用代码") + 30
        )
        lw = max(lw, lf.getlength(code_l) + 30)
        vw = (inner - 2 * lw) / 2 if not portrait else inner - lw
        rows = []
        if rows_code:
            rows.append(_side(code_l, doc.uscc, span=3 if not portrait else 1))
        rows.append(_side(name_l, doc.name, span=3 if not portrait else 1))
        pairs = [
            (type_l, doc.type),
            (rep, doc.legal_representative),
            ("注册资本", doc.registered_capital),
            (est_l, est),
        ]
        if portrait:
            rows += [_side(a, b) for a, b in pairs]
        else:
            rows += [_side(*pairs[0]) + _side(*pairs[1]), _side(*pairs[2]) + _side(*pairs[3])]
        rows.append(_side(addr, doc.address, span=3 if not portrait else 1))
        rows.append(_side("经营范围", _scope(rng), span=3 if not portrait else 1))
        widths = [lw, vw, lw, vw] if not portrait else [lw, vw]
        ruled = True
        vsize = int(vf.size) - 2
    ax, ay = w - x0 - 360, h - m - 200
    # Shrink the values until the form ends above the authority's block (measured on scratch paper).
    for _ in range(6):
        scratch = ImageDraw.Draw(Image.new("RGB", size))
        spans = grid(scratch, (x0, y), widths, rows, lf=lf, vf=fonts.font(face, vsize), ruled=ruled, pad=12)
        if spans[-1][1] <= ay - 20:
            break
        vsize -= 2
    grid(
        d,
        (x0, y),
        widths,
        rows,
        lf=lf,
        vf=fonts.font(face, vsize),
        ruled=ruled,
        colour=label_colour,
        label_colour=label_colour,
        pad=12,
    )
    # Authority and date at the bottom right, the seal stamped over both.
    d.text((ax, ay), "登记机关", font=fonts.font(face, 30), fill=INK)
    d.text((ax, ay + 90), date_cn(doc.issued_on), font=fonts.font(face, 30), fill=INK)
    draw_round_seal(img, (ax + 140 + rng.uniform(-20, 20), ay + 50), 100, doc.registration_authority, rng=rng)
    d.text(
        (x0, h - m - 60),
        "市场主体应当于每年1月1日至6月30日通过国家企业信用信息公示系统报送公示年度报告。",
        font=fonts.font(face, 18),
        fill=INK,
    )
    return img


# ----------------------------------------------------------------------------- property certificate


def _split_cert_no(no: str) -> tuple[str, str]:
    i = no.find("不动产权")
    return (no[:i], no[i:]) if i > 0 else (no, "")


def render_property_certificate_b(doc: PropertyCertificate, *, rng: random.Random) -> Image.Image:
    """The register page of a 不动产权证书 as a ruled table, the address wrapping inside its cell."""
    w, h = 1240, 1754
    img = paper((w, h), rng, tint=(rng.randint(244, 252), rng.randint(246, 252), rng.randint(240, 246)))
    d = ImageDraw.Draw(img)
    face = fonts.pick(rng, fonts.available(fonts.CJK_FACES))
    f = fonts.font(face, rng.randint(29, 32))
    lf = fonts.font(face, int(f.size) - rng.randint(0, 4))
    colour = rng.choice(((30, 90, 60), (40, 40, 40), (120, 40, 40)))
    head, tail = _split_cert_no(doc.certificate_no)
    where = rng.randrange(3)
    y: float = 120
    if where == 0:
        # Two lines at the top right, as printed on the booklet's register page.
        hf = fonts.font(face, rng.randint(32, 36))
        d.text((w - 120, y), head, font=hf, fill=INK, anchor="ra")
        d.text((w - 120, y + hf.size + 16), tail, font=hf, fill=INK, anchor="ra")
        y += 2 * hf.size + 70
    elif where == 1:
        hf = fonts.font(face, rng.randint(30, 34))
        d.text((120, y), "证号", font=hf, fill=colour)
        d.text((120 + hf.getlength("证号") + 30, y), doc.certificate_no, font=hf, fill=INK)
        y += hf.size + 60
    else:
        y += 20
    unit_no = (
        f"510107{rng.randint(0, 999999):06d}GB{rng.randint(0, 99999):05d}F{rng.randint(0, 99999999):08d}"
    )
    share = rng.choice(("单独所有", "单独所有", "共同共有", "按份共有"))
    addr_l = rng.choice(("房屋坐落", "坐落", "房地坐落"))
    owner_l = rng.choice(("权利人", "权利人（姓名）", "房屋所有权人"))
    area = rng.choice(
        (
            f"房屋建筑面积{doc.area_m2:.2f}平方米",
            f"建筑面积：{doc.area_m2:.2f}㎡",
            f"{doc.area_m2:.2f}㎡（房屋建筑面积）",
        )
    )
    rows_data = [
        (owner_l, doc.owner_name),
        ("共有情况", share),
        (addr_l, doc.address),
        ("不动产单元号", unit_no),
        ("权利类型", "国有建设用地使用权/房屋所有权"),
        ("权利性质", rng.choice(("出让/商品房", "出让/市场化商品房", "划拨/房改房"))),
        ("用途", rng.choice((f"住宅用地/{doc.usage}", f"城镇住宅用地/{doc.usage}", doc.usage))),
        ("面积", area),
        ("使用期限", f"{doc.issued_on.year + rng.randint(40, 60)}年12月31日止"),
        ("权利其他状况", f"身份证号码：{doc.owner_id_number}；房屋结构：钢混；总层数：{rng.randint(6, 33)}"),
    ]
    if rng.random() < 0.5:
        rows_data[2], rows_data[3] = rows_data[3], rows_data[2]
    if where == 2:
        rows_data.insert(0, ("不动产权证号", doc.certificate_no))
    x0 = rng.randint(100, 130)
    inner = w - 2 * x0
    layout = rng.randrange(3)
    if layout == 0:
        # label | value, with a narrow value column so an address runs onto two lines.
        lw = max(lf.getlength(lab) for lab, _ in rows_data) + 40
        vw = min(inner - lw, f.getlength("国") * rng.randint(17, 21) + 30)
        rows = [_side(lab, val) for lab, val in rows_data]
        spans = grid(d, (x0, y), [lw, vw], rows, lf=lf, vf=f, ruled=True, colour=colour, min_h=80)
    elif layout == 1:
        # Two label|value pairs per row; the address, unit number and notes span the row.
        lw = lf.getlength("不动产单元号") + 36
        vw = (inner - 2 * lw) / 2
        wide = {addr_l, "不动产单元号", "权利其他状况", "权利类型", "不动产权证号", "使用期限"}
        rows = []
        pending: list[Box] = []
        for lab, val in rows_data:
            if lab in wide:
                if pending:
                    rows.append([*pending, Box("", span=2)])
                    pending = []
                rows.append(_side(lab, val, span=3))
            else:
                pending += _side(lab, val)
                if len(pending) == 4:
                    rows.append(pending)
                    pending = []
        if pending:
            rows.append([*pending, Box("", span=2)])
        spans = grid(d, (x0, y), [lw, vw, lw, vw], rows, lf=lf, vf=f, ruled=True, colour=colour, min_h=76)
    else:
        # Values under their labels, two cells a row.
        rows = []
        for i in range(0, len(rows_data), 2):
            pair = rows_data[i : i + 2]
            rows.append([Box(v, label=lab) for lab, v in pair] + ([Box("")] if len(pair) == 1 else []))
        spans = grid(
            d,
            (x0, y),
            [inner * 0.5, inner * 0.5],
            rows,
            lf=fonts.font(face, int(lf.size) - 4),
            vf=f,
            ruled=True,
            colour=colour,
            label_colour=colour,
        )
    bottom = spans[-1][1]
    when = rng.choice((date_cn(doc.issued_on), date_cn(doc.issued_on, pad=True)))
    label = rng.choice(("登簿日期", "发证日期", "登记时间"))
    d.text((w - x0, bottom + 90), f"{label}：{when}", font=fonts.font(face, 28), fill=INK, anchor="ra")
    draw_round_seal(
        img,
        (w - x0 - 170 + rng.uniform(-30, 30), bottom + 80),
        115,
        "成都市规划和自然资源局",
        rng=rng,
        centre_text="不动产登记专用章",
    )
    return img


# ----------------------------------------------------------------------------- letters


def _letter_page(rng: random.Random) -> tuple[Image.Image, ImageDraw.ImageDraw, fonts.FontFace]:
    img = paper((1240, 1754), rng)
    return img, ImageDraw.Draw(img), fonts.pick(rng, fonts.available(fonts.CJK_FACES))


_FACULTIES = (
    "信息工程学院",
    "经济管理学院",
    "外国语学院",
    "机电工程学院",
    "文学与新闻学院",
    "计算机科学学院",
    "艺术学院",
    "化学与材料学院",
)


def render_enrollment_certificate_b(doc: EnrollmentCertificate, *, rng: random.Random) -> Image.Image:
    """A 学籍证明 / 就读证明: 兹证明 and a ruled table; the school only in its seal and footer or a cell."""
    img, d, face = _letter_page(rng)
    w = 1240
    title = rng.choice(("学籍证明", "就读证明", "在读证明", "学 籍 证 明"))
    d.text((w / 2, 200), title, font=fonts.font(face, rng.randint(58, 66)), fill=INK, anchor="mm")
    bf = fonts.font(face, rng.randint(32, 35))
    x0 = rng.randint(120, 150)
    inner = w - 2 * x0
    y: float = 320
    if rng.random() < 0.4:
        d.text((x0, y), rng.choice(("致：有关单位", "成都市公安局：", "有关部门：")), font=bf, fill=INK)
        y += int(bf.size * 2)
    lead = rng.choice(
        (
            "兹证明下列学生系我校全日制在籍在读学生，具体信息如下：",
            "兹证明，以下同学现在我校就读，学籍状态正常。",
            "兹证明：",
        )
    )
    for ln in wrap_width("\u3000\u3000" + lead, bf, inner):
        d.text((x0, y), ln, font=bf, fill=INK)
        y += int(bf.size * 1.8)
    y += 20
    school_in = rng.choice(("cell", "footer", "footer"))
    dept_l = rng.choice(("就读院系", "院（系）", "所在学院"))
    no_l = rng.choice(("学籍号", "学号", "学籍号"))
    id_l = rng.choice(("身份证号", "公民身份号码", "身份证件号"))
    ent_l = rng.choice(("入学年月", "入学时间", "入学日期"))
    years = rng.choice(("四年", "三年", "五年", "4年"))
    lw = bf.getlength("公民身份号码") + 36
    vw = (inner - 2 * lw) / 2
    rows: list[list[Box]] = [
        _side("姓名", doc.student_name) + _side("性别", rng.choice(("男", "女"))),
        _side(id_l, doc.id_number, span=3),
    ]
    if school_in == "cell":
        rows.append(_side(rng.choice(("就读学校", "学校名称", "所在学校")), doc.school, span=3))
    rows += [
        _side(no_l, doc.student_no, span=3),
        _side(dept_l, rng.choice(_FACULTIES)) + _side("专业", doc.major),
        _side("学制", years) + _side(ent_l, _ym(doc.enrolled_on, rng)),
    ]
    if rng.random() < 0.5:
        rows.append(_side("层次", rng.choice(("本科", "专科", "硕士研究生"))) + _side("学习形式", "全日制"))
    spans = grid(d, (x0, y), [lw, vw, lw, vw], rows, lf=bf, vf=bf, ruled=True, min_h=78)
    y = spans[-1][1] + 50
    for ln in wrap_width(
        "\u3000\u3000" + rng.choice(("特此证明。", "此证明仅用于办理居住证，特此证明。")), bf, inner
    ):
        d.text((x0, y), ln, font=bf, fill=INK)
        y += int(bf.size * 1.8)
    y += 120
    when = rng.choice((date_cn_upper(doc.issued_on), date_cn(doc.issued_on), date_dotted(doc.issued_on)))
    right = w - x0
    if school_in == "footer":
        sign = rng.choice((doc.school, f"{doc.school}（盖章）", doc.school))
    else:
        sign = rng.choice(("学生处（盖章）", "教务处", "学籍管理科（章）"))
    d.text((right, y), sign, font=bf, fill=INK, anchor="ra")
    d.text((right, y + int(bf.size * 1.8)), when, font=bf, fill=INK, anchor="ra")
    seal_x = right - bf.getlength(sign) / 2 + rng.uniform(-30, 30)
    draw_round_seal(
        img,
        (seal_x, y + bf.size + rng.uniform(-10, 10)),
        150,
        doc.school,
        rng=rng,
        centre_text=rng.choice(("", "学籍管理专用章")),
    )
    if rng.random() < 0.5:
        d.text(
            (x0, 1754 - 150),
            f"联系电话：028-{rng.randint(60000000, 89999999)}",
            font=fonts.font(face, 26),
            fill=INK,
        )
    return img


def render_lodging_certificate_b(doc: LodgingCertificate, *, rng: random.Random) -> Image.Image:
    """A 住宿证明 letter from an employer or school, the address in prose, its seal over the text."""
    img, d, face = _letter_page(rng)
    w = 1240
    title = rng.choice(
        ("住宿证明", "住 宿 证 明", "员工住宿证明" if "学" not in doc.issuer else "学生住宿证明")
    )
    d.text((w / 2, 210), title, font=fonts.font(face, rng.randint(56, 64)), fill=INK, anchor="mm")
    bf = fonts.font(face, rng.randint(33, 37))
    x0 = rng.randint(120, 150)
    inner = w - 2 * x0
    lh = int(bf.size * rng.uniform(1.8, 2.1))
    y = 330
    d.text(
        (x0, y),
        rng.choice(("成都市公安局：", "致：居住证受理机关", "有关部门：", "派出所：")),
        font=bf,
        fill=INK,
    )
    y += lh
    since = rng.choice((date_cn(doc.since), date_dotted(doc.since), date_cn(doc.since, pad=True)))
    who = "我校" if "学" in doc.issuer else rng.choice(("我公司", "我单位"))
    member = "我校学生" if who == "我校" else "我单位员工"
    t = rng.randrange(3)
    if t == 0:
        body = [
            f"{member}{doc.resident_name}（身份证号：{doc.id_number}），自{since}起由{who}安排住宿，"
            f"住宿地点为{doc.address}，至今一直在此居住。",
            "上述情况属实，特此证明。",
        ]
    elif t == 1:
        body = [
            f"兹有{doc.resident_name}，公民身份号码：{doc.id_number}，于{since}入住{who}提供的集体宿舍。"
            f"宿舍地址：{doc.address}。",
            "该同志住宿期间遵守宿舍管理规定。",
            "特此证明。",
        ]
    else:
        body = [
            f"{doc.resident_name}同志，身份证号码{doc.id_number}，现居住于{who}位于{doc.address}的宿舍，"
            f"入住时间为{since}。",
            "本证明仅用于办理居住证，复印无效。",
        ]
    for para in body:
        for ln in wrap_width("\u3000\u3000" + para, bf, inner):
            d.text((x0, y), ln, font=bf, fill=INK)
            y += lh
    body_end = y
    y += lh
    if rng.random() < 0.5:
        d.text(
            (x0, y), f"经办人：{rng.choice('王李张刘陈杨')}老师    联系电话：{_tel(rng)}", font=bf, fill=INK
        )
        y += lh * 2
    when = rng.choice((date_cn_upper(doc.issued_on), date_cn(doc.issued_on), date_dotted(doc.issued_on)))
    right = w - x0
    if rng.random() < 0.5:
        sign = f"证明单位（盖章）：{doc.issuer}"
        d.text((x0 + inner * 0.2, y), sign, font=bf, fill=INK)
        cx = x0 + inner * 0.2 + bf.getlength(sign) - bf.getlength(doc.issuer) / 2
    else:
        d.text((right, y), doc.issuer, font=bf, fill=INK, anchor="ra")
        cx = right - bf.getlength(doc.issuer) / 2
    d.text((right, y + lh), when, font=bf, fill=INK, anchor="ra")
    # Stamped high, over the signature and the end of the text above it.
    cy = rng.uniform(body_end - lh * 0.8, y)
    draw_round_seal(img, (cx + rng.uniform(-40, 40), cy), 150, doc.issuer, rng=rng)
    return img


def _tel(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"


# ----------------------------------------------------------------------------- old permit


def render_old_permit_b(doc: OldPermit, *, rng: random.Random) -> Image.Image:
    """A 居住证 card with the photo on the left and values under small labels or after them."""
    w, h = 856, 540
    base = (rng.randint(240, 250), rng.randint(236, 246), rng.randint(226, 238))
    img = guilloche(
        (w, h), rng, base=base, line=(base[0] - 10, base[1] - 16, base[2] - 10), curves=rng.randint(28, 40)
    )
    d = ImageDraw.Draw(img)
    accent = rng.choice(((170, 40, 40), (30, 100, 80), (120, 80, 30)))
    person = doc.person
    face = fonts.pick(rng, fonts.available(fonts.CJK_FACES))
    title = rng.choice(("居住证", "四川省居住证", "居 住 证"))
    d.text((30, 22), title, font=fonts.font(face, 36), fill=accent)
    d.line((30, 72, w - 30, 72), fill=accent, width=3)
    pw, ph = 170, 210
    photo, mask = card_photo(person.face_seed, (pw, ph), rng)
    img.paste(photo, (34, 96), mask)
    no_l = rng.choice(("证号", "编号", "居住证号"))
    addr_l = rng.choice(("居住地址", "居住地", "现居住地址"))
    auth_l = rng.choice(("签发机关", "发证机关"))
    date_l = rng.choice(("签发日期", "发证日期"))
    lf = fonts.font(fonts.pick(rng, fonts.available(fonts.SANS_FACES)), 17)
    vf = fonts.font(face, rng.randint(22, 24))
    x = 236
    y: float = 88
    birth = f"{person.birth_date.year}年{person.birth_date.month}月{person.birth_date.day}日"
    when = rng.choice((date_cn(doc.issued_on), date_dotted(doc.issued_on)))
    if rng.random() < 0.5:
        # Values under small labels, two per row where short.
        def cell(xx: float, yy: float, lab: str, val: str, width: float) -> float:
            d.text((xx, yy), lab, font=lf, fill=accent)
            lines = wrap_width(val, vf, width)[:2]
            for i, ln in enumerate(lines):
                d.text((xx, yy + lf.size + 4 + i * (vf.size + 4)), ln, font=vf, fill=INK)
            return lf.size + 4 + len(lines) * (vf.size + 4) + 8

        step = cell(x, y, "姓名", person.name, 200)
        cell(x + 220, y, "性别", person.sex, 80)
        cell(x + 320, y, "民族", person.ethnicity, 120)
        y += step
        y += cell(x, y, "出生", birth, 560)
        y += cell(x, y, "公民身份号码", person.id_number, 560)
        y += cell(x, y, addr_l, doc.residence_address, w - x - 30)
        step = cell(x, y, auth_l, doc.issuing_authority, 330)
        cell(x + 350, y, date_l, when, 230)
        y += step
    else:
        lw = lf.getlength("公民身份号码") + 12
        for lab, val in (
            ("姓名", person.name),
            ("性别", f"{person.sex}    民族  {person.ethnicity}"),
            ("出生", birth),
            ("公民身份号码", person.id_number),
            (addr_l, doc.residence_address),
            (auth_l, doc.issuing_authority),
            (date_l, when),
        ):
            d.text((x, y + 5), lab, font=lf, fill=accent)
            lines = wrap_width(val, vf, w - x - lw - 30)[:2]
            for i, ln in enumerate(lines):
                d.text((x + lw, y + i * (vf.size + 4)), ln, font=vf, fill=INK)
            y += len(lines) * (vf.size + 4) + 11
    # The permit number in a band along the bottom.
    d.rectangle((0, h - 62, w, h), fill=(accent[0] // 2 + 120, accent[1] // 2 + 120, accent[2] // 2 + 120))
    nf = fit_font(fonts.pick(rng, fonts.available(fonts.DIGIT_FACES)), doc.permit_no, 420, 30)
    d.text((34, h - 31), no_l, font=fonts.font(face, 22), fill=INK, anchor="lm")
    d.text((34 + 120, h - 31), doc.permit_no, font=nf, fill=INK, anchor="lm")
    return rounded_card(img, 28)
