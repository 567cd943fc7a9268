"""What each generated document says: plain data handed from the city model to the renderers.

The city model (samplecity/city.py) decides the facts, including planted defects; the renderers
(samplecity/render/) only draw them. Dates are datetime.date; None means "not applicable".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Person:
    name: str
    sex: str  # "男" | "女"
    ethnicity: str  # "汉", "回", "藏", "彝", ... (without 族)
    birth_date: date
    id_number: str  # 18 characters, GB 11643 (may be deliberately invalid for planted defects)
    hukou_address: str  # address printed on the ID card (the household registration)
    phone: str
    face_seed: int  # selects the drawn face, so a person's photo is the same on every document


@dataclass(frozen=True)
class IdCardBack:
    issuing_authority: str  # e.g. "南充市公安局顺庆区分局" or "xx县公安局"
    valid_from: date
    valid_until: date | None  # None prints 长期


@dataclass(frozen=True)
class LeaseContract:
    landlord_name: str
    landlord_id_number: str
    tenant_name: str
    tenant_id_number: str
    address: str
    start_on: date
    end_on: date
    monthly_rent: int  # yuan
    registration_no: str | None  # 租赁登记备案号 printed on the contract when registered
    signed_on: date


@dataclass(frozen=True)
class LaborContract:
    employer_name: str
    employer_uscc: str
    employer_address: str
    employee_name: str
    employee_id_number: str
    position: str
    start_on: date
    end_on: date | None  # None: 无固定期限
    monthly_salary: int
    signed_on: date


@dataclass(frozen=True)
class BusinessLicense:
    uscc: str
    name: str
    type: str  # e.g. 有限责任公司(自然人投资或控股)
    legal_representative: str
    registered_capital: str  # e.g. 伍佰万元整
    established_on: date
    address: str
    issued_on: date
    registration_authority: str  # e.g. 成都市武侯区市场监督管理局


@dataclass(frozen=True)
class PropertyCertificate:
    certificate_no: str  # e.g. 川(2021)成都市不动产权第0123456号
    owner_name: str
    owner_id_number: str
    address: str
    area_m2: float
    usage: str  # 住宅
    issued_on: date


@dataclass(frozen=True)
class EnrollmentCertificate:
    school: str
    student_name: str
    id_number: str
    student_no: str
    major: str
    enrolled_on: date
    issued_on: date


@dataclass(frozen=True)
class LodgingCertificate:
    issuer: str  # employer or school providing the lodging
    resident_name: str
    id_number: str
    address: str
    since: date
    issued_on: date


@dataclass(frozen=True)
class OldPermit:
    permit_no: str
    person: Person
    residence_address: str
    issuing_authority: str  # 成都市公安局XX分局
    issued_on: date
