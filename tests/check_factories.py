"""Factories for the check tests: shared-data rows, applicant data, document facts, applications.

Every factory builds a valid, clean record; a test overrides only what it is about.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from factories import make_application
from stdnum.cn import ric, uscc

from models.checks.data import ApplicantData
from models.checks.facts import DocumentFacts, Fact
from models.checks.periods import months_back
from models.package import ApplicationPackage, DocumentKind
from models.records import (
    BusinessRecord,
    HukouRecord,
    InsuranceMonth,
    LeaseRegistration,
    PermitRecord,
    PropertyRecord,
    ResidenceRegistration,
    SchoolEnrollment,
)

TODAY = date(2026, 11, 27)
NAME = "王小明"
ADDRESS = "四川省成都市武侯区玉林街道玉林北路12号3栋2单元501"


def make_id(region: str = "511302", birth: date = date(1990, 3, 15), sequence: int = 441) -> str:
    """A valid GB 11643 number (check character computed)."""
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_uscc(serial: str = "MA61ABCD0") -> str:
    """A valid unified social credit code registered in Chengdu (510100)."""
    body = f"91510100{serial}"
    return body + uscc.calc_check_digit(body)


ID = make_id()
USCC = make_uscc()


def reg(
    registered_on: date, deregistered_on: date | None = None, *, address: str = ADDRESS, **kw: Any
) -> ResidenceRegistration:
    values = {"id_number": ID, "name": NAME, "district_code": "510107"} | kw
    return ResidenceRegistration(
        address=address, registered_on=registered_on, deregistered_on=deregistered_on, **values
    )


def ins(month: str, paid: bool = True, employer: str = USCC) -> InsuranceMonth:
    return InsuranceMonth(id_number=ID, employer_uscc=employer, month=month, paid=paid)


def paid_window(today: date = TODAY, count: int = 6, **kw: Any) -> list[InsuranceMonth]:
    """Paid rows for the `count` months ending last month."""
    return [ins(m, **kw) for m in months_back(today, count)]


def lease(
    *,
    registration_no: str = "WH2026-000123",
    address: str = ADDRESS,
    start_on: date = date(2026, 1, 1),
    end_on: date = date(2027, 12, 31),
    tenant: str = ID,
) -> LeaseRegistration:
    return LeaseRegistration(
        registration_no=registration_no,
        tenant_id_number=tenant,
        address=address,
        start_on=start_on,
        end_on=end_on,
    )


def prop(
    *, certificate_no: str = "川(2020)成都市不动产权第0012345号", owner: str = ID, address: str = ADDRESS
) -> PropertyRecord:
    return PropertyRecord(certificate_no=certificate_no, owner_id_number=owner, address=address)


def business(status: str = "存续", code: str = USCC, name: str = "成都蓉城软件有限公司") -> BusinessRecord:
    return BusinessRecord(uscc=code, name=name, status=status)


def enrollment(status: str = "在读", school: str = "四川大学") -> SchoolEnrollment:
    return SchoolEnrollment(id_number=ID, school=school, enrolled_on=date(2025, 9, 5), status=status)


def hukou(code: str = "5113") -> HukouRecord:
    return HukouRecord(id_number=ID, hukou_city_code=code)


def permit(
    issued_on: date = date(2025, 1, 10), last_endorsed_on: date | None = None, status: str = "有效"
) -> PermitRecord:
    return PermitRecord(
        permit_no="510107202501100001",
        id_number=ID,
        issued_on=issued_on,
        last_endorsed_on=last_endorsed_on,
        status=status,
    )


def make_data(**overrides: Any) -> ApplicantData:
    """A clean applicant: non-local hukou, registered 2 years, 6 paid months at an active employer,
    a current registered lease and an active enrolment, no permit."""
    values: dict[str, Any] = {
        "id_number": ID,
        "registrations": (reg(date(2024, 10, 1)),),
        "insurance": tuple(paid_window()),
        "leases": (lease(),),
        "properties": (),
        "enrollments": (enrollment(),),
        "hukou": (hukou(),),
        "permits": (),
        "businesses": {USCC: business()},
    }
    values.update(overrides)
    return ApplicantData(**values)


def f(value: Any, confidence: float = 0.98) -> Fact[Any]:
    return Fact(value=value, confidence=confidence)


def make_facts(**sections: Any) -> DocumentFacts:
    """Facts matching the default applicant; pass a section dict to override/extend its fields."""
    base: dict[str, dict[str, Any]] = {
        "id_front": {"name": f(NAME), "id_number": f(ID), "address": f("四川省南充市顺庆区")},
        "id_back": {"valid_from": f(date(2016, 5, 1)), "valid_until": f(date(2036, 5, 1))},
        "lease": {
            "registration_no": f("WH2026-000123"),
            "address": f(ADDRESS),
            "end_on": f(date(2027, 12, 31)),
        },
        "labor_contract": {"employer_uscc": f(USCC), "employee_id_number": f(ID)},
        "enrollment": {"school": f("四川大学")},
    }
    for name, fields in sections.items():
        if fields is None:
            base.pop(name, None)
        else:
            base[name] = base.get(name, {}) | fields
    return DocumentFacts.model_validate(base)


BASE_DOCS = {DocumentKind.ID_FRONT, DocumentKind.ID_BACK, DocumentKind.PHOTO}


def make_app(**overrides: Any) -> ApplicationPackage:
    """A validated application (residence basis by default) for the default applicant."""
    applicant = {"name": NAME, "id_number": ID, "phone": "13812345678"} | overrides.pop("applicant", {})
    return ApplicationPackage.model_validate(make_application(applicant=applicant, **overrides))
