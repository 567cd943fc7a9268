"""Benchmark of field extraction from the non-ID documents (run by hand; not a test).

    .venv/bin/python bench/ocr_documents.py [--n 40] [--seed 7] [--only lease_scan,license_clean]
        [--engine rapidocr] [--family a|b|both]

For every template and condition it renders ≥ n fresh sample-city documents from each template
family asked for (a: the family the extractors are tuned on; b: the held-out family, issue 11
item 4; default both, side by side in bench/results/ocr_documents_families.md), reads them the way
the pipeline does (documents.pdf.read_pdf → lines_from_pdf, or lines_from_image on the decoded
image, with the engine given by --engine, default tesseract), extracts the fields and compares
each with what was rendered.
Prints and writes per-field exact-match %, all-fields %, ms per document (reading + OCR +
extraction) and, per field, the readings that are wrong yet at or above the confidence bar
(config/documents.yaml ocr_min_confidence): the errors a check would act on. `--family a` alone
writes the earlier single-family table to bench/results/ocr_documents.md.

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
from functools import lru_cache
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


@lru_cache(maxsize=1)
def min_confidence() -> float:
    """The bar below which a value is never used as a mismatch (config/documents.yaml)."""
    import yaml

    data = yaml.safe_load((REPO / "config" / "documents.yaml").read_text(encoding="utf-8"))
    return float(data["ocr_min_confidence"])


@lru_cache(maxsize=1)
def required_fields() -> dict[str, tuple[str, ...]]:
    """Bench field names of config/documents.yaml `ocr_required_fields`, per bench kind."""
    import yaml

    data = yaml.safe_load((REPO / "config" / "documents.yaml").read_text(encoding="utf-8"))
    names = {"employer_uscc": "uscc", "certificate_no": "cert_no"}  # config name -> bench name
    return {kind: tuple(names.get(f, f) for f in fs) for kind, fs in data["ocr_required_fields"].items()}


@dataclass(frozen=True)
class Outcome:
    """One field of one document: read right or not, and how sure the reader said it was."""

    right: bool
    confidence: float | None  # None: the field was not read at all

    @property
    def wrong_trusted(self) -> bool:
        """Read wrong but at or above the bar: the kind of error a check would act on."""
        return not self.right and self.confidence is not None and self.confidence >= min_confidence()


def _check(kind: str, fact: Any, expected: object, *, need_fact: bool = False) -> Outcome:
    conf = None if fact is None else float(getattr(fact, "confidence", 1.0))
    if need_fact and fact is None:
        return Outcome(False, None)
    return Outcome(_same(kind, _value(fact), expected), conf)


def _lease_outcomes(doc: LeaseContract, lines: list[str], confs: list[float]) -> dict[str, Outcome]:
    from documents.extract.lease import extract_lease

    r = extract_lease(lines, line_confidences=confs)
    f = r.facts
    return {
        "landlord": _check("name", r.landlord_name, doc.landlord_name),
        "tenant": _check("name", r.tenant_name, doc.tenant_name),
        "tenant_id": _check("code", f.tenant_id_number, doc.tenant_id_number),
        "address": _check("address", f.address, doc.address),
        "start": _check("date", f.start_on, doc.start_on),
        "end": _check("date", f.end_on, doc.end_on),
        "rent": _check("int", r.monthly_rent, doc.monthly_rent),
        "reg_no": _check("code", f.registration_no, doc.registration_no),
    }


def _labor_outcomes(doc: LaborContract, lines: list[str], confs: list[float]) -> dict[str, Outcome]:
    from documents.extract.labor import extract_labor_contract

    r = extract_labor_contract(lines, line_confidences=confs)
    f = r.facts
    return {
        "employer": _check("text", f.employer_name, doc.employer_name),
        "uscc": _check("code", f.employer_uscc, doc.employer_uscc),
        "employee": _check("name", r.employee_name, doc.employee_name),
        "employee_id": _check("code", f.employee_id_number, doc.employee_id_number),
        "start": _check("date", f.start_on, doc.start_on),
        # An open-ended contract is read as an end fact whose value is None.
        "end": _check("date", f.end_on, doc.end_on, need_fact=True),
    }


def _license_outcomes(doc: BusinessLicense, lines: list[str], confs: list[float]) -> dict[str, Outcome]:
    from documents.extract.business_license import extract_business_license

    r = extract_business_license(lines, line_confidences=confs)
    return {
        "uscc": _check("code", r.facts.uscc, doc.uscc),
        "name": _check("text", r.facts.name, doc.name),
        "type": _check("text", r.type, doc.type),
        "legal_rep": _check("name", r.legal_representative, doc.legal_representative),
        "established": _check("date", r.established_on, doc.established_on),
        "address": _check("address", r.address, doc.address),
    }


def _property_outcomes(doc: PropertyCertificate, lines: list[str], confs: list[float]) -> dict[str, Outcome]:
    from documents.extract.property import extract_property_certificate

    f = extract_property_certificate(lines, line_confidences=confs)
    return {
        "cert_no": _check("text", f.certificate_no, doc.certificate_no),
        "owner": _check("name", f.owner_name, doc.owner_name),
        "address": _check("address", f.address, doc.address),
    }


def _enrollment_outcomes(
    doc: EnrollmentCertificate, lines: list[str], confs: list[float]
) -> dict[str, Outcome]:
    from documents.extract.enrollment import extract_enrollment_certificate

    r = extract_enrollment_certificate(lines, line_confidences=confs)
    enrolled = _value(r.enrolled_on)
    # The letters print the year and month of enrolment only.
    month_right = isinstance(enrolled, date) and enrolled.replace(day=1) == doc.enrolled_on.replace(day=1)
    return {
        "school": _check("text", r.facts.school, doc.school),
        "student": _check("name", r.student_name, doc.student_name),
        "id_number": _check("code", r.facts.id_number, doc.id_number),
        "enrolled": Outcome(month_right, None if r.enrolled_on is None else r.enrolled_on.confidence),
    }


def _lodging_outcomes(doc: LodgingCertificate, lines: list[str], confs: list[float]) -> dict[str, Outcome]:
    from documents.extract.lodging import extract_lodging_certificate

    f = extract_lodging_certificate(lines, line_confidences=confs)
    return {
        "issuer": _check("text", f.issuer, doc.issuer),
        "resident": _check("name", f.resident_name, doc.resident_name),
        "id_number": _check("code", f.id_number, doc.id_number),
        "address": _check("address", f.address, doc.address),
        "since": _check("date", f.since, doc.since),
    }


def _old_permit_outcomes(doc: OldPermit, lines: list[str], confs: list[float]) -> dict[str, Outcome]:
    from documents.extract.old_permit import extract_old_permit

    f = extract_old_permit(lines, line_confidences=confs)
    return {
        "permit_no": _check("code", f.permit_no, doc.permit_no),
        "name": _check("name", f.name, doc.person.name),
        "id_number": _check("code", f.id_number, doc.person.id_number),
        "address": _check("address", f.residence_address, doc.residence_address),
        "authority": _check("text", f.issuing_authority, doc.issuing_authority),
        "issued": _check("date", f.issued_on, doc.issued_on),
    }


Outcomes = Callable[[Any, list[str], list[float]], dict[str, Outcome]]


def _rights(outcomes: Outcomes) -> Callable[[Any, list[str], list[float]], dict[str, bool]]:
    def fields(doc: Any, lines: list[str], confs: list[float]) -> dict[str, bool]:
        return {k: o.right for k, o in outcomes(doc, lines, confs).items()}

    return fields


# Field by field right or wrong (tests/integration/test_document_extraction.py uses these).
_lease_fields = _rights(_lease_outcomes)
_labor_fields = _rights(_labor_outcomes)
_license_fields = _rights(_license_outcomes)
_property_fields = _rights(_property_outcomes)
_enrollment_fields = _rights(_enrollment_outcomes)
_lodging_fields = _rights(_lodging_outcomes)
_old_permit_fields = _rights(_old_permit_outcomes)


@dataclass(frozen=True)
class Case:
    name: str  # table row: template/condition
    kind: str  # config/documents.yaml kind, for the required fields
    doc_kind: str  # samplecity document kind, for the renderer
    condition: str  # "text" | "scan" for PDFs, a degradation (or "clean") for images
    make: Callable[[random.Random], Any]
    read: Callable[[Any, Any], tuple[list[str], list[float]]]
    outcomes: Outcomes

    def render(self, doc: Any, family: str, rng: random.Random) -> Any:
        """The document as uploaded: PDF bytes or an image, from template ``family``."""
        from samplecity.render import degrade, render_document_family

        out = render_document_family(
            self.doc_kind, doc, family=family, rng=rng, scanned=self.condition == "scan"
        )
        if self.condition in ("text", "scan", "clean"):
            return out
        return degrade(out, self.condition, rng=rng)


def _pdf_case(name: str, kind: str, doc_kind: str, scanned: bool, make: Any, outcomes: Outcomes) -> Case:
    return Case(name, kind, doc_kind, "scan" if scanned else "text", make, pdf_lines, outcomes)


def _img_case(name: str, kind: str, doc_kind: str, condition: str, make: Any, outcomes: Outcomes) -> Case:
    return Case(name, kind, doc_kind, condition, make, image_lines, outcomes)


CASES: tuple[Case, ...] = (
    _pdf_case("lease_text", "lease", "lease_contract", False, sample_lease, _lease_outcomes),
    _pdf_case("lease_scan", "lease", "lease_contract", True, sample_lease, _lease_outcomes),
    _pdf_case("labor_text", "labor_contract", "labor_contract", False, sample_labor, _labor_outcomes),
    _pdf_case("labor_scan", "labor_contract", "labor_contract", True, sample_labor, _labor_outcomes),
    _img_case(
        "license_clean", "business_license", "business_license", "clean", sample_license, _license_outcomes
    ),
    _img_case(
        "license_desk_photo",
        "business_license",
        "business_license",
        "desk_photo",
        sample_license,
        _license_outcomes,
    ),
    _img_case(
        "license_skew", "business_license", "business_license", "skew", sample_license, _license_outcomes
    ),
    _img_case(
        "property_clean", "property", "property_certificate", "clean", sample_property, _property_outcomes
    ),
    _img_case(
        "enrollment_clean",
        "enrollment",
        "enrollment_certificate",
        "clean",
        sample_enrollment,
        _enrollment_outcomes,
    ),
    _img_case("lodging_clean", "lodging", "lodging_certificate", "clean", sample_lodging, _lodging_outcomes),
    _img_case(
        "old_permit_clean", "old_permit", "old_permit", "clean", sample_old_permit, _old_permit_outcomes
    ),
)


def _rng(seed: int, family: str, case: Case, k: int) -> random.Random:
    # Family a keeps the seeds of the earlier single-family runs, so its rows stay comparable.
    return random.Random(f"{seed}:{case.name}:{k}" if family == "a" else f"{seed}:{family}:{case.name}:{k}")


def run_case(case: Case, n: int, seed: int, engine: Any, *, family: str = "a") -> dict[str, Any]:
    right: dict[str, int] = {}
    trusted_wrong: dict[str, int] = {}
    all_right, total_ms = 0, 0.0
    failures: list[str] = []
    for k in range(n):
        rng = _rng(seed, family, case, k)
        doc = case.make(rng)
        uploaded = case.render(doc, family, rng)
        # Rendering is not part of the pipeline's cost: time reading + OCR + extraction only.
        started = time.perf_counter()
        try:
            lines, confs = case.read(uploaded, engine)
        except RuntimeError:  # an OCR timeout under load: the document counts as read wrong
            lines, confs = [], []
        out = case.outcomes(doc, lines, confs)
        total_ms += (time.perf_counter() - started) * 1000
        for field, o in out.items():
            right[field] = right.get(field, 0) + int(o.right)
            trusted_wrong[field] = trusted_wrong.get(field, 0) + int(o.wrong_trusted)
        if all(o.right for o in out.values()):
            all_right += 1
        elif len(failures) < 3:
            failures.append(f"#{k}: " + ",".join(f for f, o in out.items() if not o.right))
    return {
        "name": case.name,
        "kind": case.kind,
        "family": family,
        "n": n,
        "fields": {f: 100.0 * c / n for f, c in right.items()},
        "right": right,
        "trusted_wrong": trusted_wrong,
        "all": 100.0 * all_right / n,
        "ms": total_ms / n,
        "failures": failures,
    }


def _pct(num: int, den: int) -> str:
    return f"{100.0 * num / den:.1f}" if den else "–"


def _summary_table(results: list[dict[str, Any]], families: list[str]) -> str:
    head = "| template / condition | n | " + " | ".join(
        f"{f}: all fields % | {f}: wrong ≥ bar | {f}: ms/doc" for f in families
    )
    out = [head + " |", "|---|---|" + "---|---|---|" * len(families)]
    for name in dict.fromkeys(r["name"] for r in results):
        cells = []
        n = 0
        for fam in families:
            r = next((x for x in results if x["name"] == name and x["family"] == fam), None)
            if r is None:
                cells += ["", "", ""]
                continue
            n = r["n"]
            tw = sum(r["trusted_wrong"].values())
            cells += [f"{r['all']:.1f}", f"{tw}/{n * len(r['right'])}", f"{r['ms']:.0f}"]
        out.append(f"| {name} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _field_table(results: list[dict[str, Any]], families: list[str]) -> str:
    req = required_fields()
    head = "| template / condition | field | " + " | ".join(
        f"{f}: right % | {f}: wrong ≥ bar" for f in families
    )
    out = [head + " |", "|---|---|" + "---|---|" * len(families)]
    for name in dict.fromkeys(r["name"] for r in results):
        rows = [r for r in results if r["name"] == name]
        for field in rows[0]["right"]:
            mark = " **(required)**" if field in req.get(rows[0]["kind"], ()) else ""
            cells = []
            for fam in families:
                r = next((x for x in rows if x["family"] == fam), None)
                if r is None:
                    cells += ["", ""]
                    continue
                cells += [_pct(r["right"][field], r["n"]), str(r["trusted_wrong"][field])]
            out.append(f"| {name} | {field}{mark} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _target_table(results: list[dict[str, Any]], families: list[str]) -> str:
    """Required fields over all conditions, against the target: ≥ 95 % right, ≤ 0.5 % wrong above the bar."""
    req = required_fields()
    out = [
        "| kind | required field | "
        + " | ".join(f"{f}: right % | {f}: wrong ≥ bar %" for f in families)
        + " |",
        "|---|---|" + "---|---|" * len(families),
    ]
    kinds = list(dict.fromkeys(r["kind"] for r in results))
    totals = {f: [0, 0, 0] for f in families}  # right, trusted wrong, readings
    for kind in kinds:
        for field in req.get(kind, ()):
            cells = []
            for fam in families:
                rs = [r for r in results if r["kind"] == kind and r["family"] == fam and field in r["right"]]
                n = sum(r["n"] for r in rs)
                ok = sum(r["right"][field] for r in rs)
                tw = sum(r["trusted_wrong"][field] for r in rs)
                totals[fam][0] += ok
                totals[fam][1] += tw
                totals[fam][2] += n
                cells += [f"{_pct(ok, n)} ({ok}/{n})", f"{_pct(tw, n)} ({tw})"]
            out.append(f"| {kind} | {field} | " + " | ".join(cells) + " |")
    cells = []
    for fam in families:
        ok, tw, n = totals[fam]
        cells += [f"{_pct(ok, n)} ({ok}/{n})", f"{_pct(tw, n)} ({tw})"]
    out.append("| **all** | **required fields** | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _all_fields_line(results: list[dict[str, Any]], families: list[str]) -> str:
    parts = []
    for fam in families:
        rs = [r for r in results if r["family"] == fam]
        n = sum(r["n"] * len(r["right"]) for r in rs)
        ok = sum(sum(r["right"].values()) for r in rs)
        tw = sum(sum(r["trusted_wrong"].values()) for r in rs)
        parts.append(
            f"family {fam}: {_pct(ok, n)} % of {n} field readings right, {_pct(tw, n)} % wrong ≥ bar ({tw})"
        )
    return "; ".join(parts)


def _table(results: list[dict[str, Any]]) -> str:
    """The single-family table of earlier runs (kept for --family a|b)."""
    out = [
        "| template / condition | n | per-field exact match % | all fields % | ms/doc |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        fields = ", ".join(f"{f} {v:.0f}" for f, v in r["fields"].items())
        out.append(f"| {r['name']} | {r['n']} | {fields} | {r['all']:.1f} | {r['ms']:.0f} |")
    return "\n".join(out)


def report(results: list[dict[str, Any]], families: list[str], command: str) -> str:
    bar = min_confidence()
    return (
        "# Field extraction from non-ID documents, template families side by side\n\n"
        f"`{command}` — {date.today().isoformat()}.\n\n"
        "Family **a** is the tuning family (samplecity/render/certificates.py, contracts.py, idcard.py); "
        "family **b** is held out (samplecity/render/family_b_*.py: other label words, ruled tables, values "
        "under labels, header boxes, seals over text, two-page contracts) and is not looked at when tuning "
        "the extractors (issue 11 item 4). Target on family b: every required field ≥ 95 % right and a "
        f"wrong reading at or above the confidence bar ({bar:.2f}) ≤ 0.5 %.\n\n"
        '"Wrong ≥ bar" counts field values read wrong with confidence ≥ the bar (a value not read at all, '
        "or read below the bar, is not counted: a person looks at those). ms/doc covers PDF reading or image "
        "decoding, orientation, OCR and extraction (not rendering).\n\n"
        "## Required fields (config/documents.yaml `ocr_required_fields`), all conditions\n\n"
        + _target_table(results, families)
        + "\n\nAll fields: "
        + _all_fields_line(results, families)
        + ".\n\n## Per template / condition\n\n"
        + _summary_table(results, families)
        + "\n\n## Per field\n\n"
        + _field_table(results, families)
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engine", default="tesseract", help="tesseract or rapidocr")
    parser.add_argument("--only", default="", help="comma-separated row names")
    parser.add_argument(
        "--family",
        choices=("a", "b", "both"),
        default="both",
        help="template family: a (tuning), b (held out)",
    )
    parser.add_argument(
        "--n-scanned",
        type=int,
        default=0,
        help="documents per scanned-PDF row (default --n): a scanned page costs ~10x an image",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    from documents.ocr.engines import get_engine

    families = ["a", "b"] if args.family == "both" else [args.family]
    engine = get_engine(args.engine)
    only = {s for s in args.only.split(",") if s}
    results = []
    for case in CASES:
        if only and case.name not in only:
            continue
        for fam in families:
            started = time.perf_counter()
            n = args.n_scanned if case.condition == "scan" and args.n_scanned else args.n
            res = run_case(case, n, args.seed, engine, family=fam)
            results.append(res)
            print(
                f"{case.name} [{fam}]: all {res['all']:.1f}%  {res['ms']:.0f} ms/doc  "
                f"({time.perf_counter() - started:.0f} s)  wrong≥bar {sum(res['trusted_wrong'].values())}  "
                f"failures: {res['failures']}",
                flush=True,
            )
    command = (
        f".venv/bin/python bench/ocr_documents.py --engine {args.engine} --n {args.n} --seed {args.seed} "
        f"--family {args.family}"
        + (f" --n-scanned {args.n_scanned}" if args.n_scanned else "")
        + (f" --only {args.only}" if args.only else "")
    )
    results_dir = REPO / "bench" / "results"
    if args.family == "a" and args.out is None:
        # The earlier single-family report, unchanged in form.
        table = _table(results)
        print(table)
        out = results_dir / "ocr_documents.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            f"# Field extraction from non-ID documents ({args.engine})\n\n"
            f"`{command}` — {date.today().isoformat()}; ms/doc covers PDF reading or image decoding, "
            "orientation, OCR and extraction (not rendering).\n\n" + table + "\n",
            encoding="utf-8",
        )
        return
    text = report(results, families, command)
    print(text)
    out = args.out or results_dir / "ocr_documents_families.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
