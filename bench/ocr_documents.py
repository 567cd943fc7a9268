"""Benchmark of field extraction from the non-ID documents (run by hand; not a test).

    .venv/bin/python bench/ocr_documents.py [--n 40] [--seed 7] [--only lease_scan,license_clean]

For every template and condition it renders ≥ n fresh sample-city documents, reads them the way
the pipeline does (documents.pdf.read_pdf → lines_from_pdf, or lines_from_image on the decoded
image, with the engine given by --engine, default tesseract), extracts the fields and compares
each with what was rendered.
Prints a table and writes bench/results/ocr_documents.md: per-field exact-match %, all-fields %,
and ms per document (reading + OCR + extraction).

"Exact" means equal after the normalisation the checks themselves apply: dates as dates, ID numbers
and codes character for character, names character for character, addresses by
models.address.normalise_address, free text (licence type) after normalise_ocr_text.

The sample factories (`sample_lease` …) are also used by tests/integration/test_document_extraction.py.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from samplecity.documents import (  # noqa: E402
    BusinessLicense,
    EnrollmentCertificate,
    LaborContract,
    LeaseContract,
    LodgingCertificate,
    OldPermit,
    PropertyCertificate,
)

TODAY = date(2026, 3, 1)


# --- sample documents ----------------------------------------------------------------------------


def _city_index() -> Any:
    from config.city import load_city
    from samplecity.addresses import city_index

    return city_index(load_city())


def _person(rng: random.Random, *, local: bool = False) -> Any:
    from samplecity.people import make_identity

    return make_identity(rng, TODAY, local=local).person


def sample_lease(rng: random.Random, *, registered: bool | None = None) -> LeaseContract:
    """A lease with random parties, a random Chengdu address and a 1-2 year term."""
    from samplecity.addresses import random_address
    from samplecity.people import add_months
    from samplecity.scenarios import lease_registration_no

    index = _city_index()
    landlord, tenant = _person(rng, local=True), _person(rng)
    addr = random_address(index, rng)
    start = TODAY - timedelta(days=rng.randint(10, 400))
    end = add_months(start, rng.choice((6, 12, 12, 24))) - timedelta(days=1)
    reg = registered if registered is not None else rng.random() < 0.7
    return LeaseContract(
        landlord_name=landlord.name,
        landlord_id_number=landlord.id_number,
        tenant_name=tenant.name,
        tenant_id_number=tenant.id_number,
        address=addr.canonical if rng.random() < 0.6 else addr.short,
        start_on=start,
        end_on=end,
        monthly_rent=rng.randrange(800, 8000, 50),
        registration_no=lease_registration_no(rng, addr.district_code, start) if reg else None,
        signed_on=start - timedelta(days=rng.randint(1, 10)),
    )


def _business(rng: random.Random, *, individual: bool = False) -> Any:
    from samplecity.scenarios import make_business

    owner = _person(rng).name if individual else None
    return make_business(rng, _city_index(), TODAY, status="存续", individual=individual, owner=owner)


def sample_labor(rng: random.Random) -> LaborContract:
    from samplecity.addresses import random_address
    from samplecity.people import add_years
    from samplecity.scenarios import POSITIONS

    biz = _business(rng)
    worker = _person(rng)
    start = TODAY - timedelta(days=rng.randint(200, 1500))
    return LaborContract(
        employer_name=biz.name,
        employer_uscc=biz.uscc,
        employer_address=random_address(_city_index(), rng).short,
        employee_name=worker.name,
        employee_id_number=worker.id_number,
        position=rng.choice(POSITIONS),
        start_on=start,
        end_on=None
        if rng.random() < 0.25
        else add_years(start, rng.choice((1, 2, 3, 5))) - timedelta(days=1),
        monthly_salary=rng.randrange(3000, 15000, 100),
        signed_on=start - timedelta(days=rng.randint(0, 5)),
    )


def sample_license(rng: random.Random) -> BusinessLicense:
    biz = _business(rng, individual=rng.random() < 0.3)
    return biz.license()  # type: ignore[no-any-return]


def sample_property(rng: random.Random) -> PropertyCertificate:
    from samplecity.addresses import random_address
    from samplecity.scenarios import property_certificate_no

    owner = _person(rng)
    issued = TODAY - timedelta(days=rng.randint(300, 5000))
    return PropertyCertificate(
        certificate_no=property_certificate_no(rng, issued),
        owner_name=owner.name,
        owner_id_number=owner.id_number,
        address=random_address(_city_index(), rng).canonical,
        area_m2=round(rng.uniform(45, 160), 2),
        usage="住宅",
        issued_on=issued,
    )


def sample_enrollment(rng: random.Random) -> EnrollmentCertificate:
    from samplecity.scenarios import SCHOOLS

    school, majors = rng.choice(SCHOOLS)
    student = _person(rng)
    enrolled = date(TODAY.year - rng.randint(1, 3), 9, rng.randint(1, 10))
    return EnrollmentCertificate(
        school=school,
        student_name=student.name,
        id_number=student.id_number,
        student_no=f"{enrolled.year}{rng.randint(10, 99)}{rng.randint(0, 99999):05d}",
        major=rng.choice(majors),
        enrolled_on=enrolled,
        issued_on=TODAY - timedelta(days=rng.randint(3, 40)),
    )


def sample_lodging(rng: random.Random) -> LodgingCertificate:
    from samplecity.addresses import random_address
    from samplecity.scenarios import SCHOOLS

    issuer = rng.choice(SCHOOLS)[0] if rng.random() < 0.4 else _business(rng).name
    person = _person(rng)
    return LodgingCertificate(
        issuer=issuer,
        resident_name=person.name,
        id_number=person.id_number,
        address=random_address(_city_index(), rng).canonical,
        since=TODAY - timedelta(days=rng.randint(200, 1500)),
        issued_on=TODAY - timedelta(days=rng.randint(3, 40)),
    )


def sample_old_permit(rng: random.Random) -> OldPermit:
    from samplecity.addresses import random_address
    from samplecity.scenarios import permit_no

    addr = random_address(_city_index(), rng)
    issued = TODAY - timedelta(days=rng.randint(100, 1500))
    return OldPermit(
        permit_no=permit_no(rng, addr.district_code, issued),
        person=_person(rng),
        residence_address=addr.canonical.removeprefix("四川省"),
        issuing_authority=addr.bureau,
        issued_on=issued,
    )


# --- reading -------------------------------------------------------------------------------------


def pdf_lines(data: bytes, engine: Any) -> tuple[list[str], list[float]]:
    from documents.extract.pages import lines_from_pdf, split_lines
    from documents.pdf import read_pdf

    pdf = read_pdf(data)
    if not hasattr(pdf, "pages"):
        return [], []
    return split_lines(lines_from_pdf(pdf, engine))  # type: ignore[arg-type]


def image_lines(img: Any, engine: Any) -> tuple[list[str], list[float]]:
    """OCR lines of a PIL image, via the same distrustful decoder the pipeline uses."""
    from documents.extract.pages import lines_from_image, split_lines
    from documents.safe_image import decode_image

    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=90)
    decoded = decode_image(buf.getvalue())
    if not hasattr(decoded, "bgr"):
        return [], []
    return split_lines(lines_from_image(decoded.bgr, engine))  # type: ignore[union-attr]


# --- what "right" means per field ----------------------------------------------------------------


def _same(kind: str, read: object, expected: object) -> bool:
    from documents.text import normalise_ocr_text
    from models.address import normalise_address

    if read is None or expected is None:
        return read is None and expected is None
    if kind == "address":
        return normalise_address(str(read)) == normalise_address(str(expected))
    if kind == "text":
        return normalise_ocr_text(str(read)) == normalise_ocr_text(str(expected))
    return read == expected


def _value(fact: Any) -> object:
    return None if fact is None else fact.value


@dataclass(frozen=True)
class Case:
    name: str  # table row: template/condition
    make: Callable[[random.Random], Any]
    render: Callable[[Any, random.Random], Any]  # the document as uploaded: PDF bytes or an image
    read: Callable[[Any, Any], tuple[list[str], list[float]]]
    fields: Callable[[Any, list[str], list[float]], dict[str, bool]]


def _lease_fields(doc: LeaseContract, lines: list[str], confs: list[float]) -> dict[str, bool]:
    from documents.extract.lease import extract_lease

    r = extract_lease(lines, line_confidences=confs)
    f = r.facts
    return {
        "landlord": _same("name", _value(r.landlord_name), doc.landlord_name),
        "tenant": _same("name", _value(r.tenant_name), doc.tenant_name),
        "tenant_id": _same("code", _value(f.tenant_id_number), doc.tenant_id_number),
        "address": _same("address", _value(f.address), doc.address),
        "start": _same("date", _value(f.start_on), doc.start_on),
        "end": _same("date", _value(f.end_on), doc.end_on),
        "rent": _same("int", _value(r.monthly_rent), doc.monthly_rent),
        "reg_no": _same("code", _value(f.registration_no), doc.registration_no),
    }


def _labor_fields(doc: LaborContract, lines: list[str], confs: list[float]) -> dict[str, bool]:
    from documents.extract.labor import extract_labor_contract

    r = extract_labor_contract(lines, line_confidences=confs)
    f = r.facts
    return {
        "employer": _same("text", _value(f.employer_name), doc.employer_name),
        "uscc": _same("code", _value(f.employer_uscc), doc.employer_uscc),
        "employee": _same("name", _value(r.employee_name), doc.employee_name),
        "employee_id": _same("code", _value(f.employee_id_number), doc.employee_id_number),
        "start": _same("date", _value(f.start_on), doc.start_on),
        "end": f.end_on is not None and _same("date", f.end_on.value, doc.end_on),
    }


def _license_fields(doc: BusinessLicense, lines: list[str], confs: list[float]) -> dict[str, bool]:
    from documents.extract.business_license import extract_business_license

    r = extract_business_license(lines, line_confidences=confs)
    return {
        "uscc": _same("code", _value(r.facts.uscc), doc.uscc),
        "name": _same("text", _value(r.facts.name), doc.name),
        "type": _same("text", _value(r.type), doc.type),
        "legal_rep": _same("name", _value(r.legal_representative), doc.legal_representative),
        "established": _same("date", _value(r.established_on), doc.established_on),
        "address": _same("address", _value(r.address), doc.address),
    }


def _property_fields(doc: PropertyCertificate, lines: list[str], confs: list[float]) -> dict[str, bool]:
    from documents.extract.property import extract_property_certificate

    f = extract_property_certificate(lines, line_confidences=confs)
    return {
        "cert_no": _same("text", _value(f.certificate_no), doc.certificate_no),
        "owner": _same("name", _value(f.owner_name), doc.owner_name),
        "address": _same("address", _value(f.address), doc.address),
    }


def _enrollment_fields(doc: EnrollmentCertificate, lines: list[str], confs: list[float]) -> dict[str, bool]:
    from documents.extract.enrollment import extract_enrollment_certificate

    r = extract_enrollment_certificate(lines, line_confidences=confs)
    enrolled = _value(r.enrolled_on)
    return {
        "school": _same("text", _value(r.facts.school), doc.school),
        "student": _same("name", _value(r.student_name), doc.student_name),
        "id_number": _same("code", _value(r.facts.id_number), doc.id_number),
        # The letters print the year and month of enrolment only.
        "enrolled": isinstance(enrolled, date) and enrolled.replace(day=1) == doc.enrolled_on.replace(day=1),
    }


def _lodging_fields(doc: LodgingCertificate, lines: list[str], confs: list[float]) -> dict[str, bool]:
    from documents.extract.lodging import extract_lodging_certificate

    f = extract_lodging_certificate(lines, line_confidences=confs)
    return {
        "issuer": _same("text", _value(f.issuer), doc.issuer),
        "resident": _same("name", _value(f.resident_name), doc.resident_name),
        "id_number": _same("code", _value(f.id_number), doc.id_number),
        "address": _same("address", _value(f.address), doc.address),
        "since": _same("date", _value(f.since), doc.since),
    }


def _old_permit_fields(doc: OldPermit, lines: list[str], confs: list[float]) -> dict[str, bool]:
    from documents.extract.old_permit import extract_old_permit

    f = extract_old_permit(lines, line_confidences=confs)
    return {
        "permit_no": _same("code", _value(f.permit_no), doc.permit_no),
        "name": _same("name", _value(f.name), doc.person.name),
        "id_number": _same("code", _value(f.id_number), doc.person.id_number),
        "address": _same("address", _value(f.residence_address), doc.residence_address),
        "authority": _same("text", _value(f.issuing_authority), doc.issuing_authority),
        "issued": _same("date", _value(f.issued_on), doc.issued_on),
    }


def _pdf(renderer: str, scanned: bool) -> Callable[[Any, random.Random], Any]:
    def render(doc: Any, rng: random.Random) -> Any:
        from samplecity import render as r

        return getattr(r, renderer)(doc, rng=rng, scanned=scanned)

    return render


def _img(renderer: str, condition: str) -> Callable[[Any, random.Random], Any]:
    def render(doc: Any, rng: random.Random) -> Any:
        from samplecity import render as r

        img = getattr(r, renderer)(doc, rng=rng)
        return img if condition == "clean" else r.degrade(img, condition, rng=rng)

    return render


CASES: tuple[Case, ...] = (
    Case("lease_text", sample_lease, _pdf("render_lease_contract", False), pdf_lines, _lease_fields),
    Case("lease_scan", sample_lease, _pdf("render_lease_contract", True), pdf_lines, _lease_fields),
    Case("labor_text", sample_labor, _pdf("render_labor_contract", False), pdf_lines, _labor_fields),
    Case("labor_scan", sample_labor, _pdf("render_labor_contract", True), pdf_lines, _labor_fields),
    Case(
        "license_clean",
        sample_license,
        _img("render_business_license", "clean"),
        image_lines,
        _license_fields,
    ),
    Case(
        "license_desk_photo",
        sample_license,
        _img("render_business_license", "desk_photo"),
        image_lines,
        _license_fields,
    ),
    Case(
        "license_skew", sample_license, _img("render_business_license", "skew"), image_lines, _license_fields
    ),
    Case(
        "property_clean",
        sample_property,
        _img("render_property_certificate", "clean"),
        image_lines,
        _property_fields,
    ),
    Case(
        "enrollment_clean",
        sample_enrollment,
        _img("render_enrollment_certificate", "clean"),
        image_lines,
        _enrollment_fields,
    ),
    Case(
        "lodging_clean",
        sample_lodging,
        _img("render_lodging_certificate", "clean"),
        image_lines,
        _lodging_fields,
    ),
    Case(
        "old_permit_clean",
        sample_old_permit,
        _img("render_old_permit", "clean"),
        image_lines,
        _old_permit_fields,
    ),
)


def run_case(case: Case, n: int, seed: int, engine: Any) -> dict[str, Any]:
    per_field: dict[str, int] = {}
    all_right, total_ms = 0, 0.0
    failures: list[str] = []
    for k in range(n):
        rng = random.Random(f"{seed}:{case.name}:{k}")
        doc = case.make(rng)
        uploaded = case.render(doc, rng)
        # Rendering is not part of the pipeline's cost: time reading + OCR + extraction only.
        started = time.perf_counter()
        try:
            lines, confs = case.read(uploaded, engine)
        except RuntimeError:  # an OCR timeout under load: the document counts as read wrong
            lines, confs = [], []
        ok = case.fields(doc, lines, confs)
        total_ms += (time.perf_counter() - started) * 1000
        for field, good in ok.items():
            per_field[field] = per_field.get(field, 0) + int(good)
        if all(ok.values()):
            all_right += 1
        elif len(failures) < 3:
            failures.append(f"#{k}: " + ",".join(f for f, good in ok.items() if not good))
    return {
        "name": case.name,
        "n": n,
        "fields": {f: 100.0 * c / n for f, c in per_field.items()},
        "all": 100.0 * all_right / n,
        "ms": total_ms / n,
        "failures": failures,
    }


def _table(results: list[dict[str, Any]]) -> str:
    out = [
        "| template / condition | n | per-field exact match % | all fields % | ms/doc |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        fields = ", ".join(f"{f} {v:.0f}" for f, v in r["fields"].items())
        out.append(f"| {r['name']} | {r['n']} | {fields} | {r['all']:.1f} | {r['ms']:.0f} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engine", default="tesseract", help="tesseract or rapidocr")
    parser.add_argument("--only", default="", help="comma-separated row names")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ocr_documents.md")
    args = parser.parse_args()

    from documents.ocr.engines import get_engine

    engine = get_engine(args.engine)
    only = {s for s in args.only.split(",") if s}
    results = []
    for case in CASES:
        if only and case.name not in only:
            continue
        started = time.perf_counter()
        res = run_case(case, args.n, args.seed, engine)
        results.append(res)
        print(
            f"{case.name}: all {res['all']:.1f}%  {res['ms']:.0f} ms/doc  "
            f"({time.perf_counter() - started:.0f} s)  failures: {res['failures']}",
            flush=True,
        )
    table = _table(results)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        f"# Field extraction from non-ID documents ({args.engine})\n\n"
        f"`.venv/bin/python bench/ocr_documents.py --engine {args.engine} --n {args.n} --seed {args.seed}` — "
        f"{date.today().isoformat()}; ms/doc covers PDF reading or image decoding, orientation, OCR and "
        "extraction (not rendering).\n\n" + table + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
