"""房屋租赁合同 and 劳动合同 as PDFs, in several templates with different wording.

Real contracts come from many sources (agency forms, the city's model text, a landlord's own
Word file), so each template words the parties, the term and the money differently; an extractor
tuned to one of them should fail on the others.
"""

from __future__ import annotations

import random
from datetime import date

from samplecity.documents import LaborContract, LeaseContract
from samplecity.render.common import date_cn, yuan_upper
from samplecity.render.pages import Block, render_document


def _dash(d: date) -> str:
    return f"{d.year}-{d.month:02d}-{d.day:02d}"


def _date(d: date, rng: random.Random) -> str:
    return date_cn(d, pad=rng.random() < 0.3)


_LEASE_CLAUSES: tuple[tuple[str, str], ...] = (
    (
        "房屋用途",
        "该房屋用途为居住。除双方另有约定外，乙方不得擅自改变房屋用途，不得利用该房屋从事违法活动。",
    ),
    ("交付", "甲方应于租赁期限开始之日将房屋及附属设施交付乙方使用，双方共同查验并签署交接清单。"),
    ("押金", "乙方应于签订本合同时向甲方支付押金，押金在租赁期满且乙方结清各项费用、交还房屋后无息退还。"),
    (
        "费用承担",
        "租赁期间，水费、电费、燃气费、网络费及物业管理费由乙方承担；房屋租赁税费按有关规定由甲方承担。",
    ),
    (
        "维修责任",
        "租赁期间，房屋及其附属设施出现非乙方原因造成的损坏，由甲方负责维修；"
        "因乙方使用不当造成损坏的，由乙方负责修复或赔偿。",
    ),
    ("转租", "未经甲方书面同意，乙方不得将房屋全部或部分转租、转借给他人。"),
    ("合同解除", "任何一方提前解除合同的，应提前三十日书面通知对方，并按一个月租金标准向对方支付违约金。"),
    ("续租", "租赁期满，乙方如需继续承租，应于期满前三十日向甲方提出，同等条件下乙方享有优先承租权。"),
    ("居住登记", "乙方应按照《成都市居住证管理实施办法》的规定办理居住登记，甲方应予以配合并提供相关资料。"),
    ("争议解决", "本合同履行中发生争议的，双方协商解决；协商不成的，可向房屋所在地人民法院提起诉讼。"),
    ("其他", "本合同未尽事宜，双方可另行签订补充协议，补充协议与本合同具有同等法律效力。"),
)


def _clauses(
    rng: random.Random, pool: tuple[tuple[str, str], ...], lo: int, hi: int
) -> list[tuple[str, str]]:
    k = rng.randint(lo, min(hi, len(pool)))
    picked = sorted(rng.sample(range(len(pool)), k))
    return [pool[i] for i in picked]


_CN_NUM = "一二三四五六七八九十"


def _cn(n: int) -> str:
    if n <= 10:
        return _CN_NUM[n - 1]
    return "十" + _CN_NUM[n - 11] if n < 20 else "二十" + ("" if n == 20 else _CN_NUM[n - 21])


def _lease_blocks(doc: LeaseContract, rng: random.Random) -> list[Block]:
    t = rng.randrange(3)
    rent = doc.monthly_rent
    upper = rng.random() < 0.6
    blocks: list[Block] = []
    reg_top = doc.registration_no is not None and rng.random() < 0.5
    if t == 0:
        blocks.append(Block("title", "房屋租赁合同"))
        if reg_top:
            blocks.append(Block("right", f"租赁登记备案号：{doc.registration_no}"))
        blocks += [
            Block("gap"),
            Block("line", f"出租方（甲方）：{doc.landlord_name}"),
            Block("line", f"身份证号码：{doc.landlord_id_number}"),
            Block("line", f"承租方（乙方）：{doc.tenant_name}"),
            Block("line", f"身份证号码：{doc.tenant_id_number}"),
            Block(
                "para",
                "根据《中华人民共和国民法典》及有关法律法规的规定，甲、乙双方在平等、自愿、协商一致的基础上，"
                "就乙方承租甲方房屋事宜，订立本合同。",
            ),
            Block("heading", "第一条  房屋基本情况"),
            Block("para", f"甲方将其合法拥有的房屋出租给乙方使用。房屋坐落：{doc.address}。"),
            Block("heading", "第二条  租赁期限"),
            Block("para", f"租赁期限自{_date(doc.start_on, rng)}起至{_date(doc.end_on, rng)}止。"),
            Block("heading", "第三条  租金及支付方式"),
            Block(
                "para",
                f"月租金为人民币{rent}元"
                + (f"（大写：{yuan_upper(rent)}）" if upper else "")
                + f"，{rng.choice(('按月支付', '按季度支付', '每三个月支付一次'))}"
                + "，乙方应于每期开始前五日内付清。",
            ),
        ]
        n = 4
        heading = True
    elif t == 1:
        blocks.append(Block("title", rng.choice(("房屋租赁合同书", "租房合同"))))
        if reg_top:
            blocks.append(Block("right", f"备案号：{doc.registration_no}"))
        blocks += [
            Block("gap"),
            Block("line", f"出租人：{doc.landlord_name}        证件号码：{doc.landlord_id_number}"),
            Block("line", f"承租人：{doc.tenant_name}        证件号码：{doc.tenant_id_number}"),
            Block("para", "出租人与承租人经友好协商，就房屋租赁事宜达成如下协议，以资共同遵守："),
            Block("para", f"一、出租人同意将其所有的租赁房屋位于{doc.address}，出租给承租人居住使用。"),
            Block("para", f"二、租期：{_dash(doc.start_on)}至{_dash(doc.end_on)}。"),
            Block(
                "para",
                f"三、每月租金{rent}元"
                + (f"，大写{yuan_upper(rent)}" if upper else "")
                + "，租金先付后住，承租人逾期付款超过十五日的，出租人有权解除合同。",
            ),
        ]
        n = 4
        heading = False
    else:
        blocks += [
            Block("title", "成都市房屋租赁合同"),
            Block("center", "（示范文本）"),
        ]
        if reg_top:
            blocks.append(Block("right", f"租赁登记备案号：{doc.registration_no}"))
        blocks += [
            Block("gap"),
            Block("line", f"甲方（出租人）：{doc.landlord_name}"),
            Block("line", f"公民身份号码：{doc.landlord_id_number}"),
            Block("line", f"乙方（承租人）：{doc.tenant_name}"),
            Block("line", f"公民身份号码：{doc.tenant_id_number}"),
            Block("heading", "一、房屋地址"),
            Block("para", f"房屋地址：{doc.address}，建筑结构为钢筋混凝土结构。"),
            Block("heading", "二、租赁期限"),
            Block(
                "para",
                f"租赁期限：{_date(doc.start_on, rng)}起至{_date(doc.end_on, rng)}止，"
                f"共计{_months(doc.start_on, doc.end_on)}个月。",
            ),
            Block("heading", "三、租金"),
            Block(
                "para",
                f"租金标准：人民币{rent}元/月"
                + (f"（{yuan_upper(rent)}）" if upper else "")
                + "。租金支付方式由双方约定，乙方按时足额支付。",
            ),
        ]
        n = 4
        heading = True
    for title, text in _clauses(rng, _LEASE_CLAUSES, 5, 10):
        if heading:
            label = f"第{_cn(n)}条  {title}" if t == 0 else f"{_cn(n)}、{title}"
            blocks += [Block("heading", label), Block("para", text)]
        else:
            blocks.append(Block("para", f"{_cn(n)}、{text}"))
        n += 1
    blocks.append(Block("para", "本合同一式两份，甲、乙双方各执一份，自双方签字之日起生效。"))
    if doc.registration_no is not None and not reg_top:
        blocks.append(Block("line", f"租赁登记备案号：{doc.registration_no}"))
    blocks += _sign_block(
        rng,
        left=("甲方（签字）：" if t != 1 else "出租人（签字）：", doc.landlord_name),
        right=("乙方（签字）：" if t != 1 else "承租人（签字）：", doc.tenant_name),
        signed_on=doc.signed_on,
        seal=None,
    )
    return blocks


def _months(start: date, end: date) -> int:
    return max(
        1, (end.year - start.year) * 12 + end.month - start.month + (1 if end.day >= start.day - 1 else 0)
    )


def _sign_block(
    rng: random.Random,
    *,
    left: tuple[str, str],
    right: tuple[str, str],
    signed_on: date,
    seal: str | None,
) -> list[Block]:
    """Signatures (handwritten names after printed labels) and the signing date on both sides."""
    when = _date(signed_on, rng) if rng.random() < 0.7 else _dash(signed_on)
    blocks = [
        Block("gap"),
        Block("gap"),
        Block("pair", f"{left[0]}|{left[1]}", f"{right[0]}|{right[1]}"),
    ]
    if rng.random() < 0.5:
        blocks.append(Block("pair", "联系电话：", "联系电话："))
    blocks.append(Block("pair", f"日期：{when}", f"日期：{when}"))
    if seal:
        blocks.append(Block("seal", seal, "left"))
    return blocks


def render_lease_contract(doc: LeaseContract, *, rng: random.Random, scanned: bool) -> bytes:
    """A 房屋租赁合同 PDF (1-3 A4 pages); ``scanned`` gives image-only pages without a text layer."""
    return render_document(_lease_blocks(doc, rng), rng=rng, scanned=scanned, title="房屋租赁合同")


_LABOR_CLAUSES: tuple[tuple[str, str], ...] = (
    (
        "工作时间和休息休假",
        "甲方实行标准工时制度，乙方每日工作时间不超过八小时，每周工作时间不超过四十小时。"
        "乙方依法享有法定节假日、年休假、婚假、产假等假期。",
    ),
    (
        "社会保险",
        "甲方依法为乙方办理基本养老、医疗、失业、工伤、生育保险，并按时足额缴纳社会保险费，"
        "个人缴纳部分由甲方从乙方工资中代扣代缴。",
    ),
    (
        "劳动保护和劳动条件",
        "甲方为乙方提供符合国家规定的劳动安全卫生条件和必要的劳动防护用品，"
        "对乙方进行安全生产教育和岗位培训。",
    ),
    ("劳动纪律", "乙方应遵守甲方依法制定的规章制度，服从甲方的工作安排，保守甲方的商业秘密。"),
    ("合同的变更", "经甲乙双方协商一致，可以变更本合同约定的内容，变更应当采用书面形式。"),
    (
        "合同的解除和终止",
        "本合同的解除和终止按照《中华人民共和国劳动合同法》的有关规定执行，"
        "甲方应在解除或终止合同时出具解除或终止劳动合同的证明。",
    ),
    (
        "经济补偿",
        "符合法律规定情形的，甲方应按照乙方在本单位工作的年限，每满一年支付一个月工资的标准向乙方支付经济补偿。",
    ),
    (
        "劳动争议处理",
        "因履行本合同发生劳动争议的，当事人可以向甲方劳动争议调解委员会申请调解，"
        "也可以直接向成都市劳动人事争议仲裁委员会申请仲裁。",
    ),
    ("其他约定", "本合同未尽事宜，按国家和四川省、成都市有关规定执行。"),
)


def _labor_blocks(doc: LaborContract, rng: random.Random) -> list[Block]:
    t = rng.randrange(2)
    salary = doc.monthly_salary
    start = _date(doc.start_on, rng)
    if doc.end_on is None:
        term = f"无固定期限：自{start}起。"
    else:
        term = f"固定期限：自{start}起至{_date(doc.end_on, rng)}止。"
    probation = rng.choice(("", "其中试用期为三个月。", "其中试用期为两个月。", "不约定试用期。"))
    blocks: list[Block]
    if t == 0:
        blocks = [
            Block("title", "劳动合同书"),
            Block("gap"),
            Block("line", f"用人单位（甲方）：{doc.employer_name}"),
            Block("line", f"统一社会信用代码：{doc.employer_uscc}"),
            Block("line", f"住所：{doc.employer_address}"),
            Block("gap"),
            Block("line", f"劳动者（乙方）：{doc.employee_name}"),
            Block("line", f"身份证号码：{doc.employee_id_number}"),
            Block(
                "para",
                "根据《中华人民共和国劳动法》《中华人民共和国劳动合同法》等法律法规，甲乙双方经平等自愿、"
                "协商一致，签订本劳动合同，共同遵守本合同所列条款。",
            ),
            Block("heading", "第一条  合同期限"),
            Block("para", f"本合同为{term}{probation}"),
            Block("heading", "第二条  工作内容和工作地点"),
            Block(
                "para",
                f"乙方同意根据甲方工作需要，担任{doc.position}岗位工作，工作地点为{doc.employer_address}。",
            ),
            Block("heading", "第三条  劳动报酬"),
            Block(
                "para",
                f"甲方每月以货币形式支付乙方工资，月工资为人民币{salary}元"
                + (f"（{yuan_upper(salary)}）" if rng.random() < 0.5 else "")
                + "，于每月十五日前足额支付上月工资。",
            ),
        ]
        n = 4
    else:
        blocks = [
            Block("title", "劳动合同"),
            Block("center", rng.choice(("（全日制）", "（成都市劳动合同示范文本）"))),
            Block("gap"),
            Block("line", f"甲方（用人单位）：{doc.employer_name}"),
            Block("line", f"统一社会信用代码：{doc.employer_uscc}"),
            Block("line", f"注册地址：{doc.employer_address}"),
            Block("line", f"乙方（劳动者）：{doc.employee_name}"),
            Block("line", f"身份证号码：{doc.employee_id_number}"),
            Block("heading", "一、合同期限"),
            Block("para", f"甲乙双方选择以下方式确定本合同期限：{term}{probation}"),
            Block("heading", "二、工作岗位"),
            Block(
                "para",
                f"工作岗位：{doc.position}。乙方应按照甲方的要求，按时完成规定的工作数量，达到规定的质量标准。",
            ),
            Block("heading", "三、劳动报酬"),
            Block("para", f"劳动报酬：乙方月工资{salary}元，甲方不得克扣或者无故拖欠乙方工资。"),
        ]
        n = 4
    for title, text in _clauses(rng, _LABOR_CLAUSES, 5, 9):
        label = f"第{_cn(n)}条  {title}" if t == 0 else f"{_cn(n)}、{title}"
        blocks += [Block("heading", label), Block("para", text)]
        n += 1
    blocks.append(Block("para", "本合同一式两份，甲乙双方各执一份，经双方签字盖章后生效。"))
    blocks += _sign_block(
        rng,
        left=("甲方（盖章）：", ""),
        right=("乙方（签字）：", doc.employee_name),
        signed_on=doc.signed_on,
        seal=_seal_text(doc.employer_name),
    )
    return blocks


def _seal_text(name: str) -> str:
    return name if len(name) <= 18 else name[:18]


def render_labor_contract(doc: LaborContract, *, rng: random.Random, scanned: bool) -> bytes:
    """A 劳动合同 PDF (1-3 A4 pages) with the employer's seal; ``scanned`` gives image-only pages."""
    return render_document(_labor_blocks(doc, rng), rng=rng, scanned=scanned, title="劳动合同")
