"""The case package the portal submits (DESIGN.md §4): `application.json` plus the files it names.

Validation is strict about shape and lenient about whitespace; every problem is reported at once
with a Chinese and an English message, so the portal can show the applicant all of them.
Whether an ID number's check digit is right is a *check* (ID_NUMBER_INVALID, a reason the
applicant is told about), not a shape error: the package is accepted and the flow flags it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError


class BusinessType(StrEnum):
    APPLY = "apply"  # 申领
    ENDORSE = "endorse"  # 签注
    CHANGE = "change"  # 变更
    REISSUE = "reissue"  # 补领 / 换领

    @property
    def label_zh(self) -> str:
        return {"apply": "申领", "endorse": "签注", "change": "变更", "reissue": "补领/换领"}[self.value]


class Basis(StrEnum):
    EMPLOYMENT = "employment"
    RESIDENCE = "residence"
    STUDY = "study"


class DocumentKind(StrEnum):
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


_KIND_LABELS = {
    "id_front": ("身份证人像面", "ID card (front)"),
    "id_back": ("身份证国徽面", "ID card (back)"),
    "photo": ("证件照", "photo"),
    "lease_contract": ("房屋租赁合同", "lease"),
    "property_certificate": ("不动产权证书", "property certificate"),
    "labor_contract": ("劳动合同", "labour contract"),
    "business_license": ("营业执照", "business licence"),
    "lodging_certificate": ("住宿证明", "lodging certificate"),
    "enrollment_certificate": ("在读证明", "enrolment certificate"),
    "old_permit": ("原居住证", "old permit"),
}


class DeliveryMethod(StrEnum):
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
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\+?86[- ]?)?1[3-9][0-9]{9}$")]
# A file name inside the package folder: no directories, no traversal, no hidden files.
FileName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=r"^[^/\\\x00]+$")
]


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=40)]
    id_number: IdNumber
    phone: Phone


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: DeliveryMethod
    address: Text | None = None
    recipient: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    phone: Phone | None = None


class DocumentRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: DocumentKind
    file: FileName

    @field_validator("file")
    @classmethod
    def _no_traversal(cls, value: str) -> str:
        if value in (".", "..") or value.startswith(".") or PurePosixPath(value).name != value:
            raise ValueError("file must be a plain file name inside the package")
        return value


class ApplicationPackage(BaseModel):
    """A validated application.json."""

    model_config = ConfigDict(extra="forbid")
    submission_id: SubmissionId
    business_type: BusinessType
    applicant: Applicant
    residence_address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=200)]
    basis: Basis | None = None
    delivery: Delivery
    documents: list[DocumentRef] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _consistent(self) -> ApplicationPackage:
        if self.business_type is BusinessType.APPLY and self.basis is None:
            raise _bilingual_error(
                "basis is required for apply (employment, residence or study)",
                "申领居住证须填写申领依据（就业、居住或就读）。",
            )
        if self.delivery.method is DeliveryMethod.MAIL and not self.delivery.address:
            raise _bilingual_error("delivery.address is required for mail", "选择邮寄的，须填写邮寄地址。")
        names = [d.file for d in self.documents]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise _bilingual_error(
                f"files listed twice: {', '.join(duplicates)}",
                f"材料清单中同一文件出现多次：{'、'.join(duplicates)}。",
            )
        return self


def _bilingual_error(en: str, zh: str) -> PydanticCustomError:
    return PydanticCustomError("package_inconsistent", en, {"zh": zh})


@dataclass(frozen=True)
class PackageProblem:
    """One thing wrong with a package, for the applicant (zh) and for staff (en)."""

    code: str  # a reason code where one fits, else PACKAGE_INVALID
    field: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "zh": self.zh, "en": self.en}


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
    "extra_forbidden": "包含未定义的字段",
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
    "dict_type": "应为对象",
    "value_error": "内容不符合要求",
}


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "application.json"


def problems_from_validation(error: ValidationError) -> list[PackageProblem]:
    """Turn pydantic's errors into bilingual problems, one per field."""
    problems = []
    for item in error.errors():
        loc = tuple(item.get("loc", ()))
        path = _field_path(loc)
        named = [str(p) for p in loc if isinstance(p, str)]
        field_zh = _FIELD_ZH.get(named[-1], named[-1]) if named else "申请材料"
        message_en = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        zh = (item.get("ctx") or {}).get("zh")
        if not zh:
            reason_zh = _TYPE_ZH.get(item["type"], "内容不符合要求")
            zh = f"{field_zh}（{path}）{reason_zh}，请核对后重新提交。"
        problems.append(PackageProblem(code="PACKAGE_INVALID", field=path, zh=zh, en=f"{path}: {message_en}"))
    return problems


def parse_application(raw: bytes) -> ApplicationPackage:
    """Parse and validate application.json bytes; raise PackageRefused listing every problem."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageRefused(
            [
                PackageProblem(
                    code="PACKAGE_INVALID",
                    field="application.json",
                    zh="申请表（application.json）不是有效的 UTF-8 JSON 文件，请重新提交。",
                    en=f"application.json is not valid UTF-8 JSON: {exc}",
                )
            ]
        ) from None
    submission_id = data.get("submission_id") if isinstance(data, dict) else None
    if not isinstance(data, dict):
        raise PackageRefused(
            [
                PackageProblem(
                    code="PACKAGE_INVALID",
                    field="application.json",
                    zh="申请表（application.json）应为一个 JSON 对象。",
                    en="application.json must hold a JSON object",
                )
            ]
        )
    try:
        return ApplicationPackage.model_validate(data)
    except ValidationError as exc:
        raise PackageRefused(
            problems_from_validation(exc), submission_id if isinstance(submission_id, str) else None
        ) from None


_PHONE_PREFIX = re.compile(r"^\+?86[- ]?")


def normalise_phone(phone: str) -> str:
    """+86 138... -> 138...: one stored form for phone numbers."""
    return _PHONE_PREFIX.sub("", phone.strip())
