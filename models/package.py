"""The case package the portal submits (DESIGN.md §4): `application.json` plus the files it names.

Validation is strict about the shape of what the case needs and tolerant about how a portal writes
the rest: an empty or blank string counts as absent, like `null` (DESIGN.md §4), enum values are read
without regard to case and surrounding blanks, phone numbers lose their spaces, dashes and +86, and
unknown keys are ignored (their names are kept, see `unknown_fields`). Every problem is reported at
once, in Chinese and English, and each says what the applicant can do about it.
Whether an ID number's check digit is right is a *check* (ID_NUMBER_INVALID, a reason the
applicant is told about), not a shape error: the package is accepted and the flow flags it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Annotated, Any, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError


class _ReadEnum(StrEnum):
    """An enum read tolerantly: " Pickup " is pickup (pydantic calls `_missing_` on a miss)."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            wanted = value.strip().lower()
            for member in cls:
                if member.value == wanted:
                    return member
        return None


class BusinessType(_ReadEnum):
    APPLY = "apply"  # 申领
    ENDORSE = "endorse"  # 签注
    CHANGE = "change"  # 变更
    REISSUE = "reissue"  # 补领 / 换领

    @property
    def label_zh(self) -> str:
        return {"apply": "申领", "endorse": "签注", "change": "变更", "reissue": "补领/换领"}[self.value]


class Basis(_ReadEnum):
    EMPLOYMENT = "employment"
    RESIDENCE = "residence"
    STUDY = "study"


class DocumentKind(_ReadEnum):
    ID_FRONT = "id_front"
    ID_BACK = "id_back"
    PHOTO = "photo"
    LEASE_CONTRACT = "lease_contract"
    PROPERTY_CERTIFICATE = "property_certificate"
    LABOR_CONTRACT = "labor_contract"
    BUSINESS_LICENSE = "business_license"
    LODGING_CERTIFICATE = "lodging_certificate"
    ENROLLMENT_CERTIFICATE = "enrollment_certificate"
    OLD_PERMIT = "old_permit"

    @property
    def label_zh(self) -> str:
        return _KIND_LABELS[self.value][0]

    @property
    def label_en(self) -> str:
        return _KIND_LABELS[self.value][1]


# What the applicant, the reviewer and every notice call each kind: the one catalogue of labels.
# 房屋产权证明 rather than 不动产权证书: an older 房屋所有权证 proves ownership just as well.
_KIND_LABELS = {
    "id_front": ("居民身份证人像面", "ID card (front)"),
    "id_back": ("居民身份证国徽面", "ID card (back)"),
    "photo": ("证件照", "portrait photo"),
    "lease_contract": ("房屋租赁合同", "lease contract"),
    "property_certificate": ("房屋产权证明", "property certificate"),
    "labor_contract": ("劳动合同", "labour contract"),
    "business_license": ("营业执照", "business licence"),
    "lodging_certificate": ("住宿证明", "lodging certificate"),
    "enrollment_certificate": ("在读证明", "enrolment certificate"),
    "old_permit": ("原居住证", "old permit"),
}


class DeliveryMethod(_ReadEnum):
    MAIL = "mail"
    PICKUP = "pickup"


SubmissionId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Shape only: 17 digits and a digit or X. The check digit is verified by the ID_NUMBER_INVALID check.
IdNumber = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
    StringConstraints(pattern=r"^[0-9]{17}[0-9X]$"),
]
_PHONE_PREFIX = re.compile(r"^(\+86|0086|86(?=1[3-9][0-9]{9}$))")
_PHONE_FILLER = re.compile(r"[\s()（）.-]")


def normalise_phone(phone: str) -> str:
    """+86 138-1234 5678, （0086）13812345678, full-width digits -> 13812345678: one stored form."""
    compact = _PHONE_FILLER.sub("", unicodedata.normalize("NFKC", phone))
    return _PHONE_PREFIX.sub("", compact)


# Normalised before the shape check, so a portal's formatting never refuses a package.
Phone = Annotated[
    str,
    BeforeValidator(lambda v: normalise_phone(v) if isinstance(v, str) else v),
    StringConstraints(pattern=r"^1[3-9][0-9]{9}$"),
]
# A file name inside the package folder: no directories, no traversal, no hidden files.
FileName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=r"^[^/\\\x00]+$")
]


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _PackagePart(BaseModel):
    """Every object of application.json is read the same tolerant way (DESIGN.md §4)."""

    # Unknown keys are ignored, not refused: portals add their own (tracking ids, UI state), and a
    # package is judged on what the case needs. `unknown_fields` keeps their names (never values)
    # so a refusal caused by a misspelt key ("adress") names the key it ignored.
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        # "", "   " and null mean "not given", whatever the field: an optional field is then absent
        # (a pickup's address), a needed one is reported as missing with what to fill in.
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if not _is_blank(value)}
        return data


class Applicant(_PackagePart):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=40)]
    id_number: IdNumber
    phone: Phone


class Delivery(_PackagePart):
    method: DeliveryMethod
    address: Text | None = None
    # Recipient and phone fall back to the applicant's when absent (services/production.py).
    recipient: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    phone: Phone | None = None


class DocumentRef(_PackagePart):
    kind: DocumentKind
    file: FileName

    @field_validator("file")
    @classmethod
    def _no_traversal(cls, value: str) -> str:
        if value in (".", "..") or value.startswith(".") or PurePosixPath(value).name != value:
            raise ValueError("file must be a plain file name inside the package")
        return value


class ApplicationPackage(_PackagePart):
    """A validated application.json."""

    submission_id: SubmissionId
    business_type: BusinessType
    applicant: Applicant
    residence_address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=200)]
    basis: Basis | None = None
    delivery: Delivery
    documents: list[DocumentRef] = Field(min_length=1, max_length=30)
    _ignored_fields: list[str] = PrivateAttr(default_factory=list)

    @property
    def ignored_fields(self) -> list[str]:
        """Paths of the unknown keys the portal sent (names only), set by parse_application."""
        return list(self._ignored_fields)

    @model_validator(mode="after")
    def _consistent(self) -> ApplicationPackage:
        found = inconsistencies(self.business_type, self.basis, self.delivery, self.documents)
        if found:
            en, zh, action = found[0]  # parse_application reports every one of them (一次性告知)
            raise _bilingual_error(en, zh, action)
        return self


def _value_of(item: object, key: str) -> object:
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def _word(value: object) -> str:
    return str(getattr(value, "value", value) or "").strip().lower()


def inconsistencies(
    business_type: object, basis: object, delivery: object, documents: object
) -> list[tuple[str, str, tuple[str, str]]]:
    """(en, zh, action) for each rule across fields that the package breaks; works on the raw JSON
    values as well as on the typed ones, so parse_application can tell them with the field problems."""
    found: list[tuple[str, str, tuple[str, str]]] = []
    if _word(business_type) == BusinessType.APPLY.value and _is_blank(basis):
        found.append(("basis is required for apply", "申领居住证须填写申领依据", ACTIONS["basis"]))
    if _word(_value_of(delivery, "method")) == DeliveryMethod.MAIL.value and _is_blank(
        _value_of(delivery, "address")
    ):
        found.append(
            (
                "delivery.address is required for mail",
                "选择邮寄的，须填写邮寄地址",
                ACTIONS["delivery.address"],
            )
        )
    names = [
        str(name).strip()
        for item in (documents if isinstance(documents, list) else [])
        if isinstance(name := _value_of(item, "file"), str) and name.strip()
    ]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        found.append(
            (
                f"files listed twice: {', '.join(duplicates)}",
                f"材料清单中同一文件出现多次：{'、'.join(duplicates)}",
                (
                    "请在材料清单中每个文件只列一次，不同材料请使用不同的文件名",
                    "list each file once; give different documents different file names",
                ),
            )
        )
    return found


def _bilingual_error(en: str, zh: str, action: tuple[str, str]) -> PydanticCustomError:
    return PydanticCustomError(
        "package_inconsistent", en, {"zh": zh, "action_zh": action[0], "action_en": action[1]}
    )


@dataclass(frozen=True)
class PackageProblem:
    """One thing wrong with a package, for the applicant (zh) and for staff (en).

    zh and en are whole sentences: what is wrong, then what the applicant can do (action_zh /
    action_en, also given alone so a portal can show it beside the field)."""

    code: str  # a reason code where one fits, else PACKAGE_INVALID
    field: str
    zh: str
    en: str
    action_zh: str = ""
    action_en: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "field": self.field,
            "zh": self.zh,
            "en": self.en,
            "action_zh": self.action_zh,
            "action_en": self.action_en,
        }


def problem(code: str, field: str, what: tuple[str, str], action: tuple[str, str]) -> PackageProblem:
    """A problem whose texts say what is wrong and then what to do, in both languages."""
    what_zh, what_en = what
    action_zh, action_en = action
    return PackageProblem(
        code=code,
        field=field,
        zh=f"{what_zh}。{action_zh}。",
        en=f"{field}: {what_en}; {action_en}.",
        action_zh=action_zh,
        action_en=action_en,
    )


class PackageRefused(Exception):
    """The package was refused whole; nothing of it was stored."""

    def __init__(self, problems: list[PackageProblem], submission_id: str | None = None) -> None:
        self.problems = problems
        self.submission_id = submission_id
        super().__init__("; ".join(f"{p.field}: {p.zh} / {p.en}" for p in problems))


_FIELD_ZH = {
    "submission_id": "申请编号",
    "business_type": "业务类型",
    "applicant": "申请人",
    "name": "姓名",
    "id_number": "公民身份号码",
    "phone": "手机号码",
    "residence_address": "居住地址",
    "basis": "申领依据",
    "delivery": "领取方式",
    "method": "领取方式",
    "address": "邮寄地址",
    "recipient": "收件人",
    "documents": "材料清单",
    "kind": "材料类型",
    "file": "文件名",
}

_TYPE_ZH = {
    "missing": "缺少必填项",
    "string_pattern_mismatch": "格式不正确",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "too_short": "至少需要一项",
    "too_long": "项目过多",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "value_error": "内容不符合要求",
}

# What the applicant can do about each field of application.json, keyed by its path without list
# indexes. Every refusal of the package model ends with one of these; each names the field (its
# Chinese label) so the applicant knows where to act.
ACTIONS: dict[str, tuple[str, str]] = {
    "application.json": (
        "请提交 UTF-8 编码、内容为一个 JSON 对象的申请表文件 application.json",
        "submit application.json as one JSON object in UTF-8",
    ),
    "submission_id": (
        "请由申报平台生成申请编号（字母、数字或 _ . : -，不超过 64 位）后重新提交",
        "have the portal send a submission id of letters, digits or _ . : - (at most 64)",
    ),
    "business_type": (
        "请选择业务类型：申领、签注、变更或补领",
        "choose the business type: apply, endorse, change or reissue",
    ),
    "applicant": (
        "请填写申请人的姓名、公民身份号码和手机号码",
        "fill in the applicant's name, ID number and phone",
    ),
    "applicant.name": (
        "请按身份证填写姓名（2 至 40 个字）",
        "fill in the applicant's name as on the ID card (2 to 40 characters)",
    ),
    "applicant.id_number": (
        "请按身份证填写 18 位公民身份号码（最后一位可为 X）",
        "fill in the 18-character ID number as on the ID card (the last may be X)",
    ),
    "applicant.phone": (
        "请填写申请人的 11 位手机号码，如 13812345678",
        "fill in the applicant's 11-digit mobile number, e.g. 13812345678",
    ),
    "residence_address": (
        "请填写在成都的详细居住地址（区、街道、门牌号）",
        "fill in the full residence address in Chengdu (district, street, number)",
    ),
    "basis": (
        "请选择申领依据：就业、居住或就读",
        "choose the basis of the application: employment, residence or study",
    ),
    "delivery": ("请选择领取方式：邮寄或自取", "choose how to receive the card: mail or pickup"),
    "delivery.method": ("请选择领取方式：邮寄或自取", "choose how to receive the card: mail or pickup"),
    "delivery.address": (
        "请填写邮寄地址；如到派出所领取，请改选自取",
        "fill in a mailing address, or choose pickup to collect the card at the station",
    ),
    "delivery.recipient": (
        "请填写收件人姓名（不超过 40 个字），或留空由申请人本人签收",
        "fill in the recipient's name (at most 40 characters), or leave it empty for the applicant",
    ),
    "delivery.phone": (
        "请填写收件人的 11 位手机号码，或留空使用申请人的手机号码",
        "fill in the recipient's 11-digit mobile number, or leave it empty to use the applicant's",
    ),
    "documents": (
        "请上传所需材料（1 至 30 份）并在材料清单中逐项列出",
        "upload the documents needed (1 to 30) and list each one",
    ),
    "documents.kind": (
        "请从以下材料类型中选择：" + "、".join(zh for zh, _ in _KIND_LABELS.values()),
        "choose the kind from: " + ", ".join(_KIND_LABELS),
    ),
    "documents.file": (
        "请使用不含目录、不以“.”开头的文件名，如 id_front.jpg",
        "use a plain file name without folders or a leading dot, e.g. id_front.jpg",
    ),
}


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "application.json"


def _action(loc: tuple[Any, ...]) -> tuple[str, str]:
    """The action for a field, else for the nearest enclosing one (a wrong type inside applicant)."""
    named = [str(part) for part in loc if isinstance(part, str)]
    while named:
        if (found := ACTIONS.get(".".join(named))) is not None:
            return found
        named.pop()
    return ACTIONS["application.json"]


def _with_ignored(what_zh: str, what_en: str, ignored: list[str] | None) -> tuple[str, str]:
    if not ignored:
        return what_zh, what_en
    return (
        what_zh + f"（已忽略未识别的字段：{'、'.join(ignored)}）",
        what_en + f" (unknown fields ignored: {', '.join(ignored)})",
    )


def problems_from_validation(
    error: ValidationError, ignored: list[str] | None = None, *, skip_types: tuple[str, ...] = ()
) -> list[PackageProblem]:
    """Turn pydantic's errors into bilingual problems, one per field, each with its action.

    `ignored` are the unknown keys the reader skipped: a value reported missing may sit under one
    of them, so missing-value problems name them."""
    problems = []
    for item in error.errors():
        if item["type"] in skip_types:
            continue
        loc = tuple(item.get("loc", ()))
        path = _field_path(loc)
        named = [str(p) for p in loc if isinstance(p, str)]
        field_zh = _FIELD_ZH.get(named[-1], named[-1]) if named else "申请表"
        ctx = item.get("ctx") or {}
        what_en = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        what_zh = ctx.get("zh") or f"{field_zh}（{path}）{_TYPE_ZH.get(item['type'], '内容不符合要求')}"
        action = (ctx["action_zh"], ctx["action_en"]) if "action_zh" in ctx else _action(loc)
        if item["type"] in ("missing", "package_inconsistent"):
            what_zh, what_en = _with_ignored(what_zh, what_en, ignored)
        problems.append(problem("PACKAGE_INVALID", path, (what_zh, what_en), action))
    return problems


def _nested_model(annotation: Any) -> type[_PackagePart] | None:
    if isinstance(annotation, type) and issubclass(annotation, _PackagePart):
        return annotation
    for arg in get_args(annotation):
        if (found := _nested_model(arg)) is not None:
            return found
    return None


def unknown_fields(
    data: object, model: type[_PackagePart] = ApplicationPackage, prefix: str = ""
) -> list[str]:
    """Paths of the keys in `data` that the package model does not know (names only, never values)."""
    if not isinstance(data, dict):
        return []
    found: list[str] = []
    for key, value in data.items():
        path = f"{prefix}{str(key)[:60]}"
        field = model.model_fields.get(key) if isinstance(key, str) else None
        inner = _nested_model(field.annotation) if field is not None else None
        if field is None:
            found.append(path)
        elif inner is not None and isinstance(value, list):
            for index, item in enumerate(value):
                found.extend(unknown_fields(item, inner, f"{path}.{index}."))
        elif inner is not None:
            found.extend(unknown_fields(value, inner, f"{path}."))
    return found


def _refused_file(what: tuple[str, str]) -> PackageRefused:
    return PackageRefused([problem("PACKAGE_INVALID", "application.json", what, ACTIONS["application.json"])])


def parse_application(raw: bytes) -> ApplicationPackage:
    """Parse and validate application.json bytes; raise PackageRefused listing every problem."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refused_file(
            ("申请表（application.json）不是有效的 UTF-8 JSON 文件", f"not valid UTF-8 JSON: {exc}")
        ) from None
    if not isinstance(data, dict):
        raise _refused_file(("申请表（application.json）应为一个 JSON 对象", "must hold a JSON object"))
    submission_id = data.get("submission_id")
    if not isinstance(submission_id, str) or _is_blank(submission_id):
        submission_id = None
    ignored = unknown_fields(data)
    try:
        package = ApplicationPackage.model_validate(data)
    except ValidationError as exc:
        # The rules across fields are checked on the raw values as well, so every one of them is told
        # together with the field problems, not only the first and not only once the fields are fine
        # (一次性告知).
        problems = problems_from_validation(exc, ignored, skip_types=("package_inconsistent",))
        for en, zh, action in inconsistencies(
            data.get("business_type"), data.get("basis"), data.get("delivery"), data.get("documents")
        ):
            problems.append(
                problem("PACKAGE_INVALID", "application.json", _with_ignored(zh, en, ignored), action)
            )
        raise PackageRefused(problems, submission_id) from None
    package._ignored_fields = ignored
    return package
