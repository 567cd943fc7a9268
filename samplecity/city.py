"""The sample city: a consistent shared-data snapshot plus case packages with planted defects.

`generate_city(out, residents=N, cases=M, seed=S, today=D, fmt="csv"|"parquet")` writes

    OUT/city.json                 the manifest (seed, today, counts, format)
    OUT/shared-data/<table>.csv   the eight tables of DESIGN.md §4 (or .parquet), exact column names
    OUT/cases/<submission_id>/    application.json + the files it names (DESIGN.md §4 package format)
    OUT/expected.json             what the system should find in each case

Same (seed, today, N, M, fmt) → byte-identical files. Case k draws from its own rng (seeded by seed
and k) and never from the wall clock, so growing M appends cases without changing earlier ones.

Vocabulary of the tables
- Dates ISO YYYY-MM-DD, months YYYY-MM; empty (CSV) or null (Parquet) for "none".
- residence_registrations: an active registration has no deregistered_on. A person may have several
  rows (moved, or left and came back); only an active one counts, and "6 continuous months" runs
  from the active row's registered_on.
- social_insurance: one row per person per month; paid true/false (CSV: `true`/`false`). The current
  month is never present (it is not due yet).
- business_registry.status: active = 存续 | 在业; inactive = 注销 | 吊销.
- school_enrollments.status: 在读 (enrolled) | 毕业 (graduated) | 退学 (withdrew).
- permits.status: 有效 (valid) | 注销 (cancelled) | 过期 (lapsed).
- hukou.hukou_city_code: 4-digit city code (5101 = Chengdu).
- Dirt an importer must cope with, never changing an outcome: one exact duplicate row in
  residence_registrations and in social_insurance, surrounding whitespace on a few background
  names/addresses/ID numbers, a background ID number with a lowercase x, and an applicant's hukou
  row duplicated.

What the checks are expected to do (the expected reasons in expected.json follow these rules)
- Documents required (the `documents` kinds): every case id_front, id_back, photo; apply+employment:
  labor_contract or business_license (self-employed); apply+residence: lease_contract or
  property_certificate or lodging_certificate; apply+study: enrollment_certificate and
  lodging_certificate; endorse: nothing more (old_permit optional); change: lease_contract or
  property_certificate for the new address; reissue: nothing more (old_permit optional, given for
  damaged cards). A required document left out → DOCUMENT_MISSING.
- `basis` is always present: for endorse/change/reissue it is the basis of the original permit and
  only informative; basis checks (social insurance, business, lease/property/lodging, enrolment) run
  for apply only, and for change the new-residence proof is checked (lease/property checks).
- A file that fails a file or quality gate (FILE_UNREADABLE, IMAGE_TOO_SMALL, IMAGE_TOO_BLURRY) or is
  missing is not read further: its content checks are not expected. Those defects are planted on the
  card back, the photo or a contract, and every other fact of such a case is clean, so a checker
  that looks the same facts up in the shared data by ID number finds nothing wrong either.
- FILE_TYPE_NOT_ALLOWED: a file whose bytes are GIF/ZIP/HEIC/EXE under a .jpg/.png/.pdf name; the
  intake refuses the whole package (expected intake "refused"); nothing else is planted.
- Identity: ID_NUMBER_INVALID = the declared number (and the card) fail GB 11643 (check character);
  that person's shared data is filed under the same number. ID_NUMBER_MISMATCH = the card shows a
  different valid number (an old card from before a number correction); shared data is under the
  declared number. NAME_MISMATCH = the declared name differs from the card (and every other
  document) by one character. ID_CARD_EXPIRED = the card's valid_until is before today.
  OCR_LOW_CONFIDENCE = glare over the card's ID number. Shared-data lookups use the declared number.
- LOCAL_HUKOU: hukou_city_code 5101. NO_RESIDENCE_REGISTRATION: no active registration.
  RESIDENCE_UNDER_6_MONTHS (apply only): the active registration began less than 6 months ago (a
  change case's new registration is recent on purpose and is not a finding).
- Employment (apply): NO_SOCIAL_INSURANCE = no row at all in the 6 months ending last month;
  SOCIAL_INSURANCE_GAP = some of those months missing or unpaid. BUSINESS_NOT_FOUND /
  BUSINESS_INACTIVE: the contract's employer (or the licence's) USCC absent from / inactive in the
  registry. The social-insurance employer is always the contract's employer.
- Lease: LEASE_NOT_REGISTERED = the contract carries no registration number and the tenant has no
  lease registration; LEASE_EXPIRED = the (registered) lease ended before today. Property:
  PROPERTY_NOT_FOUND = no property record with the certificate number for the applicant.
  ADDRESS_MISMATCH = the lease/property address is a different dwelling than the declared one
  (declared forms vary: 四川省/成都市 optional, 十二号, full-width digits, 栋/幢/号楼, 室 — normalise).
- Study: NOT_ENROLLED = the school_enrollments row is 毕业/退学 or absent.
- Permits: ALREADY_HOLDS_PERMIT = apply while a 有效 permit exists; PERMIT_NOT_FOUND =
  endorse/change/reissue without a 有效 permit; ENDORSEMENT_WINDOW = endorse outside the 30 days
  before the next anniversary (of issued_on; last_endorsed_on sits a few days before an
  anniversary, so both readings agree). Planted values stay ≥ 8 days away from every edge.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import shutil
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from config.city import load_city
from samplecity.addresses import CityIndex, city_index, random_address
from samplecity.people import add_months, make_identity
from samplecity.scenarios import (
    ACTIVE_STATUSES,
    INACTIVE_STATUSES,
    SCHOOLS,
    Business,
    CaseBuild,
    CityContext,
    DocPlan,
    build_case,
    first_of_month,
    lease_registration_no,
    make_business,
    permit_no,
    property_certificate_no,
    registration_row,
    si_rows,
)
from samplecity.variants import DEFAULT_VARIANTS, Variants, blank_unneeded, rewrite_feed

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "residence_registrations": (
        "id_number",
        "name",
        "address",
        "district_code",
        "registered_on",
        "deregistered_on",
    ),
    "social_insurance": ("id_number", "employer_uscc", "month", "paid"),
    "lease_registrations": ("registration_no", "tenant_id_number", "address", "start_on", "end_on"),
    "property_records": ("certificate_no", "owner_id_number", "address"),
    "business_registry": ("uscc", "name", "status"),
    "school_enrollments": ("id_number", "school", "enrolled_on", "status"),
    "hukou": ("id_number", "hukou_city_code"),
    "permits": ("permit_no", "id_number", "issued_on", "last_endorsed_on", "status"),
}
Rows = dict[str, list[dict[str, Any]]]


class CityManifest(BaseModel):
    """OUT/city.json: how the sample city was made."""

    seed: int
    today: date
    residents: int
    cases: int
    format: Literal["csv", "parquet"]
    applicants: int
    businesses: int
    table_rows: dict[str, int]
    generator: str = "rongju samplecity 1"
    variants: str = "feed a, templates a"


# --- background population -----------------------------------------------------------------------


@dataclass(frozen=True)
class Background:
    rows: Rows
    businesses: tuple[Business, ...]


def build_background(seed: int, today: date, residents: int, index: CityIndex) -> Background:
    """N people who are not applicants, with the registrations, insurance, leases, property, schools,
    hukou and permits a real snapshot has; and the city's employers."""
    rng = random.Random(f"{seed}:background")
    businesses = []
    for _ in range(max(30, residents // 12)):
        active = rng.random() < 0.85
        status = rng.choice(ACTIVE_STATUSES if active else INACTIVE_STATUSES)
        businesses.append(make_business(rng, index, today, status=status, individual=rng.random() < 0.2))
    rows: Rows = {t: [] for t in TABLE_COLUMNS}
    last_month = add_months(first_of_month(today), -1)

    def days_ago(lo: int, hi: int) -> date:
        return today - timedelta(days=rng.randint(lo, hi))

    seen: set[str] = set()
    for _ in range(residents):
        local = rng.random() < 0.15
        ident = make_identity(rng, today, min_age=16, max_age=60, local=local)
        p = ident.person
        if p.id_number in seen:
            continue
        seen.add(p.id_number)
        rows["hukou"].append(
            {"id_number": p.id_number, "hukou_city_code": "5101" if local else p.id_number[:4]}
        )
        home = random_address(index, rng)
        if local:
            if rng.random() < 0.4:
                rows["property_records"].append(
                    {
                        "certificate_no": property_certificate_no(rng, days_ago(300, 7000)),
                        "owner_id_number": p.id_number,
                        "address": home.canonical,
                    }
                )
            continue
        roll = rng.random()
        if roll < 0.75:
            registered = days_ago(20, 3000)
            rows["residence_registrations"].append(registration_row(p, home, registered))
        elif roll < 0.85:
            registered = days_ago(800, 3000)
            rows["residence_registrations"].append(
                registration_row(p, home, registered, registered + timedelta(days=rng.randint(100, 700)))
            )
        else:
            old = random_address(index, rng)
            gone = days_ago(60, 900)
            rows["residence_registrations"].append(
                registration_row(p, old, gone - timedelta(days=rng.randint(100, 900)), gone)
            )
            registered = gone + timedelta(days=rng.randint(1, 50))
            rows["residence_registrations"].append(registration_row(p, home, registered))
        if rng.random() < 0.65 and p.birth_date < today - timedelta(days=18 * 365):
            emp = rng.choice(businesses)
            start = add_months(last_month, -rng.randint(0, 36))
            end = last_month if emp.status in ACTIVE_STATUSES else add_months(last_month, -rng.randint(3, 20))
            unpaid = {f"{add_months(end, -rng.randint(0, 5)):%Y-%m}"} if rng.random() < 0.06 else set()
            rows["social_insurance"].extend(si_rows(p.id_number, emp.uscc, start, end, unpaid=unpaid))
        if rng.random() < 0.5:
            start = days_ago(30, 1500)
            end = start + timedelta(days=365 * rng.choice((1, 1, 2, 3)))
            rows["lease_registrations"].append(
                {
                    "registration_no": lease_registration_no(rng, home.district_code, start),
                    "tenant_id_number": p.id_number,
                    "address": home.canonical,
                    "start_on": start,
                    "end_on": end,
                }
            )
        elif rng.random() < 0.15:
            rows["property_records"].append(
                {
                    "certificate_no": property_certificate_no(rng, days_ago(300, 5000)),
                    "owner_id_number": p.id_number,
                    "address": home.canonical,
                }
            )
        age = today.year - p.birth_date.year
        if 18 <= age <= 26 and rng.random() < 0.35:
            school = rng.choice(SCHOOLS)[0]
            enrolled = date(today.year - rng.randint(0, 5), 9, rng.randint(1, 10))
            if enrolled < today:
                status = rng.choices(("在读", "毕业", "退学"), weights=(70, 25, 5))[0]
                rows["school_enrollments"].append(
                    {"id_number": p.id_number, "school": school, "enrolled_on": enrolled, "status": status}
                )
        if rng.random() < 0.35:
            issued = days_ago(30, 2500)
            years = (today - issued).days // 365
            last = (
                issued.replace(year=issued.year + years) - timedelta(days=rng.randint(1, 25))
                if years >= 1 and issued.month * 100 + issued.day != 229
                else None
            )
            status = rng.choices(("有效", "过期", "注销"), weights=(70, 18, 12))[0]
            rows["permits"].append(
                {
                    "permit_no": permit_no(rng, home.district_code, issued),
                    "id_number": p.id_number,
                    "issued_on": issued,
                    "last_endorsed_on": last,
                    "status": status,
                }
            )
    return Background(rows, tuple(businesses))


def _add_dirt(rows: Rows, rng: random.Random) -> None:
    """Realistic import dirt on background rows only (cases are added afterwards)."""
    for table in ("residence_registrations", "social_insurance"):
        if rows[table]:
            rows[table].append(dict(rng.choice(rows[table])))
    regs = rows["residence_registrations"]
    for row in rng.sample(regs, min(3, len(regs))):
        row["name"] = f" {row['name']} "
        row["address"] = row["address"] + "  "
    si = rows["social_insurance"]
    if si:
        row = rng.choice(si)
        row["id_number"] = row["id_number"] + " "
    for table, column in (("hukou", "id_number"), ("lease_registrations", "tenant_id_number")):
        for row in rows[table]:
            if str(row[column]).endswith("X"):
                row[column] = row[column][:-1] + "x"
                break


# --- rendering -------------------------------------------------------------------------------------


def _wrong_type_bytes(kind: str, rng: random.Random) -> bytes:
    """Bytes of a disallowed type, deterministic for the rng."""
    if kind == "gif":
        from PIL import Image

        img = Image.new("RGB", (64, 48), (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))
        buf = io.BytesIO()
        img.save(buf, "GIF")
        return buf.getvalue()
    if kind == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            info = zipfile.ZipInfo("scan.jpg", date_time=(2020, 1, 1, 0, 0, 0))
            zf.writestr(info, bytes(rng.randrange(256) for _ in range(512)))
        return buf.getvalue()
    if kind == "heic":
        # An ISO-BMFF ftyp box with the heic brand, as an iPhone photo starts.
        head = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
        return head + bytes(rng.randrange(256) for _ in range(2048))
    if kind == "exe":
        return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(
            rng.randrange(256) for _ in range(2048)
        )
    raise ValueError(kind)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    """Keep the header (valid magic bytes) and replace the rest with a short run of garbage."""
    keep = min(len(data), rng.randint(40, 120))
    return data[:keep] + bytes(rng.randrange(256) for _ in range(rng.randint(200, 800)))


def _glare_over_id_number(img: Any, rng: random.Random) -> Any:
    """A saturated lamp reflection over the card's number line (the bottom band of the face side)."""
    import numpy as np
    from PIL import Image

    w, h = img.size
    arr = np.asarray(img.convert("RGB")).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.6, 0.7) * w, rng.uniform(0.82, 0.86) * h
    rx, ry = rng.uniform(0.24, 0.3) * w, rng.uniform(0.09, 0.12) * h
    d2 = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
    a = np.clip(1.8 - d2, 0, 1)[..., None]
    out = arr * (1 - a) + 255 * a
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def render_document(doc: DocPlan, rng: random.Random, *, family: str = "a") -> bytes:
    """The file bytes of one planned document, drawn from template `family` where the kind has two."""
    if doc.corruption and doc.corruption != "truncated":
        return _wrong_type_bytes(doc.corruption, rng)
    from samplecity import render as r
    from samplecity.render.family_b import has_families, render_document_family

    if doc.fmt == "pdf":
        fn = r.render_lease_contract if doc.kind == "lease_contract" else r.render_labor_contract
        if family != "a":
            pdf = render_document_family(doc.kind, doc.payload, family=family, rng=rng, scanned=doc.scanned)
            if not isinstance(pdf, bytes):  # contracts are PDF kinds: they come back as bytes
                raise TypeError(f"{doc.kind} came back as an image, not PDF bytes")
            data = pdf
        else:
            data = fn(doc.payload, rng=rng, scanned=doc.scanned)
    else:
        renderers: dict[str, Callable[..., Any]] = {
            "id_front": r.render_id_front,
            "id_back": r.render_id_back,
            "business_license": r.render_business_license,
            "property_certificate": r.render_property_certificate,
            "enrollment_certificate": r.render_enrollment_certificate,
            "lodging_certificate": r.render_lodging_certificate,
            "old_permit": r.render_old_permit,
        }
        if doc.kind == "photo":
            img = r.render_portrait(doc.payload, rng=rng, defect=doc.portrait_defect)
        elif family != "a" and has_families(doc.kind):
            drawn = render_document_family(doc.kind, doc.payload, family=family, rng=rng)
            if isinstance(drawn, bytes):  # image kinds come back as a PIL image
                raise TypeError(f"{doc.kind} came back as PDF bytes, not an image")
            img = drawn
        else:
            img = renderers[doc.kind](doc.payload, rng=rng)
        if doc.degradation == "glare_id_number":
            img = _glare_over_id_number(img, rng)
        elif doc.degradation != "clean":
            img = r.degrade(img, doc.degradation, rng=rng)
        data = r.encode_image(img, doc.fmt, quality=rng.randint(82, 94))
    return _truncate(data, rng) if doc.corruption == "truncated" else data


def write_case(
    build: CaseBuild,
    cases_dir: Path,
    seed: int,
    k: int,
    *,
    render: bool = True,
    variants: Variants = DEFAULT_VARIANTS,
) -> None:
    case_dir = cases_dir / build.submission_id
    case_dir.mkdir(parents=True, exist_ok=True)
    application = blank_unneeded(build.application) if variants.blank_optional else build.application
    (case_dir / "application.json").write_text(
        json.dumps(application, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    rng = random.Random(f"{seed}:render:{k}")
    for doc in build.docs:
        data = render_document(doc, rng, family=variants.template_family) if render else b""
        (case_dir / doc.file).write_bytes(data)


# --- tables ---------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_tables(rows: Rows, folder: Path, fmt: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for table, columns in TABLE_COLUMNS.items():
        data = rows.get(table, [])
        if fmt == "csv":
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows([_cell(row[c]) for c in columns] for row in data)
            (folder / f"{table}.csv").write_text(buf.getvalue(), encoding="utf-8")
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            arrays = {}
            for c in columns:
                if c == "paid" and all(isinstance(row[c], bool) for row in data):
                    arrays[c] = pa.array([row[c] for row in data], type=pa.bool_())
                else:
                    arrays[c] = pa.array(
                        [None if row[c] is None else _cell(row[c]) for row in data], type=pa.string()
                    )
            pq.write_table(pa.table(arrays), folder / f"{table}.parquet")


def _shuffled(rows: Rows, seed: int) -> Rows:
    """Applicants' rows mixed into the background, so row order reveals nothing."""
    out: Rows = {}
    for table, data in rows.items():
        copy = list(data)
        random.Random(f"{seed}:order:{table}").shuffle(copy)
        out[table] = copy
    return out


# --- the generator --------------------------------------------------------------------------------


def build_city(
    seed: int, today: date, residents: int, cases: int
) -> tuple[Rows, list[CaseBuild], Background]:
    """The model without any files: every table row and every case plan."""
    index = city_index(load_city())
    bg = build_background(seed, today, residents, index)
    rows: Rows = {t: [dict(r) for r in bg.rows[t]] for t in TABLE_COLUMNS}
    _add_dirt(rows, random.Random(f"{seed}:dirt"))
    employers = tuple(b for b in bg.businesses if b.status in ACTIVE_STATUSES and b.type != "个体工商户")
    ctx = CityContext(seed, today, index, employers)
    taken = {r["id_number"] for r in bg.rows["hukou"]}
    builds = []
    for k in range(cases):
        build = build_case(k, ctx, taken)
        builds.append(build)
        for table, data in build.rows.items():
            rows[table].extend(data)
    rows["business_registry"] = [
        {"uscc": b.uscc, "name": b.name, "status": b.status}
        for b in (*bg.businesses, *(b for c in builds for b in c.businesses))
    ]
    # A harmless duplicate of an applicant's row: a correct importer ignores it.
    if builds and builds[0].rows.get("hukou"):
        rows["hukou"].append(dict(builds[0].rows["hukou"][0]))
    return rows, builds, bg


def generate_city(
    out: Path,
    *,
    residents: int,
    cases: int,
    seed: int,
    today: date,
    fmt: str = "csv",
    render: bool = True,
    workers: int = 1,
    variants: Variants = DEFAULT_VARIANTS,
) -> CityManifest:
    """Write the sample city to `out` (see the module docstring). `render=False` writes empty document
    files (fast tests of the model); `workers` > 1 renders cases in that many processes (same bytes);
    `variants` writes the same city in other forms (samplecity/variants.py) with the same expected.json."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {fmt!r}")
    out = Path(out)
    # The generator owns these two folders: clear them so a rerun into the same OUT leaves no stale
    # cases (from a larger M) or tables (from the other format) behind.
    for owned in ("cases", "shared-data"):
        if (out / owned).is_dir():
            shutil.rmtree(out / owned)
    rows, builds, _ = build_city(seed, today, residents, cases)
    if variants.feed == "b":
        rows = rewrite_feed(rows, seed)
    write_tables(_shuffled(rows, seed), out / "shared-data", fmt)
    if workers > 1 and render and len(builds) > 1:
        # Each case renders from its own rng, so the files do not depend on which process drew them.
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(write_case, b, out / "cases", seed, k, variants=variants)
                for k, b in enumerate(builds)
            ]
            for future in futures:
                future.result()
    else:
        for k, build in enumerate(builds):
            write_case(build, out / "cases", seed, k, render=render, variants=variants)
    expected = {
        "seed": seed,
        "today": today.isoformat(),
        "cases": {b.submission_id: b.expected for b in builds},
    }
    (out / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    manifest = CityManifest(
        seed=seed,
        today=today,
        residents=residents,
        cases=cases,
        format=fmt,
        applicants=len(builds),
        businesses=len(rows["business_registry"]),
        table_rows={t: len(rows[t]) for t in TABLE_COLUMNS},
        variants=variants.label,
    )
    (out / "city.json").write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest


def tree_digest(folder: Path) -> str:
    """A SHA-256 over every file's relative path and bytes (for determinism checks)."""
    h = hashlib.sha256()
    paths: Iterable[Path] = sorted(p for p in Path(folder).rglob("*") if p.is_file())
    for path in paths:
        h.update(str(path.relative_to(folder)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()
