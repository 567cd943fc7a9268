"""Family "b" contracts: 房屋租赁合同 and 劳动合同 laid out with tables, boxed headers and two pages.

The held-out family (issue 11 item 4): parties in two-column tables (出租方（甲方）/承租方（乙方）,
用人单位/劳动者), the registration number in a header box or a table row, values under their labels,
terms written 自…起至…止 or 2025.03.01—2026.02.28, a page footer and a second page for signatures.
Each rendering draws its arrangement and label words from the rng, so the family is several
templates, not one.
"""

from __future__ import annotations

import random
from datetime import date

from samplecity.documents import LaborContract, LeaseContract
from samplecity.render.common import date_cn, date_cn_upper, yuan_upper
from samplecity.render.family_b_pages import Cell, Flow, Sheet, paint
from samplecity.render.pages import Style

_FOOTERS = ("第{i}页 共{n}页", "第 {i} 页 / 共 {n} 页", "- {i} -", "共{n}页 第{i}页")
_NUM = "一二三四五六七八九十"


def _num(n: int) -> str:
    if n <= 10:
        return _NUM[n - 1]
    return "十" + _NUM[n - 11] if n < 20 else "二十"


def _dotted(d: date) -> str:
    return f"{d.year}.{d.month:02d}.{d.day:02d}"


def _slash(d: date) -> str:
    return f"{d.year}/{d.month}/{d.day}"


def _written(d: date, rng: random.Random) -> str:
    return rng.choice((date_cn(d), date_cn(d, pad=True), f"{d.year} 年 {d.month} 月 {d.day} 日"))


def _term(start: date, end: date, rng: random.Random) -> str:
    """A term in one of the ways contracts print it."""
    t = rng.randrange(4)
    if t == 0:
        return f"自{_written(start, rng)}起至{_written(end, rng)}止"
    if t == 1:
        return f"{_dotted(start)}—{_dotted(end)}"
    if t == 2:
        return f"{date_cn(start, pad=True)}至{date_cn(end, pad=True)}"
    return f"从{_written(start, rng)}开始，到{_written(end, rng)}结束"


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"


def _clause_heads(rng: random.Random) -> str:
    return rng.choice(("第{n}条", "{n}、", "（{n}）"))


_LEASE_CLAUSES: tuple[tuple[str, str], ...] = (
    ("租赁用途", "乙方承租该房屋仅作居住使用，不得用于生产经营，不得存放易燃易爆等危险物品。"),
    ("房屋交接", "甲方应在约定的起租日前将房屋钥匙交付乙方，双方当场核对水、电、气表读数并签字确认。"),
    ("租赁保证金", "签约时乙方向甲方支付相当于一个月租金的保证金，合同期满房屋无损坏、费用结清后全额退还。"),
    ("相关费用", "租赁期内产生的水、电、燃气、宽带、有线电视及物业服务费用由乙方按实际发生额缴纳。"),
    ("房屋维护", "乙方应合理使用房屋及其设施设备，发现损坏或故障应及时通知甲方，甲方接到通知后七日内修复。"),
    ("装修改造", "乙方如需对房屋进行装修或增设附属设施，须事先征得甲方书面同意，费用由乙方自理。"),
    ("转租与转借", "乙方不得擅自将该房屋转租、转借或与他人调换使用，否则甲方有权解除本合同并收回房屋。"),
    ("提前解约", "合同期内一方要求提前解约的，须提前一个月书面告知对方，并赔偿对方相当于半个月租金的损失。"),
    ("登记备案", "本合同签订后三十日内，双方共同到房屋所在地街道（乡镇）流动人口服务站办理租赁登记备案。"),
    ("不可抗力", "因地震、火灾、政府征收等不可抗力致使合同无法履行的，本合同自然终止，双方互不承担责任。"),
    ("争议处理", "双方因本合同发生纠纷的，应友好协商；协商不成的，任何一方均可向成都仲裁委员会申请仲裁。"),
    ("附则", "本合同自双方签字（盖章）之日起生效，一式叁份，甲乙双方各执一份，备案机关存档一份。"),
)

_LABOR_CLAUSES: tuple[tuple[str, str], ...] = (
    ("工作时间", "乙方所在岗位执行标准工时工作制，甲方因工作需要安排乙方延长工作时间的，依法支付加班工资。"),
    ("休息休假", "乙方享有国家规定的法定节假日、带薪年休假以及婚丧假、产假、护理假等假期。"),
    ("社会保险和福利", "甲乙双方依法参加社会保险，甲方为乙方办理养老、医疗、失业、工伤、生育保险登记手续。"),
    (
        "劳动保护",
        "甲方按国家规定为乙方提供必要的劳动防护用品和劳动条件，定期组织从事有职业危害作业的乙方进行健康检查。",
    ),
    ("规章制度", "甲方依法制定的规章制度已向乙方公示，乙方应当遵守。"),
    ("保密义务", "乙方对在工作中知悉的甲方商业秘密负有保密义务，离职后仍须遵守。"),
    (
        "变更、解除和终止",
        "本合同的变更、解除和终止依照《中华人民共和国劳动合同法》第三十五条至第五十条的规定执行。",
    ),
    ("争议解决", "双方发生劳动争议的，可以协商解决，也可以向劳动人事争议仲裁委员会申请仲裁。"),
    ("其他事项", "本合同条款如与国家新颁布的法律法规相抵触的，以国家法律法规为准。"),
)


def _clauses(flow: Flow, rng: random.Random, pool: tuple[tuple[str, str], ...], first: int, lo: int) -> int:
    head = _clause_heads(rng)
    k = rng.randint(lo, len(pool))
    n = first
    for i in sorted(rng.sample(range(len(pool)), k)):
        title, text = pool[i]
        if rng.random() < 0.5:
            flow.heading(f"{head.format(n=_num(n))}  {title}")
            flow.para(text)
        else:
            flow.para(f"{head.format(n=_num(n))}{title}：{text}", indent=False)
        n += 1
    return n


# ----------------------------------------------------------------------------- lease


def _lease_parties(flow: Flow, doc: LeaseContract, rng: random.Random, reg_in_table: bool) -> None:
    lord, ten = rng.choice(
        (
            ("出租方（甲方）", "承租方（乙方）"),
            ("甲方（出租方）", "乙方（承租方）"),
            ("出租人（甲方）", "承租人（乙方）"),
        )
    )
    id_label = rng.choice(("身份证号码", "证件号码", "居民身份证号"))
    t = rng.randrange(3)
    if t == 0:
        rows = [
            [Cell("", centre=True), Cell(lord, centre=True, bold=True), Cell(ten, centre=True, bold=True)],
            [Cell("姓名", centre=True), Cell(doc.landlord_name), Cell(doc.tenant_name)],
            [Cell(id_label, centre=True), Cell(doc.landlord_id_number), Cell(doc.tenant_id_number)],
            [Cell("联系电话", centre=True), Cell(_phone(rng)), Cell(_phone(rng))],
        ]
        if reg_in_table and doc.registration_no:
            rows.append([Cell("租赁登记备案号", centre=True), Cell(doc.registration_no, span=2)])
        flow.table(rows, (0.22, 0.39, 0.39))
    elif t == 1:
        rows = [
            [Cell(doc.landlord_name, label=lord), Cell(doc.tenant_name, label=ten)],
            [Cell(doc.landlord_id_number, label=id_label), Cell(doc.tenant_id_number, label=id_label)],
        ]
        if reg_in_table and doc.registration_no:
            rows.append([Cell(doc.registration_no, label="租赁登记备案号", span=2)])
        flow.table(rows, (0.5, 0.5))
    else:
        rows = [
            [Cell(f"{lord}：{doc.landlord_name}"), Cell(f"{ten}：{doc.tenant_name}")],
            [Cell(f"{id_label}：{doc.landlord_id_number}"), Cell(f"{id_label}：{doc.tenant_id_number}")],
        ]
        flow.table(rows, (0.5, 0.5), ruled=False)
        if reg_in_table and doc.registration_no:
            flow.line(f"登记备案号：{doc.registration_no}")


def _lease_premises(flow: Flow, doc: LeaseContract, rng: random.Random, n: int) -> int:
    addr_label = rng.choice(("房屋坐落", "房屋座落", "租赁房屋地址", "房屋所在地"))
    area = f"{rng.uniform(35, 140):.2f}"
    rent = doc.monthly_rent
    rent_text = f"人民币{rent}元/月" + (f"（大写：{yuan_upper(rent)}）" if rng.random() < 0.6 else "")
    term = _term(doc.start_on, doc.end_on, rng)
    t = rng.randrange(3)
    head = _clause_heads(rng)
    if t == 0:
        flow.heading(rng.choice(("一、租赁房屋基本情况", "租赁房屋情况一览")))
        flow.table(
            [
                [Cell(addr_label, centre=True), Cell(doc.address, span=3)],
                [Cell("建筑面积", centre=True), Cell(f"{area}㎡"), Cell("用途", centre=True), Cell("居住")],
                [Cell("租赁期限", centre=True), Cell(term, span=3)],
                [Cell("月租金", centre=True), Cell(rent_text, span=3)],
            ],
            (0.2, 0.32, 0.16, 0.32),
        )
        return n + 1
    if t == 1:
        flow.heading(f"{head.format(n=_num(n))}  租赁房屋")
        flow.para(
            f"甲方将其所有的位于{doc.address}的房屋（建筑面积约{area}平方米）出租给乙方作居住使用。"
            "甲方保证对该房屋享有合法的出租权利。"
        )
        flow.heading(f"{head.format(n=_num(n + 1))}  租期")
        flow.para(f"租期{term}。" if term.startswith("自") else f"租赁期限：{term}。")
        flow.heading(f"{head.format(n=_num(n + 2))}  租金")
        flow.para(f"租金为每月{rent_text}，乙方应于每月五日前以转账方式支付当月租金。")
        return n + 3
    # Labels over values in a ruled grid (a form printed by an agency).
    flow.table(
        [
            [Cell(doc.address, label=addr_label, span=2)],
            [Cell(term, label="租赁期限"), Cell(f"{area}平方米", label="建筑面积")],
            [
                Cell(rent_text, label="租金标准"),
                Cell(rng.choice(("按月", "按季", "按半年")), label="支付方式"),
            ],
        ],
        (0.6, 0.4),
    )
    return n


def lease_sheets(doc: LeaseContract, rng: random.Random, style: Style) -> list[Sheet]:
    flow = Flow(style, rng)
    reg_where = rng.choice(("box", "table", "footer", "header")) if doc.registration_no else "none"
    if reg_where == "box":
        label = rng.choice(("租赁登记备案号", "登记备案号", "备案编号"))
        flow.boxed(f"{label}：{doc.registration_no}", align=rng.choice(("right", "left")))
    elif reg_where == "none" and rng.random() < 0.3:
        flow.boxed("租赁登记备案号：" + "\u3000" * 10, align="right")  # left blank: not yet registered
    if rng.random() < 0.5:
        flow.line(f"合同编号：HT{doc.signed_on.year}{rng.randint(0, 99999):05d}", size=style.size * 0.9)
    flow.title(rng.choice(("房屋租赁合同", "住房租赁合同", "房屋租赁协议")), spaced=rng.random() < 0.5)
    flow.gap(0.5)
    _lease_parties(flow, doc, rng, reg_where == "table")
    flow.para(
        rng.choice(
            (
                "依据《中华人民共和国民法典》等有关规定，甲乙双方就房屋租赁事宜，经协商一致，订立本合同。",
                "为明确出租方与承租方的权利义务关系，经双方平等协商，签订本合同，以便共同遵守。",
            )
        )
    )
    n = _lease_premises(flow, doc, rng, 1)
    _clauses(flow, rng, _LEASE_CLAUSES, n, 5)
    if reg_where == "footer":
        flow.gap(0.4)
        flow.line(f"本合同已办理登记备案，备案号：{doc.registration_no}")
    # The signatures go on a page of their own, as when the contract is printed two-sided.
    if len(flow.sheets) == 1 or rng.random() < 0.5:
        flow.page_break()
        flow.line("（以下无正文，为签字页）", align="centre")
    flow.gap(1.0)
    when = rng.choice((date_cn(doc.signed_on), _dotted(doc.signed_on), date_cn_upper(doc.signed_on)))
    if rng.random() < 0.6:
        flow.table(
            [
                [
                    Cell(doc.landlord_name, label="甲方（签字/指印）", hand=True),
                    Cell(doc.tenant_name, label="乙方（签字/指印）", hand=True),
                ],
                [Cell(when, label="签订日期"), Cell(when, label="签订日期")],
            ],
            (0.5, 0.5),
        )
    else:
        flow.table(
            [
                [Cell(f"出租方：{doc.landlord_name}", hand=False), Cell(f"承租方：{doc.tenant_name}")],
                [Cell(f"{when}"), Cell(f"{when}")],
            ],
            (0.5, 0.5),
            ruled=False,
        )
    header = f"租赁登记备案号：{doc.registration_no}" if reg_where == "header" else None
    return flow.finish(rng.choice(_FOOTERS), header=header)


def render_lease_contract_b(doc: LeaseContract, *, rng: random.Random, scanned: bool) -> bytes:
    """A family-b 房屋租赁合同 PDF of two or more pages; ``scanned`` gives image-only pages."""
    style = Style.choose(rng)
    return paint(lease_sheets(doc, rng, style), style, rng, scanned=scanned, title="房屋租赁合同")


# ----------------------------------------------------------------------------- labour


def labor_sheets(doc: LaborContract, rng: random.Random, style: Style) -> list[Sheet]:
    flow = Flow(style, rng)
    if rng.random() < 0.5:
        flow.line(f"编号：LD-{doc.signed_on.year}-{rng.randint(0, 9999):04d}", align="right")
    kind = "无固定期限" if doc.end_on is None else "固定期限"
    flow.title(rng.choice(("劳动合同书", "劳动合同", "全日制劳动合同书")), spaced=rng.random() < 0.4)
    if rng.random() < 0.5:
        flow.line(f"（{kind}）", align="centre")
    flow.gap(0.6)
    uscc_label = rng.choice(("统一社会信用代码", "社会信用代码", "统一社会信用代码/注册号"))
    id_label = rng.choice(("居民身份证号码", "身份证号码", "证件号码"))
    addr_label = rng.choice(("住所", "注册地址", "单位地址", "经营地址"))
    t = rng.randrange(3)
    if t == 0:
        flow.table(
            [
                [
                    Cell("用人单位（甲方）", centre=True, bold=True),
                    Cell("劳动者（乙方）", centre=True, bold=True),
                ],
                [Cell(doc.employer_name, label="名称"), Cell(doc.employee_name, label="姓名")],
                [Cell(doc.employer_uscc, label=uscc_label), Cell(doc.employee_id_number, label=id_label)],
                [Cell(doc.employer_address, label=addr_label), Cell(_phone(rng), label="联系电话")],
            ],
            (0.55, 0.45),
        )
    elif t == 1:
        flow.table(
            [
                [Cell("用人单位", centre=True), Cell(doc.employer_name, span=3)],
                [
                    Cell(uscc_label, centre=True),
                    Cell(doc.employer_uscc),
                    Cell("联系电话", centre=True),
                    Cell(f"028-{rng.randint(60000000, 89999999)}"),
                ],
                [Cell(addr_label, centre=True), Cell(doc.employer_address, span=3)],
                [
                    Cell("劳动者", centre=True),
                    Cell(doc.employee_name),
                    Cell("性别", centre=True),
                    Cell(rng.choice(("男", "女"))),
                ],
                [Cell(id_label, centre=True), Cell(doc.employee_id_number, span=3)],
            ],
            (0.22, 0.34, 0.14, 0.30),
        )
    else:
        flow.table(
            [
                [
                    Cell(f"甲方（用人单位）：{doc.employer_name}"),
                    Cell(f"乙方（劳动者）：{doc.employee_name}"),
                ],
                [Cell(f"{uscc_label}：{doc.employer_uscc}"), Cell(f"{id_label}：{doc.employee_id_number}")],
                [Cell(f"{addr_label}：{doc.employer_address}"), Cell(f"联系电话：{_phone(rng)}")],
            ],
            (0.55, 0.45),
            ruled=False,
        )
    flow.para(
        rng.choice(
            (
                "甲乙双方根据《中华人民共和国劳动合同法》及有关规定，遵循合法、公平、平等自愿、协商一致、"
                "诚实信用的原则，订立本合同。",
                "经甲乙双方平等协商，自愿签订本劳动合同，并承诺共同遵守。",
            )
        )
    )
    head = _clause_heads(rng)
    flow.heading(f"{head.format(n='一')}  合同期限")
    if doc.end_on is None:
        term = f"无固定期限，自{_written(doc.start_on, rng)}起。"
    elif rng.random() < 0.5:
        term = f"固定期限，{_term(doc.start_on, doc.end_on, rng)}。"
    else:
        term = f"固定期限：{_dotted(doc.start_on)}—{_dotted(doc.end_on)}。"
    flow.para(f"本合同期限类型为{term}" + rng.choice(("", "试用期一个月，包含在合同期限内。", "")))
    flow.heading(f"{head.format(n='二')}  工作内容与地点")
    flow.para(f"乙方从事{doc.position}工作，工作地点在成都市。乙方应按照岗位职责完成工作任务。")
    flow.heading(f"{head.format(n='三')}  劳动报酬")
    sal = doc.monthly_salary
    flow.para(
        f"乙方月工资为{sal}元"
        + (f"（{yuan_upper(sal)}）" if rng.random() < 0.4 else "")
        + "，甲方每月以银行转账方式支付。"
    )
    _clauses(flow, rng, _LABOR_CLAUSES, 4, 5)
    if len(flow.sheets) == 1 or rng.random() < 0.5:
        flow.page_break()
        flow.line("（本页为签署页，无正文）", align="centre")
    flow.gap(1.0)
    when = rng.choice((date_cn(doc.signed_on), _dotted(doc.signed_on), _slash(doc.signed_on)))
    spans = flow.table(
        [
            [
                Cell(doc.employer_name, label="甲方（盖章）"),
                Cell(doc.employee_name, label="乙方（签字）", hand=True),
            ],
            [Cell("", label="法定代表人或委托代理人（签字）"), Cell("", label="")],
            [Cell(when, label="日期"), Cell(when, label="日期")],
        ],
        (0.5, 0.5),
        ruled=rng.random() < 0.7,
    )
    # The employer's seal stamped over its printed name.
    top, bottom = spans[0]
    flow.seal(
        _seal_text(doc.employer_name), flow.left + flow.width * rng.uniform(0.18, 0.3), (top + bottom) / 2 + 8
    )
    return flow.finish(rng.choice(_FOOTERS))


def _seal_text(name: str) -> str:
    return name if len(name) <= 18 else name[:18]


def render_labor_contract_b(doc: LaborContract, *, rng: random.Random, scanned: bool) -> bytes:
    """A family-b 劳动合同 PDF of two or more pages with the employer's seal; ``scanned``: image-only."""
    style = Style.choose(rng)
    return paint(labor_sheets(doc, rng, style), style, rng, scanned=scanned, title="劳动合同")
