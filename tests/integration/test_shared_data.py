"""The shared-data store on real files: CSV and Parquet snapshots written here with pandas, imported
into a real SQLite index, looked up in-process, from fresh subprocesses and while being rebuilt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from stdnum.cn import ric

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
from storage.shared_data import (
    SharedData,
    SnapshotError,
    UnknownValuesError,
    get_shared_data,
    import_snapshot,
)
from storage.shared_data.store import address_normaliser

REPO = Path(__file__).resolve().parents[2]


def make_id(region_birth_seq: str) -> str:
    # stdnum's calc_check_digit expects the full number and ignores its last character.
    return region_birth_seq + ric.calc_check_digit(region_birth_seq + "0")


def id_with_x() -> str:
    for seq in range(100, 999):
        number = make_id(f"51010719900101{seq}")
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit found")


ALICE = make_id("51130219900315441")  # a migrant worker with a lease
BOB = id_with_x()  # owns property; stored with a lowercase x in the snapshot
CAROL = make_id("51010420010901222")  # student, local hukou
EMPLOYER = "91510100MA6CB0L37G"
HOME = "四川省成都市武侯区玉林街道玉林北路12号3栋2单元501"


def base_tables() -> dict[str, list[dict[str, Any]]]:
    return {
        "residence_registrations": [
            {"id_number": ALICE, "name": "王小明", "address": HOME, "district_code": "510107",
             "registered_on": "2021-03-01", "deregistered_on": "2023-01-31"},
            {"id_number": ALICE, "name": "王小明", "address": "成都市武侯区玉林北路8号1栋101",
             "district_code": "510107", "registered_on": "2023-02-10", "deregistered_on": ""},
            {"id_number": BOB.lower(), "name": "欧阳娜娜", "address": HOME, "district_code": "510107",
             "registered_on": "2022-06-01", "deregistered_on": ""},
        ],
        "social_insurance": [
            {"id_number": ALICE, "employer_uscc": EMPLOYER, "month": "2025-01", "paid": "true"},
            {"id_number": ALICE, "employer_uscc": EMPLOYER, "month": "2024-12", "paid": "false"},
            {"id_number": ALICE, "employer_uscc": EMPLOYER, "month": "2025-02", "paid": "true"},
        ],
        "lease_registrations": [
            {"registration_no": "ZL510107202301150001", "tenant_id_number": ALICE, "address": HOME,
             "start_on": "2023-01-15", "end_on": "2026-01-14"},
        ],
        "property_records": [
            {"certificate_no": "川(2019)成都市不动产权第0123456号", "owner_id_number": BOB.lower(),
             "address": HOME},
        ],
        "business_registry": [{"uscc": EMPLOYER, "name": "成都蓉城软件有限公司", "status": "存续"}],
        "school_enrollments": [
            {"id_number": CAROL, "school": "四川大学", "enrolled_on": "2019-09-01", "status": "在读"},
        ],
        "hukou": [
            {"id_number": ALICE, "hukou_city_code": "5113"},
            {"id_number": CAROL, "hukou_city_code": "5101"},
        ],
        "permits": [
            {"permit_no": "510107202101010001", "id_number": ALICE, "issued_on": "2021-09-10",
             "last_endorsed_on": "2024-09-01", "status": "有效"},
        ],
    }  # fmt: skip


def write_snapshot(folder: Path, tables: dict[str, list[dict[str, Any]]], fmt: str = "csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        frame = pd.DataFrame(rows).astype("str")
        if fmt == "csv":
            frame.to_csv(folder / f"{table}.csv", index=False)
        else:
            if "paid" in frame:
                frame["paid"] = frame["paid"].map({"true": True, "false": False, "已缴": True})
            frame = frame.replace("", None)
            frame.to_parquet(folder / f"{table}.parquet", index=False)
    return folder


@pytest.fixture
def snapshot_dir(isolated_settings: Path) -> Path:
    """The configured snapshot folder (settings.shared_data_dir defaults to data_dir/shared-data)."""
    return isolated_settings / "shared-data"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_lookup_returns_typed_rows(snapshot_dir: Path, fmt: str) -> None:
    write_snapshot(snapshot_dir, base_tables(), fmt)
    data = get_shared_data()
    assert isinstance(data, SharedData)

    regs = data.registrations(ALICE)
    assert [r.registered_on for r in regs] == [date(2021, 3, 1), date(2023, 2, 10)]
    assert regs[0] == ResidenceRegistration(
        ALICE, "王小明", HOME, "510107", date(2021, 3, 1), date(2023, 1, 31)
    )
    assert regs[1].deregistered_on is None
    assert data.insurance_months(ALICE) == [
        InsuranceMonth(ALICE, EMPLOYER, "2024-12", False),
        InsuranceMonth(ALICE, EMPLOYER, "2025-01", True),
        InsuranceMonth(ALICE, EMPLOYER, "2025-02", True),
    ]
    lease = LeaseRegistration("ZL510107202301150001", ALICE, HOME, date(2023, 1, 15), date(2026, 1, 14))
    assert data.leases_of_tenant(ALICE) == [lease]
    assert data.lease("ZL510107202301150001") == lease
    assert data.lease("ZL-NOPE") is None
    prop = PropertyRecord("川(2019)成都市不动产权第0123456号", BOB, HOME)
    assert data.properties_of_owner(BOB) == [prop]
    # Certificate numbers are matched width-insensitively (full-width brackets on a scanned document).
    assert data.property("川（2019）成都市不动产权第0123456号") == prop
    assert data.business(EMPLOYER.lower()) == BusinessRecord(EMPLOYER, "成都蓉城软件有限公司", "存续")
    assert data.business("91510100MA0000000X") is None
    assert data.enrollments(CAROL) == [SchoolEnrollment(CAROL, "四川大学", date(2019, 9, 1), "在读")]
    assert data.hukou(CAROL) == [HukouRecord(CAROL, "5101")]
    assert data.hukou(BOB) == []
    assert data.permits(ALICE) == [
        PermitRecord("510107202101010001", ALICE, date(2021, 9, 10), date(2024, 9, 1), "有效")
    ]
    # Address lookups go through the normaliser: a differently written form finds the same dwelling.
    assert data.leases_at(HOME) == [lease]
    assert data.properties_at(HOME) == [prop]
    assert {r.id_number for r in data.registrations_at(HOME)} == {ALICE, BOB}
    spaced = " " + HOME.replace("12号", "12 号") + " "
    assert address_normaliser()(spaced) == address_normaliser()(HOME)
    assert data.leases_at(spaced) == [lease]
    for person in (ALICE, BOB, CAROL):
        assert data.registrations(person.lower()) == data.registrations(person)
    assert data.registrations("110101199001010011") == []


def test_dirty_rows_are_cleaned_or_rejected_and_reported(snapshot_dir: Path) -> None:
    tables = base_tables()
    regs = tables["residence_registrations"]
    regs.append(dict(regs[1]))  # exact duplicate
    regs.append(
        {**regs[2], "name": "  欧阳娜娜 ", "id_number": f"  {BOB.lower()} "}
    )  # duplicate once cleaned
    regs.append({**regs[1], "id_number": "51011319900101"})  # bad ID shape
    regs.append({**regs[1], "id_number": make_id("51010119800101555"), "registered_on": "2023-02-30"})
    regs.append({**regs[1], "id_number": make_id("51010119800101666"), "registered_on": "20230201"})
    si = tables["social_insurance"]
    si.append({**si[0], "month": "2025-03", "paid": "是"})
    si.append({**si[0], "month": "2025-04", "paid": "1"})
    si.append({**si[0], "month": "2025-05", "paid": "maybe"})
    si.append({**si[0], "month": "2025-13"})
    tables["hukou"].append({"id_number": ALICE, "hukou_city_code": "5113"})  # harmless duplicate
    tables["hukou"].append({"id_number": ALICE, "hukou_city_code": "5101"})  # conflicting duplicate
    write_snapshot(snapshot_dir, tables)

    with pytest.raises(UnknownValuesError) as refused:
        import_snapshot(snapshot_dir)
    # The import names the unknown word, its column and rows, and publishes nothing.
    unknown = refused.value.report.unknown
    assert [(t, u.column, u.value, u.rows) for t, u in unknown] == [("social_insurance", "paid", "maybe", 1)]
    report = import_snapshot(snapshot_dir, accept_unknown=True)
    assert report.accepted_unknown is True

    rr = report.tables["residence_registrations"]
    # 20230201 is another form of a date (kept as 2023-02-01); 2023-02-30 is no day at all.
    assert (rr.rows_read, rr.rows_kept) == (8, 4)
    assert rr.rejected == {
        "id_number: not an 18-character ID number": 1,
        "registered_on: not a YYYY-MM-DD date": 1,
        "duplicate row": 2,
    }
    assert rr.examples["duplicate row"] == [4, 5]
    assert rr.examples["id_number: not an 18-character ID number"] == [6]
    si_report = report.tables["social_insurance"]
    assert si_report.rows_kept == 6
    assert si_report.rejected == {"month: not a YYYY-MM month": 1}
    # Two hukou rows that disagree are both kept: the check sends the case to a person.
    assert report.tables["hukou"].rejected == {"duplicate row": 1}
    # The report names rows, never people.
    text = report.to_json()
    for secret in (ALICE, BOB, BOB.lower(), "欧阳娜娜", "王小明", "51011319900101"):
        assert secret not in text

    data = get_shared_data()
    bob = data.registrations(BOB)
    assert len(bob) == 1 and bob[0].name == "欧阳娜娜" and bob[0].id_number == BOB
    paid = {m.month: m.paid for m in data.insurance_months(ALICE)}
    assert paid == {
        "2024-12": False,
        "2025-01": True,
        "2025-02": True,
        "2025-03": True,
        "2025-04": True,
        "2025-05": None,  # "maybe": accepted as unknown, neither paid nor unpaid
    }
    assert sorted(h.hukou_city_code for h in data.hukou(ALICE)) == ["5101", "5113"]


def test_missing_column_or_table_is_a_clear_error(snapshot_dir: Path) -> None:
    tables = base_tables()
    for row in tables["lease_registrations"]:
        del row["end_on"]
    write_snapshot(snapshot_dir, tables)
    with pytest.raises(SnapshotError, match=r"lease_registrations\.csv: missing column\(s\) end_on"):
        import_snapshot(snapshot_dir)

    (snapshot_dir / "lease_registrations.csv").unlink()
    (snapshot_dir / "hukou.csv").unlink()
    with pytest.raises(SnapshotError, match=r"lacks table.*lease_registrations, hukou"):
        get_shared_data()


def test_index_is_reused_until_a_file_changes(snapshot_dir: Path, isolated_settings: Path) -> None:
    write_snapshot(snapshot_dir, base_tables())
    first = import_snapshot(snapshot_dir)
    assert first.rebuilt
    again = import_snapshot(snapshot_dir)
    assert not again.rebuilt and again.index_path == first.index_path
    data = get_shared_data()
    assert str(getattr(data, "path", "")) == first.index_path
    built_at = Path(first.index_path).stat().st_mtime_ns

    tables = base_tables()
    tables["hukou"].append({"id_number": BOB, "hukou_city_code": "5001"})
    time.sleep(0.01)
    write_snapshot(snapshot_dir, {"hukou": tables["hukou"]})
    fresh = get_shared_data()
    assert fresh.hukou(BOB) == [HukouRecord(BOB, "5001")]
    assert str(getattr(fresh, "path", "")) != first.index_path
    # The old index file was not touched (open readers keep reading it).
    assert Path(first.index_path).stat().st_mtime_ns == built_at
    assert import_snapshot(snapshot_dir).rebuilt is False


def _child_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RONGJU_")}
    env["RONGJU_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(REPO)
    return env


def test_fresh_process_lookup_does_not_import_pandas(snapshot_dir: Path, isolated_settings: Path) -> None:
    write_snapshot(snapshot_dir, base_tables(), "parquet")
    import_snapshot(snapshot_dir)
    child = f"""
import json, sys, time
t0 = time.perf_counter()
from storage.shared_data import get_shared_data
data = get_shared_data()
found = [len(data.registrations({ALICE!r})), len(data.insurance_months({ALICE!r})),
         len(data.leases_at({HOME!r})), data.business({EMPLOYER!r}) is not None]
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("pandas", "pyarrow", "numpy"))
print(json.dumps({{"found": found, "heavy": heavy, "ms": (time.perf_counter() - t0) * 1000}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", child], env=_child_env(isolated_settings), cwd=REPO,
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout)
    assert result["found"] == [2, 3, 1, True]
    assert result["heavy"] == []


def test_readers_keep_working_while_a_rebuild_swaps_the_index(snapshot_dir: Path) -> None:
    write_snapshot(snapshot_dir, base_tables())
    held = get_shared_data()
    errors: list[BaseException] = []
    lookups = [0]
    stop = threading.Event()

    def read(fresh: bool) -> None:
        try:
            while not stop.is_set():
                data = get_shared_data() if fresh else held
                assert len(data.registrations(ALICE)) == 2
                assert data.lease("ZL510107202301150001") is not None
                lookups[0] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(i % 2 == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        for round_no in range(3):
            tables = base_tables()
            tables["hukou"].append({"id_number": BOB, "hukou_city_code": f"50{round_no:02d}"})
            write_snapshot(snapshot_dir, {"hukou": tables["hukou"]})
            import_snapshot(snapshot_dir, force=round_no == 2)
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors, errors
    assert lookups[0] > 0
    assert get_shared_data().hukou(BOB) == [HukouRecord(BOB, "5002")]
    # The reader that held the first index all along still sees that snapshot.
    assert held.hukou(BOB) == []


def _other_feed() -> dict[str, list[dict[str, Any]]]:
    """The same people in another registry's words and code forms (DESIGN.md §4: feeds drift)."""
    tables = base_tables()
    tables["hukou"] = [
        {"id_number": ALICE, "hukou_city_code": "511300"},
        {"id_number": CAROL, "hukou_city_code": "510100"},
    ]
    tables["business_registry"][0]["status"] = "存续（在营、开业、在册）"
    tables["school_enrollments"][0]["status"] = "在校"
    tables["permits"][0]["status"] = "正常"
    for row in tables["residence_registrations"]:
        row["district_code"] = row["district_code"] + "000000"  # the 12-digit statistical form
        row["registered_on"] = row["registered_on"].replace("-", "/")
    tables["social_insurance"][0]["paid"] = "已缴"
    return tables


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_other_code_forms_and_words_are_normalised_to_the_same_data(snapshot_dir: Path, fmt: str) -> None:
    write_snapshot(snapshot_dir, _other_feed(), fmt)
    report = import_snapshot(snapshot_dir)
    assert report.unknown == [] and not report.accepted_unknown
    assert report.tables["hukou"].normalised == {
        "hukou_city_code: 510100 → 5101": 1,
        "hukou_city_code: 511300 → 5113": 1,
    }
    data = get_shared_data()
    assert data.hukou(CAROL) == [HukouRecord(CAROL, "5101")]
    assert data.business(EMPLOYER).status == "存续"
    assert data.enrollments(CAROL)[0].status == "在读"
    assert data.permits(ALICE)[0].status == "有效"
    assert {r.district_code for r in data.registrations(ALICE)} == {"510107"}
    assert data.registrations(ALICE)[0].registered_on == date(2021, 3, 1)
    if fmt == "csv":  # a Parquet feed carries paid as a boolean column
        assert {m.month: m.paid for m in data.insurance_months(ALICE)}["2025-01"] is True


def test_import_command_refuses_unknown_values_until_accepted(snapshot_dir: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    tables = base_tables()
    tables["permits"][0]["status"] = "active"
    tables["hukou"][0]["hukou_city_code"] = "CD01"
    tables["hukou"][1]["hukou_city_code"] = (
        ""  # an empty code keeps its row (dropping it would pass the check)
    )
    write_snapshot(snapshot_dir, tables)
    runner = CliRunner()
    refused = runner.invoke(app, ["shared-data", "import"], terminal_width=200)
    assert refused.exit_code == 1
    assert "active" in refused.output and "CD01" in refused.output and "--accept-unknown" in refused.output
    assert ALICE not in refused.output  # values of coded columns only, never a person
    with pytest.raises(UnknownValuesError):
        get_shared_data()  # nothing was published, and a worker does not build it past the gate

    accepted = runner.invoke(app, ["shared-data", "import", "--accept-unknown"], terminal_width=200)
    assert accepted.exit_code == 0, accepted.output
    stats = runner.invoke(app, ["shared-data", "stats"], terminal_width=200)
    assert stats.exit_code == 0
    assert "active" in stats.output and "CD01" in stats.output and "reviewer" in stats.output
    assert get_shared_data().permits(ALICE)[0].status == "active"  # kept as it came, for the checks
    assert get_shared_data().hukou(CAROL) == [HukouRecord(CAROL, "")]
    assert "(空 empty)" in stats.output


def test_a_refused_new_snapshot_leaves_the_last_accepted_one_in_service(snapshot_dir: Path) -> None:
    write_snapshot(snapshot_dir, base_tables())
    import_snapshot(snapshot_dir)
    tables = base_tables()
    tables["business_registry"][0]["status"] = "营业中"
    write_snapshot(snapshot_dir, tables)
    os.utime(snapshot_dir / "business_registry.csv", ns=(1, 1))  # a new stat fingerprint
    data = get_shared_data()
    assert data.business(EMPLOYER).status == "存续"


# Issue 12 item 8: the index holds the city's personal data.
def test_index_is_private_whatever_the_umask(snapshot_dir: Path, isolated_settings: Path) -> None:
    import stat as stat_module

    write_snapshot(snapshot_dir, base_tables())
    previous = os.umask(0o022)
    try:
        report = import_snapshot(snapshot_dir)
    finally:
        os.umask(previous)
    index = Path(report.index_path)
    assert stat_module.S_IMODE(index.stat().st_mode) == 0o600
    assert stat_module.S_IMODE(index.parent.stat().st_mode) == 0o700


def test_index_others_can_read_is_refused_until_fixed(snapshot_dir: Path) -> None:
    from storage.permissions import ExposedFileError

    write_snapshot(snapshot_dir, base_tables())
    index = Path(import_snapshot(snapshot_dir).index_path)
    index.chmod(0o644)
    for attempt in (get_shared_data, lambda: import_snapshot(snapshot_dir)):
        with pytest.raises(ExposedFileError) as raised:
            attempt()
        message = str(raised.value)
        assert f"chmod 600 {index}" in message and "rongju shared-data import --force" in message
        assert message.index("共享数据索引") < message.index("shared-data index")
    # At the command line the admin reads the fix as plain lines, not at the end of a traceback.
    from typer.testing import CliRunner

    from cli.main import app

    stats = CliRunner().invoke(app, ["shared-data", "stats"], terminal_width=300)
    assert stats.exit_code == 1 and not isinstance(stats.exception, ExposedFileError)
    assert f"chmod 600 {index}" in stats.output
    # The rebuild the message offers writes a private index, which is then served.
    rebuilt = Path(import_snapshot(snapshot_dir, force=True).index_path)
    assert rebuilt.stat().st_mode & 0o077 == 0
    assert get_shared_data().hukou(ALICE) is not None
