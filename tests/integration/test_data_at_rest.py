"""Files and data at rest (issue 12 item 8): owner-only files, a 0700 data folder, refusal of a case DB
others can read, and database errors without personal data — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from factories import make_package
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner, Result

from models.tables import Case
from services.intake import submit_folder
from storage.db import UnitOfWork, make_engine
from storage.permissions import ExposedFileError

REPO = Path(__file__).resolve().parents[2]
NAME, ID_NUMBER, PHONE = "王小明", "511302199003154418", "13812345678"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask of a shell that never heard of rongju (022): what rongju must not rely on."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_database_errors_carry_no_personal_data(engine: Engine, tmp_path: Path) -> None:
    """A failed statement's text reaches Prefect's task states and logs: no parameters in it."""
    folder = make_package(tmp_path / "pkg", applicant={"name": NAME, "id_number": ID_NUMBER, "phone": PHONE})
    case_id = submit_folder(folder, UnitOfWork()).case_id
    with UnitOfWork() as uow, pytest.raises(IntegrityError) as raised:
        uow.add(
            Case(
                id=case_id,
                submission_id="another-submission",
                business_type="apply",
                status="submitted",
                applicant_name=NAME,
                applicant_id_number=ID_NUMBER,
                applicant_phone=PHONE,
                residence_address="四川省成都市武侯区玉林北路12号3栋2单元501",
                delivery_method="pickup",
            )
        )
        uow.commit()
    text = str(raised.value)
    assert "hidden" in text  # SQLAlchemy's "[SQL parameters hidden due to hide_parameters=True]"
    for value in (NAME, ID_NUMBER, PHONE, "玉林北路"):
        assert value not in text


def test_case_db_and_data_folder_are_private_whatever_the_umask(
    db_url: str, isolated_settings: Path, loose_umask: None
) -> None:
    from storage.db import get_engine

    get_engine()
    assert _mode(isolated_settings) == 0o700
    if db_url.startswith("sqlite"):
        database = isolated_settings / "rongju.db"
        assert _mode(database) == 0o600
    # The process's umask is now private: whatever it writes next is owner-only.
    written = isolated_settings / "written-after"
    written.write_bytes(b"x")
    assert _mode(written) == 0o600


def test_existing_loose_data_folder_is_tightened(isolated_settings: Path, loose_umask: None) -> None:
    from storage.permissions import ensure_data_dir

    isolated_settings.mkdir(mode=0o755)
    isolated_settings.chmod(0o755)
    assert ensure_data_dir() == isolated_settings
    assert _mode(isolated_settings) == 0o700


@pytest.mark.parametrize("companion", ["", "-wal"])
def test_case_db_others_can_read_is_refused_with_the_fix(tmp_path: Path, companion: str) -> None:
    database = tmp_path / "var" / "rongju.db"
    make_engine(f"sqlite:///{database}").dispose()
    exposed = Path(f"{database}{companion}")
    exposed.touch()
    exposed.chmod(0o644)
    with pytest.raises(ExposedFileError) as raised:
        make_engine(f"sqlite:///{database}")
    message = str(raised.value)
    assert f"chmod 600 {database}" in message
    # Chinese first, then English.
    assert message.index("案件数据库文件") < message.index("case database file")
    exposed.chmod(0o600)
    make_engine(f"sqlite:///{database}").dispose()


def test_cli_process_runs_with_a_private_umask(loose_umask: None, tmp_path: Path) -> None:
    from cli.main import app

    # `correct` with a missing file stops before any database work: only the callback ran.
    result = CliRunner().invoke(app, ["correct", "RJ1", "--doc", f"id_back={tmp_path / 'none.jpg'}"])
    assert result.exit_code == 2
    current = os.umask(0o022)
    assert current == 0o077


def test_flow_run_process_not_started_by_rongju_writes_private_files(
    db_url: str, isolated_settings: Path, tmp_path: Path
) -> None:
    """A worker someone started by hand (umask 022) runs flow runs that reach get_engine() first."""
    probe = tmp_path / "probe"
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from storage.db import get_engine\n"
        "get_engine()\n"
        "Path(sys.argv[1]).write_bytes(b'x')\n"
    )
    env = {**os.environ, "RONGJU_DATA_DIR": str(isolated_settings), "RONGJU_DATABASE_URL": db_url}
    subprocess.run(
        [sys.executable, "-c", script, str(probe)],
        cwd=REPO,
        env=env,
        check=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert _mode(probe) == 0o600


# Manifests (CSV) go to the card centre's and the post office's spreadsheets.
HOSTILE = ['=HYPERLINK("http://x","点击")', "+86 138", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("value", HOSTILE)
def test_manifest_cells_that_would_be_formulas_are_neutralised(tmp_path: Path, value: str) -> None:
    from storage.spool import MailRoom

    path = MailRoom(tmp_path).write_manifest(
        date(2026, 12, 7), [("EMS001", "RJ1", "510107202600000001", value, "13812345678", value, "x.pdf")]
    )
    (_, row) = _cells(path.read_bytes())
    assert row[3] == row[5] == "'" + value.replace("\r", "\n")
    assert row[:3] == ["EMS001", "RJ1", "510107202600000001"] and row[4] == "13812345678"


def test_card_numbers_survive_the_manifest_round_trip(tmp_path: Path) -> None:
    from config.production import load_production
    from services.card_spool import read_production_manifest
    from storage.spool import PrintSpool

    production = load_production()
    bureaus = ["成都市公安局武侯区分局", "成都市公安局天府新区分局"]
    numbers = [production.card_number_for(b, 2026, seq) for b in bureaus for seq in (1, 9_999_999)]
    rows = [(n, f"RJ{i}", 1, "武侯", "2026-12-07", f"{n}.pdf") for i, n in enumerate(numbers)]
    path = PrintSpool(tmp_path).write_manifest(date(2026, 12, 7), rows)
    assert read_production_manifest(path) == numbers


# `rongju correct` reads the files an admin names with the intake's rules.
def _correct_within(args: list[str], seconds: float, fifo: Path | None = None) -> Result:
    from cli.main import app

    outcome: list[Result] = []
    worker = threading.Thread(target=lambda: outcome.append(CliRunner().invoke(app, args)), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        if fifo is not None:  # release the blocked open() so the thread ends
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(5)
        pytest.fail(f"rongju correct did not return within {seconds} s")
    return outcome[0]


def test_correct_refuses_a_fifo_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "id_back.jpg"
    os.mkfifo(fifo)
    result = _correct_within(["correct", "RJ1", "--doc", f"id_back={fifo}"], 10, fifo)
    assert result.exit_code == 2
    assert "不是普通文件" in result.output and "not a regular file" in result.output


def test_correct_refuses_links_and_oversized_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from config.settings import get_settings

    monkeypatch.setenv("RONGJU_MAX_FILE_BYTES", "1000")
    get_settings.cache_clear()
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"\xff\xd8" + b"\0" * 100)
    link = tmp_path / "id_back.jpg"
    link.symlink_to(secret)
    big = tmp_path / "id_front.jpg"
    big.write_bytes(b"\xff\xd8" + b"\0" * 5000)
    result = _correct_within(["correct", "RJ1", "--doc", f"id_back={link}", "--doc", f"id_front={big}"], 30)
    assert result.exit_code == 2
    # Both named at once, each with what is wrong.
    assert "id_back.jpg" in result.output and "not a regular file" in result.output
    assert "id_front.jpg" in result.output and "1000 byte limit" in result.output


def test_cli_refuses_a_readable_case_db_with_the_fix_and_no_traceback(isolated_settings: Path) -> None:
    from cli.main import app

    assert CliRunner().invoke(app, ["db", "migrate"]).exit_code == 0
    database = isolated_settings / "rongju.db"
    database.chmod(0o644)
    result = CliRunner().invoke(app, ["db", "migrate"])
    assert result.exit_code == 1
    assert f"chmod 600 {database}*" in result.output and "Traceback" not in result.output
    assert result.output.index("其他用户可以读取") < result.output.index("other users can read it")
