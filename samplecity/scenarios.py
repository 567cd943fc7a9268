"""Which case is which: one scenario per case, then the facts (shared-data rows and documents) it implies.

A scenario names the business type, the basis, the proof document and the reason codes to plant.
`build_case` turns it into a `CaseBuild`: the application, a plan per document (what it says and how
it is spoiled), the shared-data rows of the applicant, and the expected outcome. It is pure apart
from the rng it is handed: rendering the plans into files happens in samplecity/city.py.

Case k uses scenario REASON_CYCLE[k] for k < 26 (one per reason code, so `--cases 26` already plants
every code), FIXED_AFTER_CYCLE for the next few (clean cases of each business type, an unmatched
road, two-defect cases), and a realistic mix after that (about 60 % clean, 32 % one defect, 8 % two).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from samplecity.addresses import Address, CityIndex, random_address
from samplecity.documents import (
    BusinessLicense,
    EnrollmentCertificate,
    IdCardBack,
    LaborContract,
    LeaseContract,
    LodgingCertificate,
    OldPermit,
    Person,
    PropertyCertificate,
)
from samplecity.people import (
    Identity,
    add_months,
    add_years,
    corrupt_check_digit,
    make_id_number,
    make_identity,
    random_name,
    random_phone,
    slip_name,
)

BUSINESS_TYPES = ("apply", "endorse", "change", "reissue")
DOCUMENT_KINDS = (
    "id_front",
    "id_back",
    "photo",
    "lease_contract",
    "property_certificate",
    "labor_contract",
    "business_license",
    "lodging_certificate",
    "enrollment_certificate",
    "old_permit",
)
ACTIVE_STATUSES = ("存续", "在业")
INACTIVE_STATUSES = ("注销", "吊销")
PORTRAIT_DEFECTS = ("colored_background", "two_faces", "no_face", "landscape")
READABLE_DEGRADATIONS = ("clean", "skew", "blur", "jpeg", "desk_photo", "rotate90", "rotate180", "rotate270")
# Bytes that are not JPEG/PNG/PDF, saved under a .jpg/.png/.pdf name (FILE_TYPE_NOT_ALLOWED).
WRONG_TYPES = ("gif", "zip", "heic", "exe")
SCHOOLS = (
    ("四川大学", ("临床医学", "汉语言文学", "软件工程", "法学")),
    ("电子科技大学", ("电子信息工程", "计算机科学与技术", "通信工程")),
    ("西南交通大学", ("土木工程", "交通运输", "机械工程")),
    ("西南财经大学", ("金融学", "会计学", "统计学")),
    ("成都理工大学", ("地质工程", "石油工程", "环境工程")),
    ("西南民族大学", ("民族学", "藏语言文学", "旅游管理")),
    ("成都中医药大学", ("中医学", "针灸推拿学", "中药学")),
    ("四川师范大学", ("数学与应用数学", "学前教育", "英语")),
    ("西华大学", ("车辆工程", "食品科学与工程", "广告学")),
    ("成都信息工程大学", ("大气科学", "网络工程", "物联网工程")),
    ("成都大学", ("护理学", "酒店管理", "工业设计")),
    ("成都职业技术学院", ("电子商务", "烹饪工艺与营养", "软件技术")),
)
POSITIONS = (
    "销售专员",
    "厨师",
    "软件工程师",
    "行政助理",
    "快递员",
    "会计",
    "仓库管理员",
    "店长",
    "客服专员",
    "电工",
    "护工",
    "设计师",
    "数据分析师",
    "保安",
)


@dataclass(frozen=True)
class Scenario:
    """What case k is: business type, basis, proof document, and the reason codes planted in it."""

    name: str
    business_type: str
    basis: str
    proof: str  # the basis/residence document; "" for endorse; "lost" | "damaged" for reissue
    defects: tuple[str, ...] = ()
    unmatched: bool = False  # residence on a road no station covers


@dataclass(frozen=True)
class Business:
    """A registered market entity, enough for the registry row and a printed licence."""

    uscc: str
    name: str
    status: str
    type: str
    legal_representative: str
    registered_capital: str
    established_on: date
    address: str
    registration_authority: str

    def license(self, issued_on: date | None = None) -> BusinessLicense:
        return BusinessLicense(
            uscc=self.uscc,
            name=self.name,
            type=self.type,
            legal_representative=self.legal_representative,
            registered_capital=self.registered_capital,
            established_on=self.established_on,
            address=self.address,
            issued_on=issued_on or self.established_on,
            registration_authority=self.registration_authority,
        )


@dataclass(frozen=True)
class DocPlan:
    """One file of the package: what it shows and how it is spoiled (all decided before rendering)."""

    kind: str
    file: str
    payload: Any  # Person (id_front), IdCardBack, int face seed (photo), or a samplecity.documents type
    fmt: str  # "jpeg" | "png" | "pdf"
    degradation: str = "clean"  # readable kind, "severe_blur", "tiny", "glare_id_number"
    scanned: bool = False  # PDFs: image-only scan instead of a text PDF
    portrait_defect: str | None = None
    corruption: str | None = None  # "truncated" (FILE_UNREADABLE) or a WRONG_TYPES name


@dataclass
class CaseBuild:
    """Everything one case contributes: its package, its shared-data rows, and what should be found."""

    submission_id: str
    application: dict[str, Any]
    docs: list[DocPlan]
    rows: dict[str, list[dict[str, Any]]]
    businesses: list[Business]
    expected: dict[str, Any]
    applicant_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CityContext:
    """What every case may draw on: the date, the configured city, the background employers."""

    seed: int
    today: date
    index: CityIndex
    employers: tuple[Business, ...]  # active background businesses


# --- the scenario lists --------------------------------------------------------------------------


def _s(name: str, bt: str, basis: str, proof: str, *defects: str, unmatched: bool = False) -> Scenario:
    return Scenario(name, bt, basis, proof, tuple(defects), unmatched)


REASON_CYCLE: tuple[Scenario, ...] = (
    _s("document_missing", "apply", "residence", "lease_contract", "DOCUMENT_MISSING"),
    _s("file_unreadable", "apply", "employment", "labor_contract", "FILE_UNREADABLE"),
    _s("file_type_not_allowed", "apply", "residence", "property_certificate", "FILE_TYPE_NOT_ALLOWED"),
    _s("image_too_small", "apply", "study", "enrollment_certificate", "IMAGE_TOO_SMALL"),
    _s("image_too_blurry", "apply", "employment", "labor_contract", "IMAGE_TOO_BLURRY"),
    _s("photo_not_compliant", "apply", "residence", "lodging_certificate", "PHOTO_NOT_COMPLIANT"),
    _s("id_number_invalid", "apply", "employment", "labor_contract", "ID_NUMBER_INVALID"),
    _s("id_number_mismatch", "apply", "residence", "lease_contract", "ID_NUMBER_MISMATCH"),
    _s("name_mismatch", "endorse", "employment", "", "NAME_MISMATCH"),
    _s("id_card_expired", "apply", "employment", "business_license", "ID_CARD_EXPIRED"),
    _s("local_hukou", "apply", "residence", "property_certificate", "LOCAL_HUKOU"),
    _s("no_residence_registration", "apply", "employment", "labor_contract", "NO_RESIDENCE_REGISTRATION"),
    _s("residence_under_6_months", "apply", "residence", "lease_contract", "RESIDENCE_UNDER_6_MONTHS"),
    _s("no_social_insurance", "apply", "employment", "labor_contract", "NO_SOCIAL_INSURANCE"),
    _s("social_insurance_gap", "apply", "employment", "labor_contract", "SOCIAL_INSURANCE_GAP"),
    _s("business_not_found", "apply", "employment", "labor_contract", "BUSINESS_NOT_FOUND"),
    _s("business_inactive", "apply", "employment", "business_license", "BUSINESS_INACTIVE"),
    _s("lease_not_registered", "apply", "residence", "lease_contract", "LEASE_NOT_REGISTERED"),
    _s("lease_expired", "apply", "residence", "lease_contract", "LEASE_EXPIRED"),
    _s("address_mismatch", "apply", "residence", "lease_contract", "ADDRESS_MISMATCH"),
    _s("property_not_found", "apply", "residence", "property_certificate", "PROPERTY_NOT_FOUND"),
    _s("not_enrolled", "apply", "study", "enrollment_certificate", "NOT_ENROLLED"),
    _s("permit_not_found", "reissue", "residence", "lost", "PERMIT_NOT_FOUND"),
    _s("already_holds_permit", "apply", "employment", "labor_contract", "ALREADY_HOLDS_PERMIT"),
    _s("endorsement_window", "endorse", "residence", "", "ENDORSEMENT_WINDOW"),
    _s("ocr_low_confidence", "apply", "study", "enrollment_certificate", "OCR_LOW_CONFIDENCE"),
)

FIXED_AFTER_CYCLE: tuple[Scenario, ...] = (
    _s("clean_unmatched_road", "apply", "employment", "labor_contract", unmatched=True),
    _s("clean_endorse", "endorse", "employment", ""),
    _s("clean_change_lease", "change", "residence", "lease_contract"),
    _s("clean_reissue_damaged", "reissue", "employment", "damaged"),
    _s("clean_study", "apply", "study", "enrollment_certificate"),
    _s("clean_property", "apply", "residence", "property_certificate"),
    _s("two_defects", "apply", "employment", "labor_contract", "PHOTO_NOT_COMPLIANT", "SOCIAL_INSURANCE_GAP"),
    _s("clean_change_property", "change", "residence", "property_certificate", unmatched=True),
    _s("clean_self_employed", "apply", "employment", "business_license"),
    _s("two_defects", "apply", "residence", "lease_contract", "NAME_MISMATCH", "LEASE_EXPIRED"),
)

# Defects safe to combine: one about the uploaded files, one about the shared data (they never hide
# each other: the file defects touch the photo, the card back or the card's name/number rendering).
PAIR_FILE_DEFECTS = (
    "PHOTO_NOT_COMPLIANT",
    "IMAGE_TOO_BLURRY",
    "IMAGE_TOO_SMALL",
    "NAME_MISMATCH",
    "OCR_LOW_CONFIDENCE",
)
PAIR_DATA_DEFECTS = (
    "SOCIAL_INSURANCE_GAP",
    "NO_SOCIAL_INSURANCE",
    "RESIDENCE_UNDER_6_MONTHS",
    "LEASE_EXPIRED",
    "LEASE_NOT_REGISTERED",
    "NOT_ENROLLED",
    "BUSINESS_INACTIVE",
    "ALREADY_HOLDS_PERMIT",
    "ADDRESS_MISMATCH",
    "ENDORSEMENT_WINDOW",
    "PROPERTY_NOT_FOUND",
)


def _compatible_shapes(defect: str) -> list[tuple[str, str, str]]:
    """(business_type, basis, proof) shapes in which `defect` can be planted as the only finding."""
    employment = [("apply", "employment", "labor_contract"), ("apply", "employment", "business_license")]
    lease = [
        ("apply", "residence", "lease_contract"),
        ("change", "residence", "lease_contract"),
        ("change", "employment", "lease_contract"),
    ]
    prop = [("apply", "residence", "property_certificate"), ("change", "residence", "property_certificate")]
    applies = [
        *employment,
        ("apply", "residence", "lease_contract"),
        ("apply", "residence", "property_certificate"),
        ("apply", "residence", "lodging_certificate"),
        ("apply", "study", "enrollment_certificate"),
    ]
    others = [
        ("endorse", "employment", ""),
        ("endorse", "residence", ""),
        ("reissue", "residence", "lost"),
        ("reissue", "employment", "damaged"),
        *lease[1:],
        prop[1],
    ]
    table: dict[str, list[tuple[str, str, str]]] = {
        "LOCAL_HUKOU": applies,
        "NO_RESIDENCE_REGISTRATION": applies,
        "RESIDENCE_UNDER_6_MONTHS": applies,
        "NO_SOCIAL_INSURANCE": employment,
        "SOCIAL_INSURANCE_GAP": employment,
        "BUSINESS_NOT_FOUND": employment,
        "BUSINESS_INACTIVE": employment,
        "LEASE_NOT_REGISTERED": lease,
        "LEASE_EXPIRED": lease[:1],
        "ADDRESS_MISMATCH": lease + prop,
        "PROPERTY_NOT_FOUND": prop,
        "NOT_ENROLLED": [("apply", "study", "enrollment_certificate")],
        "PERMIT_NOT_FOUND": others,
        "ALREADY_HOLDS_PERMIT": applies,
        "ENDORSEMENT_WINDOW": [
            ("endorse", "employment", ""),
            ("endorse", "residence", ""),
            ("endorse", "study", ""),
        ],
    }
    return table.get(defect, applies + others)


def _random_shape(rng: random.Random) -> tuple[str, str, str]:
    bt = rng.choices(BUSINESS_TYPES, weights=(65, 15, 10, 10))[0]
    if bt == "apply":
        basis = rng.choices(("employment", "residence", "study"), weights=(50, 38, 12))[0]
        proof = {
            "employment": rng.choices(("labor_contract", "business_license"), weights=(80, 20))[0],
            "residence": rng.choices(
                ("lease_contract", "property_certificate", "lodging_certificate"), weights=(65, 20, 15)
            )[0],
            "study": "enrollment_certificate",
        }[basis]
        return bt, basis, proof
    basis = rng.choice(("employment", "residence", "study"))
    if bt == "endorse":
        return bt, basis, ""
    if bt == "change":
        return bt, basis, rng.choices(("lease_contract", "property_certificate"), weights=(80, 20))[0]
    return bt, basis, rng.choice(("lost", "damaged"))


def scenario_for(k: int, rng: random.Random) -> Scenario:
    """Case k's scenario: the reason cycle, then the fixed extras, then a realistic random mix."""
    if k < len(REASON_CYCLE):
        return REASON_CYCLE[k]
    if k < len(REASON_CYCLE) + len(FIXED_AFTER_CYCLE):
        return FIXED_AFTER_CYCLE[k - len(REASON_CYCLE)]
    unmatched = rng.random() < 0.05
    roll = rng.random()
    if roll < 0.60:
        bt, basis, proof = _random_shape(rng)
        return Scenario("clean", bt, basis, proof, (), unmatched)
    if roll < 0.92:
        # A refused package is rarer than a fixable one in real traffic.
        codes = [c.name for c in _all_codes()]
        defect = rng.choices(codes, weights=[0.3 if c == "FILE_TYPE_NOT_ALLOWED" else 1.0 for c in codes])[0]
        bt, basis, proof = rng.choice(_compatible_shapes(defect))
        return Scenario(defect.lower(), bt, basis, proof, (defect,), unmatched)
    data = rng.choice(PAIR_DATA_DEFECTS)
    bt, basis, proof = rng.choice(_compatible_shapes(data))
    file_defect = rng.choice(PAIR_FILE_DEFECTS)
    return Scenario("two_defects", bt, basis, proof, (file_defect, data), unmatched)


def _all_codes() -> list[Any]:
    from models.reasons import ReasonCode

    return list(ReasonCode)


# --- small factories -----------------------------------------------------------------------------

_BRANDS = (
    "蓉城",
    "天府",
    "锦官",
    "西岭",
    "青城",
    "峨眉",
    "金沙",
    "宽窄",
    "熊猫",
    "芙蓉",
    "银杏",
    "川渝",
    "浣花",
    "望江",
    "都江",
    "龙泉",
    "华阳",
    "新希望",
    "晨曦",
    "远航",
    "启明",
    "众创",
    "博瑞",
    "嘉禾",
)
_TRADES = (
    ("科技", "有限责任公司(自然人投资或控股)"),
    ("餐饮管理", "有限责任公司(自然人投资或控股)"),
    ("物流", "有限责任公司(自然人独资)"),
    ("商贸", "有限责任公司(自然人投资或控股)"),
    ("建筑劳务", "有限责任公司(自然人投资或控股)"),
    ("物业服务", "有限责任公司(法人独资)"),
    ("信息技术", "股份有限公司(非上市、自然人投资或控股)"),
    ("医药连锁", "有限责任公司(法人独资)"),
    ("文化传媒", "有限责任公司(自然人独资)"),
    ("家政服务", "有限责任公司(自然人投资或控股)"),
)
_SHOPS = ("小吃店", "便利店", "火锅店", "理发店", "五金店", "水果店", "茶馆", "汽车修理部", "服装店", "面馆")
_CAPITALS = ("壹佰万元整", "伍拾万元整", "贰佰万元整", "伍佰万元整", "壹仟万元整", "叁拾万元整", "捌拾万元整")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(rng: random.Random, region_code: str, *, individual: bool = False) -> str:
    """A valid 18-character unified social credit code (GB 32100): 91/92 + region + org code + check."""
    from stdnum.cn import uscc

    body8 = "".join(rng.choice("0123456789") for _ in range(8))
    # GB 11714 organisation-code check character over the first eight characters.
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c9 = 11 - sum(int(ch) * w for ch, w in zip(body8, weights, strict=True)) % 11
    org = body8 + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    number = ("92" if individual else "91") + region_code + org
    return number + uscc.calc_check_digit(number)


def _authority_for(index: CityIndex, district_code: str) -> str:
    name = index.city.district_by_code(district_code).name
    return f"成都市{name}市场监督管理局" if name.endswith("区") else f"{name}市场监督管理局"


def make_business(
    rng: random.Random,
    index: CityIndex,
    today: date,
    *,
    status: str,
    individual: bool = False,
    owner: str | None = None,
) -> Business:
    """A Chengdu market entity; `individual` makes a 个体工商户 owned by `owner`."""
    addr = random_address(index, rng)
    district = index.city.district_by_code(addr.district_code)
    if individual:
        name = f"{district.name}{rng.choice(_BRANDS)}{rng.choice(_SHOPS)}"
        kind, capital = "个体工商户", ""
    else:
        trade, kind = rng.choice(_TRADES)
        name = f"{rng.choice(('成都', '成都', '四川'))}{rng.choice(_BRANDS)}{trade}有限公司"
        if kind.startswith("股份"):
            name = name.replace("有限公司", "股份有限公司")
        capital = rng.choice(_CAPITALS)
    established = today - timedelta(days=rng.randint(400, 15 * 365))
    return Business(
        uscc=make_uscc(rng, addr.district_code, individual=individual),
        name=name,
        status=status,
        type=kind,
        legal_representative=owner or random_name(rng, rng.choice(("男", "女")), "汉"),
        registered_capital=capital,
        established_on=established,
        address=addr.canonical.removeprefix("四川省").split("号")[0] + "号",
        registration_authority=_authority_for(index, addr.district_code),
    )


def month_str(d: date) -> str:
    return f"{d:%Y-%m}"


def first_of_month(d: date) -> date:
    return d.replace(day=1)


def si_window(today: date) -> list[date]:
    """The six months that must be paid: the six calendar months ending last month, oldest first."""
    this = first_of_month(today)
    return [add_months(this, -i) for i in range(6, 0, -1)]


def si_rows(
    id_number: str,
    employer: str,
    start: date,
    end: date,
    *,
    unpaid: frozenset[str] | set[str] = frozenset(),
    skipped: frozenset[str] | set[str] = frozenset(),
) -> list[dict[str, Any]]:
    """One row per month from start to end (inclusive months); `unpaid` months paid=false, `skipped`
    months have no row at all."""
    rows = []
    m = first_of_month(start)
    while m <= end:
        key = month_str(m)
        if key not in skipped:
            rows.append(
                {"id_number": id_number, "employer_uscc": employer, "month": key, "paid": key not in unpaid}
            )
        m = add_months(m, 1)
    return rows


def registration_row(
    p: Person,
    address: Address,
    registered: date,
    deregistered: date | None = None,
    *,
    name: str | None = None,
) -> dict[str, Any]:
    return {
        "id_number": p.id_number,
        "name": name or p.name,
        "address": address.canonical,
        "district_code": address.district_code,
        "registered_on": registered,
        "deregistered_on": deregistered,
    }


def permit_no(rng: random.Random, district_code: str, issued: date) -> str:
    return f"{district_code}{issued:%y}{rng.randint(0, 9_999_999):07d}"


def lease_registration_no(rng: random.Random, district_code: str, start: date) -> str:
    return f"CZBA{start.year}{district_code}{rng.randint(0, 999_999):06d}"


def property_certificate_no(rng: random.Random, issued: date) -> str:
    return f"川({issued.year})成都市不动产权第{rng.randint(0, 9_999_999):07d}号"


def _image_fmt(rng: random.Random) -> str:
    return "jpeg" if rng.random() < 0.72 else "png"


def _readable(rng: random.Random) -> str:
    return rng.choices(READABLE_DEGRADATIONS, weights=(55, 10, 8, 8, 7, 4, 4, 4))[0]


# --- the case builder ----------------------------------------------------------------------------


def submission_id(k: int, today: date, rng: random.Random) -> str:
    """Portal-like ids: TFSMY (天府市民云 app) or SCZW (四川政务服务网), submission date + sequence."""
    portal = "TFSMY" if rng.random() < 0.7 else "SCZW"
    return f"{portal}-{today:%Y%m%d}{k + 1:05d}"


def build_case(k: int, ctx: CityContext, taken_ids: set[str]) -> CaseBuild:
    """Case k: its scenario turned into an application, document plans, shared-data rows and the
    expected findings. Depends only on (seed, today, k, the background employers), never on M."""
    rng = random.Random(f"{ctx.seed}:case:{k}")
    sc = scenario_for(k, rng)
    return _Builder(k, sc, ctx, rng, taken_ids).build()


class _Builder:
    """Assembles one case; every planted defect is applied at the one place its fact is decided."""

    def __init__(self, k: int, sc: Scenario, ctx: CityContext, rng: random.Random, taken: set[str]) -> None:
        self.k, self.sc, self.ctx, self.rng, self.today = k, sc, ctx, rng, ctx.today
        self.d = set(sc.defects)
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.businesses: list[Business] = []
        self.docs: list[DocPlan] = []
        self.taken = taken

    # helpers
    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def days_ago(self, lo: int, hi: int) -> date:
        return self.today - timedelta(days=self.rng.randint(lo, hi))

    def build(self) -> CaseBuild:
        sc, rng, today = self.sc, self.rng, self.today
        sid = submission_id(self.k, today, rng)
        study = sc.basis == "study" and sc.business_type == "apply"
        ident = self._identity(study)
        person = ident.person
        self.person = person
        addr = random_address(self.ctx.index, rng, matched=not sc.unmatched)
        self.addr = addr

        # What the applicant typed and what the card shows.
        declared_name, declared_id = person.name, person.id_number
        card_person = person
        if "NAME_MISMATCH" in self.d:
            declared_name = slip_name(person.name, rng)
        if "ID_NUMBER_MISMATCH" in self.d:
            # An old card from before a number correction: same birth date and sex, other sequence.
            old_seq = int(person.id_number[14:17])
            seq = old_seq + 2 * rng.randint(1, 40) * rng.choice((1, -1))
            seq = seq if 0 < seq < 1000 else old_seq + 2 * rng.randint(1, 40)
            if seq >= 1000:
                seq = old_seq - 2 * rng.randint(1, 40)
            card_person = _with_id(person, make_id_number(person.id_number[:6], person.birth_date, seq))

        # Shared data of the applicant.
        self.add(
            "hukou",
            {
                "id_number": person.id_number,
                "hukou_city_code": "5101" if "LOCAL_HUKOU" in self.d else person.id_number[:4],
            },
        )
        self._residence(person)
        permit = self._permit(person)
        proof_docs = self._basis(person)

        # Documents.
        self._identity_docs(card_person, ident.back)
        self.docs.extend(proof_docs)
        if permit is not None and sc.business_type in ("endorse", "reissue"):
            include = sc.proof == "damaged" or (sc.business_type == "endorse" and rng.random() < 0.5)
            if include:
                self.docs.append(
                    DocPlan(
                        "old_permit",
                        f"old_permit.{_ext(fmt := _image_fmt(rng))}",
                        permit,
                        fmt,
                        _readable(rng),
                    )
                )
        self._file_defects()

        delivery = self._delivery(declared_name, addr)
        application: dict[str, Any] = {
            "submission_id": sid,
            "business_type": sc.business_type,
            "applicant": {"name": declared_name, "id_number": declared_id, "phone": person.phone},
            "residence_address": self.declared_address,
            "basis": sc.basis,
            "delivery": delivery,
            "documents": [{"kind": d.kind, "file": d.file} for d in self.docs],
        }
        refused = any(d.corruption in WRONG_TYPES for d in self.docs)
        expected = {
            "intake": "refused" if refused else "accepted",
            "refusal_reason": "FILE_TYPE_NOT_ALLOWED" if refused else None,
            "reasons": sorted(self.d),
            "business_type": sc.business_type,
            "basis": sc.basis,
            # As the router reports it: zones have no code of their own (their table rows carry the
            # first district the zone lies in).
            "district_code": None if addr.zone else addr.district_code,
            "zone": addr.zone,
            "bureau": addr.bureau,
            "station_id": addr.station_id,
            "station_matched": addr.matched,
            "scenario": sc.name,
            "degradations": {d.file: _degradation_label(d) for d in self.docs},
            "residence_address_canonical": addr.canonical,
        }
        return CaseBuild(
            sid,
            application,
            self.docs,
            self.rows,
            self.businesses,
            expected,
            sorted({person.id_number, card_person.id_number}),
        )

    # identity -------------------------------------------------------------------------------------
    def _identity(self, study: bool) -> Identity:
        for _ in range(50):
            ident = make_identity(
                self.rng,
                self.today,
                min_age=19 if study else 20,
                max_age=24 if study else 58,
                local="LOCAL_HUKOU" in self.d,
                expired_card="ID_CARD_EXPIRED" in self.d,
            )
            if ident.person.id_number[:17] not in {t[:17] for t in self.taken}:
                break
        if "ID_NUMBER_INVALID" in self.d:
            # The typed number and the card agree, but the check character is wrong; the applicant's
            # shared data is filed under the same number, so no lookup fails because of it.
            ident = Identity(
                _with_id(ident.person, corrupt_check_digit(ident.person.id_number, self.rng)),
                ident.back,
                ident.region,
            )
        self.taken.add(ident.person.id_number)
        return ident

    def _identity_docs(self, card: Person, back: IdCardBack) -> None:
        rng = self.rng
        fmt = _image_fmt(rng)
        front_deg = (
            "glare_id_number"
            if "OCR_LOW_CONFIDENCE" in self.d
            else rng.choice(
                ("clean", "clean", "clean", "skew", "jpeg", "desk_photo", "rotate90", "rotate180")
            )
        )
        self.docs.append(DocPlan("id_front", f"id_front.{_ext(fmt)}", card, fmt, front_deg))
        fmt = _image_fmt(rng)
        back_deg = _readable(rng)
        if "IMAGE_TOO_SMALL" in self.d:
            back_deg = "tiny"
        elif "IMAGE_TOO_BLURRY" in self.d:
            back_deg = "severe_blur"
        self.docs.append(DocPlan("id_back", f"id_back.{_ext(fmt)}", back, fmt, back_deg))
        fmt = "jpeg" if rng.random() < 0.85 else "png"
        defect = rng.choice(PORTRAIT_DEFECTS) if "PHOTO_NOT_COMPLIANT" in self.d else None
        self.docs.append(DocPlan("photo", f"photo.{_ext(fmt)}", card.face_seed, fmt, portrait_defect=defect))

    # residence registration -----------------------------------------------------------------------
    def _residence(self, p: Person) -> None:
        sc, rng, addr = self.sc, self.rng, self.addr
        self.declared_address = addr.declared_form(rng)
        if "NO_RESIDENCE_REGISTRATION" in self.d:
            # Sometimes an old registration that was closed when they moved out: none is active.
            if rng.random() < 0.5:
                old = random_address(self.ctx.index, rng)
                start = self.days_ago(900, 2000)
                self.add(
                    "residence_registrations",
                    registration_row(p, old, start, start + timedelta(days=rng.randint(200, 700))),
                )
            self.registered_on: date | None = None
            return
        if "RESIDENCE_UNDER_6_MONTHS" in self.d:
            registered = self.days_ago(15, 160)
            if rng.random() < 0.5:
                # Deregistered and re-registered: the earlier stretch does not count (not continuous).
                old = random_address(self.ctx.index, rng)
                gone = registered - timedelta(days=rng.randint(40, 300))
                self.add(
                    "residence_registrations",
                    registration_row(p, old, gone - timedelta(days=rng.randint(200, 900)), gone),
                )
        elif sc.business_type == "change":
            # Moved recently: the old registration closed, the new one opened (reported within days).
            registered = self.days_ago(3, 25)
            old = random_address(self.ctx.index, rng)
            self.old_address = old
            self.add(
                "residence_registrations",
                registration_row(p, old, self.days_ago(800, 2400), registered - timedelta(days=1)),
            )
        elif sc.basis == "study" and sc.business_type == "apply":
            registered = self._enrolled_on() + timedelta(days=rng.randint(5, 25))
        else:
            registered = self.days_ago(210, 2200)
        self.registered_on = registered
        self.add("residence_registrations", registration_row(p, addr, registered))

    def _enrolled_on(self) -> date:
        if not hasattr(self, "enrolled"):
            # September intake, early enough that the registration that followed is over 6 months old.
            year = self.today.year - 1 if self.today.month >= 6 else self.today.year - 2
            year -= self.rng.randint(0, 2)
            self.enrolled = date(year, 9, self.rng.randint(1, 10))
        return self.enrolled

    # permits --------------------------------------------------------------------------------------
    def _permit(self, p: Person) -> OldPermit | None:
        sc, rng, today = self.sc, self.rng, self.today
        if sc.business_type == "apply":
            if "ALREADY_HOLDS_PERMIT" in self.d:
                reg = self.registered_on or self.days_ago(400, 800)
                issued = max(reg + timedelta(days=rng.randint(190, 260)), self.days_ago(40, 300))
                issued = min(issued, self.days_ago(20, 40))
                self._permit_row(p, issued, None, "有效")
            elif rng.random() < 0.15 and self.registered_on and self.registered_on < self.days_ago(900, 900):
                # An older permit that lapsed or was cancelled: history the checker must not count.
                issued = self.registered_on - timedelta(days=rng.randint(400, 900))
                self._permit_row(p, issued, None, rng.choice(("注销", "过期")))
            return None
        if "PERMIT_NOT_FOUND" in self.d:
            # Either never had one, or the one they had was cancelled: no valid permit either way.
            if rng.random() < 0.4:
                self._permit_row(p, self.days_ago(900, 1600), None, "注销")
            return self._old_permit_doc(p, self.days_ago(300, 700), rng) if sc.proof == "damaged" else None
        if sc.business_type == "endorse":
            # Due date = anniversary of issue; last_endorsed_on sits a few days before the previous
            # anniversary, so "anniversary of issued_on" and "a year after the last endorsement"
            # agree on whether today is inside the 30-day window.
            if "ENDORSEMENT_WINDOW" in self.d:
                offset = rng.randint(60, 250) if rng.random() < 0.6 else -rng.randint(12, 90)
            else:
                offset = rng.randint(8, 25)
            due = today + timedelta(days=offset)
            years = rng.randint(1, 4)
            issued = add_years(due, -years)
            if issued > today - timedelta(days=200):  # a late first endorsement: issued ≥ 1 year ago
                years += 1
                issued = add_years(due, -years)
            last = add_years(due, -1) - timedelta(days=rng.randint(1, 5)) if years > 1 else None
        else:
            issued = self.days_ago(90, 1200)
            last = None
            if issued < today - timedelta(days=400):
                last = add_years(issued, (today - issued).days // 365) - timedelta(days=rng.randint(1, 20))
        # The registration (for a change: the old one) is older than the permit it led to.
        self._fix_registration_before(issued, 0 if sc.business_type == "change" else -1)
        self._permit_row(p, issued, last, "有效")
        return self._old_permit_doc(p, issued, rng)

    def _fix_registration_before(self, issued: date, which: int) -> None:
        regs = self.rows.get("residence_registrations", [])
        new = issued - timedelta(days=self.rng.randint(190, 700))
        if regs and regs[which]["registered_on"] > new:
            regs[which]["registered_on"] = new
            if which == -1:
                self.registered_on = new

    def _permit_row(self, p: Person, issued: date, last: date | None, status: str) -> None:
        self.permit_number = permit_no(self.rng, self.addr.district_code, issued)
        self.add(
            "permits",
            {
                "permit_no": self.permit_number,
                "id_number": p.id_number,
                "issued_on": issued,
                "last_endorsed_on": last,
                "status": status,
            },
        )

    def _old_permit_doc(self, p: Person, issued: date, rng: random.Random) -> OldPermit:
        where = getattr(self, "old_address", None) or self.addr
        number = getattr(self, "permit_number", None) or permit_no(rng, where.district_code, issued)
        return OldPermit(number, p, where.canonical.removeprefix("四川省"), where.bureau, issued)

    # basis ----------------------------------------------------------------------------------------
    def _basis(self, p: Person) -> list[DocPlan]:
        sc = self.sc
        if sc.business_type == "apply":
            if sc.basis == "employment":
                return self._employment(p)
            if sc.basis == "study":
                return self._study(p)
            return self._residence_proof(p)
        if sc.business_type == "change":
            return self._residence_proof(p)
        # Endorse and reissue: the basis documents are not asked for again; background history only.
        if sc.basis == "employment" and self.rng.random() < 0.7:
            emp = self.rng.choice(self.ctx.employers)
            self.rows.setdefault("social_insurance", []).extend(
                si_rows(
                    p.id_number,
                    emp.uscc,
                    add_months(first_of_month(self.today), -self.rng.randint(8, 30)),
                    add_months(first_of_month(self.today), -1),
                )
            )
        return []

    def _employment(self, p: Person) -> list[DocPlan]:
        rng, today = self.rng, self.today
        last_month = add_months(first_of_month(today), -1)
        self_employed = self.sc.proof == "business_license"
        status = (
            rng.choice(INACTIVE_STATUSES) if "BUSINESS_INACTIVE" in self.d else rng.choice(ACTIVE_STATUSES)
        )
        if self_employed or "BUSINESS_INACTIVE" in self.d or "BUSINESS_NOT_FOUND" in self.d:
            # A business of this case alone, so changing its status never touches another case.
            biz = make_business(
                rng,
                self.ctx.index,
                today,
                status=status,
                individual=self_employed,
                owner=p.name if self_employed else None,
            )
            if "BUSINESS_NOT_FOUND" not in self.d:
                self.businesses.append(biz)
        else:
            biz = rng.choice(self.ctx.employers)
        months_insured = rng.randint(7, 40)
        start_month = add_months(last_month, -(months_insured - 1))
        if "NO_SOCIAL_INSURANCE" in self.d:
            start_month = add_months(last_month, -rng.randint(1, 10))
        else:
            window = [month_str(m) for m in si_window(today)]
            unpaid: set[str] = set()
            skipped: set[str] = set()
            if "SOCIAL_INSURANCE_GAP" in self.d:
                gap = rng.choice(window)
                (unpaid if rng.random() < 0.5 else skipped).add(gap)
            self.rows.setdefault("social_insurance", []).extend(
                si_rows(p.id_number, biz.uscc, start_month, last_month, unpaid=unpaid, skipped=skipped)
            )
        start = start_month - timedelta(days=rng.randint(0, 20))
        fmt = _image_fmt(rng)
        if self_employed:
            return [
                DocPlan(
                    "business_license",
                    f"business_license.{_ext(fmt)}",
                    biz.license(start),
                    fmt,
                    _readable(rng),
                )
            ]
        end = None if rng.random() < 0.25 else add_years(start, rng.choice((3, 5)))
        while end is not None and end < today + timedelta(days=60):
            end = add_years(end, 3)
        contract = LaborContract(
            employer_name=biz.name,
            employer_uscc=biz.uscc,
            employer_address=biz.address,
            employee_name=p.name,
            employee_id_number=p.id_number,
            position=rng.choice(POSITIONS),
            start_on=start,
            end_on=end,
            monthly_salary=rng.randrange(3200, 16000, 100),
            signed_on=start - timedelta(days=rng.randint(0, 10)),
        )
        return [DocPlan("labor_contract", "labor_contract.pdf", contract, "pdf", scanned=rng.random() < 0.4)]

    def _study(self, p: Person) -> list[DocPlan]:
        rng = self.rng
        school, majors = rng.choice(SCHOOLS)
        enrolled = self._enrolled_on()
        status = "在读"
        if "NOT_ENROLLED" in self.d:
            status = rng.choice(("毕业", "退学", ""))
        if status:
            self.add(
                "school_enrollments",
                {"id_number": p.id_number, "school": school, "enrolled_on": enrolled, "status": status},
            )
        cert = EnrollmentCertificate(
            school=school,
            student_name=p.name,
            id_number=p.id_number,
            student_no=f"{enrolled.year}{rng.randint(10, 99)}{rng.randint(0, 99999):05d}",
            major=rng.choice(majors),
            enrolled_on=enrolled,
            issued_on=self.days_ago(3, 40) if status != "毕业" else self.days_ago(200, 400),
        )
        lodging = LodgingCertificate(
            issuer=school,
            resident_name=p.name,
            id_number=p.id_number,
            address=self.addr.canonical,
            since=enrolled,
            issued_on=self.days_ago(3, 40),
        )
        f1, f2 = _image_fmt(rng), _image_fmt(rng)
        return [
            DocPlan("enrollment_certificate", f"enrollment_certificate.{_ext(f1)}", cert, f1, _readable(rng)),
            DocPlan("lodging_certificate", f"lodging_certificate.{_ext(f2)}", lodging, f2, _readable(rng)),
        ]

    def _residence_proof(self, p: Person) -> list[DocPlan]:
        rng, today, proof = self.rng, self.today, self.sc.proof
        where = self.addr.other_dwelling(rng) if "ADDRESS_MISMATCH" in self.d else self.addr
        since = self.registered_on or self.days_ago(60, 400)
        fmt = _image_fmt(rng)
        if proof == "lodging_certificate":
            emp = rng.choice(self.ctx.employers)
            doc = LodgingCertificate(
                issuer=emp.name,
                resident_name=p.name,
                id_number=p.id_number,
                address=where.canonical,
                since=since,
                issued_on=self.days_ago(3, 40),
            )
            return [
                DocPlan("lodging_certificate", f"lodging_certificate.{_ext(fmt)}", doc, fmt, _readable(rng))
            ]
        if proof == "property_certificate":
            issued = since - timedelta(days=rng.randint(20, 1500))
            cert_no = property_certificate_no(rng, issued)
            if "PROPERTY_NOT_FOUND" not in self.d:
                self.add(
                    "property_records",
                    {"certificate_no": cert_no, "owner_id_number": p.id_number, "address": where.canonical},
                )
            cert = PropertyCertificate(
                cert_no, p.name, p.id_number, where.canonical, round(rng.uniform(38, 140), 2), "住宅", issued
            )
            return [
                DocPlan(
                    "property_certificate", f"property_certificate.{_ext(fmt)}", cert, fmt, _readable(rng)
                )
            ]
        # Lease: the landlord is a local owner of record.
        landlord = make_identity(rng, today, min_age=35, max_age=60, local=True).person
        self.add("hukou", {"id_number": landlord.id_number, "hukou_city_code": "5101"})
        self.add(
            "property_records",
            {
                "certificate_no": property_certificate_no(rng, self.days_ago(2000, 6000)),
                "owner_id_number": landlord.id_number,
                "address": where.canonical,
            },
        )
        if "LEASE_EXPIRED" in self.d:
            end = self.days_ago(10, 150)
            start = add_years(end, -1)
        else:
            start = max(since, self.days_ago(20, 330)) if self.sc.business_type != "change" else since
            start = min(start, today - timedelta(days=2))
            end = add_years(start, rng.choice((1, 1, 2, 3)))
            while end < today + timedelta(days=45):
                end = add_years(end, 1)
        reg_no = None
        if "LEASE_NOT_REGISTERED" not in self.d:
            reg_no = lease_registration_no(rng, where.district_code, start)
            self.add(
                "lease_registrations",
                {
                    "registration_no": reg_no,
                    "tenant_id_number": p.id_number,
                    "address": where.canonical if rng.random() < 0.5 else where.short,
                    "start_on": start,
                    "end_on": end,
                },
            )
        lease = LeaseContract(
            landlord_name=landlord.name,
            landlord_id_number=landlord.id_number,
            tenant_name=p.name,
            tenant_id_number=p.id_number,
            address=where.canonical.removeprefix("四川省"),
            start_on=start,
            end_on=end,
            monthly_rent=rng.randrange(800, 4800, 50),
            registration_no=reg_no,
            signed_on=start - timedelta(days=rng.randint(0, 7)),
        )
        return [DocPlan("lease_contract", "lease_contract.pdf", lease, "pdf", scanned=rng.random() < 0.4)]

    # file defects ---------------------------------------------------------------------------------
    def _file_defects(self) -> None:
        rng = self.rng
        if "DOCUMENT_MISSING" in self.d:
            proof_kinds = [
                d.kind
                for d in self.docs
                if d.kind not in ("id_front", "id_back", "photo", "old_permit", "enrollment_certificate")
            ]
            # The cycle drops the basis proof; the mix also drops the card back now and then.
            dropped = proof_kinds[-1] if proof_kinds and (self.k < 26 or rng.random() < 0.7) else "id_back"
            self.docs = [d for d in self.docs if d.kind != dropped]
        if "FILE_UNREADABLE" in self.d:
            # Magic bytes right, content garbage: the card back, the photo or a contract PDF.
            choices = [
                d for d in self.docs if d.kind in ("id_back", "photo", "labor_contract", "lease_contract")
            ]
            self._replace(choices[0] if self.k < 26 else rng.choice(choices), corruption="truncated")
        if "FILE_TYPE_NOT_ALLOWED" in self.d:
            self._replace(
                rng.choice(self.docs),
                corruption=WRONG_TYPES[self.k % len(WRONG_TYPES)] if self.k < 26 else rng.choice(WRONG_TYPES),
            )

    def _replace(self, target: DocPlan, **changes: Any) -> None:
        from dataclasses import replace

        self.docs = [replace(d, **changes) if d is target else d for d in self.docs]

    def _delivery(self, name: str, addr: Address) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.35:
            return {"method": "pickup", "address": None, "recipient": name, "phone": self.person.phone}
        if rng.random() < 0.8:
            return {
                "method": "mail",
                "address": self.declared_address,
                "recipient": name,
                "phone": self.person.phone,
            }
        # Mailed to the workplace or a relative.
        other = random_address(self.ctx.index, rng)
        recipient = name if rng.random() < 0.5 else random_name(rng, rng.choice(("男", "女")), "汉")
        return {
            "method": "mail",
            "address": other.declared_form(rng),
            "recipient": recipient,
            "phone": self.person.phone if recipient == name else random_phone(rng),
        }


def _with_id(p: Person, id_number: str) -> Person:
    from dataclasses import replace

    return replace(p, id_number=id_number)


def _ext(fmt: str) -> str:
    return {"jpeg": "jpg", "png": "png", "pdf": "pdf"}[fmt]


def _degradation_label(d: DocPlan) -> str:
    if d.corruption == "truncated":
        return "truncated"
    if d.corruption:
        return f"wrong_type:{d.corruption}"
    if d.portrait_defect:
        return f"portrait:{d.portrait_defect}"
    if d.fmt == "pdf":
        return "scanned_pdf" if d.scanned else "text_pdf"
    return d.degradation
