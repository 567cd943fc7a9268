"""The sample city: deterministic, every reason code planted, and internally consistent.

The consistency tests re-derive each case's findings with a small independent oracle that follows the
rules in samplecity/city.py's docstring, reading the tables back with pandas as an importer would.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from stdnum.cn import ric, uscc

from config.city import load_city
from models.reasons import ReasonCode
from models.routing import route_address
from samplecity.addresses import chinese_number
from samplecity.city import TABLE_COLUMNS, build_city, generate_city, tree_digest
from samplecity.people import add_months, add_years
from samplecity.scenarios import DOCUMENT_KINDS, CaseBuild

# The sample-city generator renders many documents: in `make test`, not in the quick `make check`.
pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 27)
SEED = 20261127


@pytest.fixture(scope="module")
def model_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 cases, tables and packages, document files left empty (the model only)."""
    out = tmp_path_factory.mktemp("model")
    generate_city(out, residents=600, cases=60, seed=SEED, today=TODAY, render=False)
    return out


@pytest.fixture(scope="module")
def rendered_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first six cases rendered for real (they include every file-level defect)."""
    out = tmp_path_factory.mktemp("rendered")
    generate_city(out, residents=200, cases=6, seed=SEED, today=TODAY)
    return out


def _expected(out: Path) -> dict[str, Any]:
    return json.loads((out / "expected.json").read_text(encoding="utf-8"))["cases"]


# --- determinism ---------------------------------------------------------------------------------


def test_same_inputs_give_byte_identical_files(rendered_city: Path, tmp_path: Path) -> None:
    generate_city(tmp_path, residents=200, cases=6, seed=SEED, today=TODAY)
    assert tree_digest(tmp_path) == tree_digest(rendered_city)


def test_model_is_deterministic_and_a_case_does_not_change_when_more_are_asked(tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    generate_city(small, residents=300, cases=30, seed=5, today=TODAY, render=False)
    generate_city(large, residents=300, cases=45, seed=5, today=TODAY, render=False)
    for sid in _expected(small):
        assert (small / "cases" / sid / "application.json").read_bytes() == (
            large / "cases" / sid / "application.json"
        ).read_bytes()
        assert _expected(small)[sid] == _expected(large)[sid]


def test_another_seed_gives_another_city(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate_city(a, residents=100, cases=3, seed=1, today=TODAY, render=False)
    generate_city(b, residents=100, cases=3, seed=2, today=TODAY, render=False)
    assert tree_digest(a) != tree_digest(b)


# --- coverage ------------------------------------------------------------------------------------


def test_every_reason_code_is_planted_with_40_cases(tmp_path: Path) -> None:
    generate_city(tmp_path, residents=100, cases=40, seed=3, today=TODAY, render=False)
    planted = {code for case in _expected(tmp_path).values() for code in case["reasons"]}
    assert planted == {code.value for code in ReasonCode}
    cases = _expected(tmp_path).values()
    assert any(not c["station_matched"] for c in cases)
    assert {c["business_type"] for c in cases} == {"apply", "endorse", "change", "reissue"}
    assert any(len(c["reasons"]) == 2 for c in cases)


def test_the_mix_is_mostly_clean(model_city: Path) -> None:
    mix = list(_expected(model_city).values())[36:]
    clean = sum(1 for c in mix if not c["reasons"])
    assert 0.35 <= clean / len(mix) <= 0.85


# --- the shared data -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tables_are_readable_with_exactly_the_contract_columns(tmp_path: Path, fmt: str) -> None:
    generate_city(tmp_path, residents=150, cases=8, seed=9, today=TODAY, fmt=fmt, render=False)
    for table, columns in TABLE_COLUMNS.items():
        path = tmp_path / "shared-data" / f"{table}.{fmt}"
        df = pd.read_csv(path, dtype=str) if fmt == "csv" else pd.read_parquet(path)
        assert tuple(df.columns) == columns
        assert len(df) > 0, table
    manifest = json.loads((tmp_path / "city.json").read_text())
    assert manifest["format"] == fmt and manifest["seed"] == 9 and manifest["today"] == TODAY.isoformat()


def _load(out: Path) -> dict[str, pd.DataFrame]:
    """The tables as a careful importer reads them: strings, trimmed, upper-case X, no duplicates."""
    tables = {}
    for table in TABLE_COLUMNS:
        df = pd.read_csv(out / "shared-data" / f"{table}.csv", dtype=str, keep_default_na=False)
        df = df.apply(lambda col: col.str.strip())
        for col in ("id_number", "tenant_id_number", "owner_id_number"):
            if col in df:
                df[col] = df[col].str.upper()
        tables[table] = df.drop_duplicates()
    return tables


def test_shared_data_is_sane(model_city: Path) -> None:
    t = _load(model_city)
    assert set(t["business_registry"]["status"]) <= {"存续", "在业", "注销", "吊销"}
    assert set(t["school_enrollments"]["status"]) <= {"在读", "毕业", "退学"}
    assert set(t["permits"]["status"]) <= {"有效", "注销", "过期"}
    assert set(t["social_insurance"]["paid"]) <= {"true", "false"}
    assert t["social_insurance"]["month"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert (t["social_insurance"]["month"] < f"{TODAY:%Y-%m}").all()
    for col in ("registered_on", "deregistered_on"):
        assert t["residence_registrations"][col].str.fullmatch(r"(\d{4}-\d{2}-\d{2})?").all()
    assert t["hukou"]["hukou_city_code"].str.fullmatch(r"\d{4}").all()
    assert all(uscc.is_valid(u) for u in t["business_registry"]["uscc"])
    assert t["business_registry"]["uscc"].is_unique
    assert t["permits"]["permit_no"].is_unique
    # The dirt is there for the importer to cope with.
    raw = pd.read_csv(model_city / "shared-data" / "residence_registrations.csv", dtype=str)
    assert raw.duplicated().any() and raw["name"].str.startswith(" ").any()


# --- the oracle ----------------------------------------------------------------------------------

_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_CN_NUMBERS = {chinese_number(n): str(n) for n in range(1, 1000)}


def normalise_address(text: str, subdistricts: set[str]) -> str:
    """Declared forms → one comparable form (no province/city/subdistrict, Arabic digits, 栋, no 室)."""
    s = text.strip().translate(_FULLWIDTH)
    for prefix in ("四川省", "四川", "成都市", "成都"):
        s = s.removeprefix(prefix)
    # Longest first: 花桥街道 (新津) is inside 金花桥街道 (武侯).
    for sub in sorted(subdistricts, key=len, reverse=True):
        s = s.replace(sub, "")
    s = re.sub(r"([一二三四五六七八九十百零]+)号", lambda m: _CN_NUMBERS.get(m[1], m[1]) + "号", s)
    s = s.replace("号楼", "栋").replace("幢", "栋")
    return re.sub(r"(\d+)[室号]$", r"\1", s)


def _required(business_type: str, basis: str, kinds: set[str], proof: str) -> set[str]:
    need = {"id_front", "id_back", "photo"}
    if business_type == "apply":
        need |= {
            "employment": {proof},
            "residence": {proof},
            "study": {"enrollment_certificate", "lodging_certificate"},
        }[basis]
    if business_type == "change":
        need.add(proof)
    return need


def oracle(build: CaseBuild, t: dict[str, pd.DataFrame], today: date) -> set[str]:
    """The findings the rules in samplecity/city.py imply, from the package plans and the tables."""
    app, exp = build.application, build.expected
    if exp["intake"] == "refused":
        return {"FILE_TYPE_NOT_ALLOWED"}
    found: set[str] = set()
    docs = {d.kind: d for d in build.docs}
    proof_kind = {"employment": ("labor_contract", "business_license")}.get(app["basis"], ())
    proof = next(
        (
            k
            for k in (*proof_kind, "lease_contract", "property_certificate", "lodging_certificate")
            if k in docs
        ),
        None,
    )
    scenario_proof = proof or _missing_proof(build)
    if _required(app["business_type"], app["basis"], set(docs), scenario_proof) - set(docs):
        found.add("DOCUMENT_MISSING")
    usable = {}
    for kind, d in docs.items():
        if d.corruption == "truncated":
            found.add("FILE_UNREADABLE")
        elif d.degradation == "tiny":
            found.add("IMAGE_TOO_SMALL")
        elif d.degradation == "severe_blur":
            found.add("IMAGE_TOO_BLURRY")
        else:
            usable[kind] = d.payload
        if d.portrait_defect:
            found.add("PHOTO_NOT_COMPLIANT")
        if d.degradation == "glare_id_number":
            found.add("OCR_LOW_CONFIDENCE")
    declared_id, declared_name = app["applicant"]["id_number"], app["applicant"]["name"]
    if not ric.is_valid(declared_id):
        found.add("ID_NUMBER_INVALID")
    if "id_front" in usable:
        if usable["id_front"].id_number != declared_id:
            found.add("ID_NUMBER_MISMATCH")
        if usable["id_front"].name != declared_name:
            found.add("NAME_MISMATCH")
    if "id_back" in usable and usable["id_back"].valid_until and usable["id_back"].valid_until < today:
        found.add("ID_CARD_EXPIRED")

    def rows(table: str, col: str = "id_number") -> pd.DataFrame:
        df = t[table]
        return df[df[col] == declared_id]

    if (rows("hukou")["hukou_city_code"] == "5101").any():
        found.add("LOCAL_HUKOU")
    regs = rows("residence_registrations")
    active = regs[regs["deregistered_on"] == ""]
    if active.empty:
        found.add("NO_RESIDENCE_REGISTRATION")
    elif app["business_type"] == "apply":
        since = date.fromisoformat(active["registered_on"].max())
        if add_months(since, 6) > today:
            found.add("RESIDENCE_UNDER_6_MONTHS")
    bt = app["business_type"]
    if bt == "apply" and app["basis"] == "employment":
        this = today.replace(day=1)
        window = {f"{add_months(this, -i):%Y-%m}" for i in range(1, 7)}
        si = rows("social_insurance")
        si = si[si["month"].isin(window)]
        if si.empty:
            found.add("NO_SOCIAL_INSURANCE")
        elif set(si[si["paid"] == "true"]["month"]) != window:
            found.add("SOCIAL_INSURANCE_GAP")
        doc = usable.get("labor_contract") or usable.get("business_license")
        if doc is not None:
            code = getattr(doc, "employer_uscc", None) or doc.uscc
            reg = t["business_registry"][t["business_registry"]["uscc"] == code]
            if reg.empty:
                found.add("BUSINESS_NOT_FOUND")
            elif not reg["status"].isin(["存续", "在业"]).any():
                found.add("BUSINESS_INACTIVE")
    subs = {s for d in load_city().districts for s in d.subdistricts} | {
        s for z in load_city().zones for s in z.subdistricts
    }
    declared = normalise_address(app["residence_address"], subs)
    if (bt == "apply" and app["basis"] == "residence") or bt == "change":
        lease = usable.get("lease_contract")
        if lease is not None:
            leases = rows("lease_registrations", "tenant_id_number")
            if lease.registration_no is None and leases.empty:
                found.add("LEASE_NOT_REGISTERED")
            if lease.end_on < today:
                found.add("LEASE_EXPIRED")
            if normalise_address(lease.address, subs) != declared:
                found.add("ADDRESS_MISMATCH")
        prop = usable.get("property_certificate")
        if prop is not None:
            recs = rows("property_records", "owner_id_number")
            if not (recs["certificate_no"] == prop.certificate_no).any():
                found.add("PROPERTY_NOT_FOUND")
            if normalise_address(prop.address, subs) != declared:
                found.add("ADDRESS_MISMATCH")
    enrolled = (rows("school_enrollments")["status"] == "在读").any()
    if bt == "apply" and app["basis"] == "study" and not enrolled:
        found.add("NOT_ENROLLED")
    permits = rows("permits")
    valid = permits[permits["status"] == "有效"]
    if bt == "apply" and not valid.empty:
        found.add("ALREADY_HOLDS_PERMIT")
    if bt != "apply" and valid.empty:
        found.add("PERMIT_NOT_FOUND")
    if bt == "endorse" and not valid.empty:
        issued = date.fromisoformat(valid.iloc[0]["issued_on"])
        due = next(add_years(issued, n) for n in range(1, 60) if add_years(issued, n) >= today)
        if not (0 <= (due - today).days <= 30):
            found.add("ENDORSEMENT_WINDOW")
        last = valid.iloc[0]["last_endorsed_on"]
        if last:  # the other reading must agree
            due2 = add_years(date.fromisoformat(last), 1)
            in_window = 0 <= (due2 - today).days <= 30
            assert in_window == ("ENDORSEMENT_WINDOW" not in found), build.submission_id
    return found


def _missing_proof(build: CaseBuild) -> str:
    app = build.application
    if app["business_type"] == "change":
        return "lease_contract"  # any proof kind: it is missing either way
    return {"employment": "labor_contract", "residence": "lease_contract", "study": "lodging_certificate"}[
        app["basis"]
    ]


def test_oracle_agrees_with_every_expected_reason(model_city: Path) -> None:
    _, builds, _ = build_city(SEED, TODAY, 600, 60)
    t = _load(model_city)
    for build in builds:
        assert oracle(build, t, TODAY) == set(build.expected["reasons"]), (
            build.submission_id,
            build.expected["scenario"],
        )


def test_clean_applicants_meet_every_condition(model_city: Path) -> None:
    t = _load(model_city)
    for sid, case in _expected(model_city).items():
        app = json.loads((model_city / "cases" / sid / "application.json").read_text())
        if case["reasons"] or case["business_type"] != "apply":
            continue
        number = app["applicant"]["id_number"]
        assert ric.is_valid(number)
        regs = t["residence_registrations"]
        active = regs[(regs["id_number"] == number) & (regs["deregistered_on"] == "")]
        assert len(active) == 1
        assert add_months(date.fromisoformat(active.iloc[0]["registered_on"]), 6) <= TODAY
        assert not number.startswith("5101")
        if case["basis"] == "employment":
            si = t["social_insurance"]
            paid = si[(si["id_number"] == number) & (si["paid"] == "true")]["month"]
            assert {f"{add_months(TODAY.replace(day=1), -i):%Y-%m}" for i in range(1, 7)} <= set(paid)


def test_declared_addresses_normalise_to_the_registered_one(model_city: Path) -> None:
    t = _load(model_city)
    subs = {s for d in load_city().districts for s in d.subdistricts} | {
        s for z in load_city().zones for s in z.subdistricts
    }
    checked = 0
    for sid, case in _expected(model_city).items():
        app = json.loads((model_city / "cases" / sid / "application.json").read_text())
        regs = t["residence_registrations"]
        active = regs[(regs["id_number"] == app["applicant"]["id_number"]) & (regs["deregistered_on"] == "")]
        if active.empty:
            continue
        assert active.iloc[0]["address"] == case["residence_address_canonical"]
        assert normalise_address(app["residence_address"], subs) == normalise_address(
            case["residence_address_canonical"], subs
        )
        checked += 1
    assert checked > 30


def test_packages_follow_the_contract_and_stations_exist(model_city: Path) -> None:
    city = load_city()
    for sid, case in _expected(model_city).items():
        folder = model_city / "cases" / sid
        app = json.loads((folder / "application.json").read_text(encoding="utf-8"))
        assert app["submission_id"] == sid and re.fullmatch(r"(TFSMY|SCZW)-\d{13}", sid)
        assert app["business_type"] in ("apply", "endorse", "change", "reissue")
        assert app["basis"] in ("employment", "residence", "study")
        assert re.fullmatch(r"1[3-9]\d{9}", app["applicant"]["phone"])
        assert app["delivery"]["method"] in ("mail", "pickup")
        for doc in app["documents"]:
            assert doc["kind"] in DOCUMENT_KINDS
            assert (folder / doc["file"]).is_file()
            assert Path(doc["file"]).suffix in (".jpg", ".png", ".pdf")
        station = city.station(case["station_id"])
        assert station.bureau == case["bureau"]
        if not case["station_matched"]:
            assert station.intake
        assert case["reasons"] == sorted(case["reasons"])
        assert (case["intake"] == "refused") == (case["refusal_reason"] == "FILE_TYPE_NOT_ALLOWED")


# --- the rendered files --------------------------------------------------------------------------

_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-")


def test_files_are_what_the_case_says(rendered_city: Path) -> None:
    from PIL import Image

    for sid, case in _expected(rendered_city).items():
        folder = rendered_city / "cases" / sid
        app = json.loads((folder / "application.json").read_text(encoding="utf-8"))
        for doc in app["documents"]:
            data = (folder / doc["file"]).read_bytes()
            label = case["degradations"][doc["file"]]
            if label.startswith("wrong_type:"):
                assert case["intake"] == "refused" and not data.startswith(_MAGIC)
                continue
            assert data.startswith(_MAGIC), (sid, doc["file"])
            if label == "truncated":
                _assert_undecodable(folder / doc["file"])
            elif doc["file"].endswith((".jpg", ".png")):
                with Image.open(folder / doc["file"]) as img:
                    img.load()
                    if label == "tiny":
                        assert max(img.size) <= 260
                    elif doc["kind"] != "photo":
                        assert max(img.size) >= 600
        if case["intake"] == "refused":
            assert any(case["degradations"][d["file"]].startswith("wrong_type:") for d in app["documents"])


def _assert_undecodable(path: Path) -> None:
    from PIL import Image

    if path.suffix == ".pdf":
        import pdfplumber

        with pytest.raises(Exception), pdfplumber.open(path) as pdf:  # noqa: B017 - any parser error
            _ = [page.extract_text() for page in pdf.pages]
        return
    with pytest.raises(Exception), Image.open(path) as img:  # noqa: B017 - any decoder error
        img.load()


def test_rendered_city_plants_its_file_defects(rendered_city: Path) -> None:
    reasons = {code for c in _expected(rendered_city).values() for code in c["reasons"]}
    assert {"FILE_UNREADABLE", "FILE_TYPE_NOT_ALLOWED", "IMAGE_TOO_SMALL", "IMAGE_TOO_BLURRY"} <= reasons


def test_the_router_agrees_with_the_expected_station(model_city: Path) -> None:
    city = load_city()
    for sid, case in _expected(model_city).items():
        app = json.loads((model_city / "cases" / sid / "application.json").read_text(encoding="utf-8"))
        r = route_address(app["residence_address"], city)
        got = (r.station_id, r.matched, r.bureau, r.district_code, r.zone)
        keys = ("station_id", "station_matched", "bureau", "district_code", "zone")
        want = tuple(case[k] for k in keys)
        assert got == want, (sid, app["residence_address"])
