"""Intake on the real case DB (SQLite and PostgreSQL) and the real document store."""

from __future__ import annotations

import os
import threading
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from factories import jpeg_bytes, make_package, pdf_bytes
from PIL import Image
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from models.package import PackageRefused
from models.status import CaseStatus, IllegalTransition
from models.tables import Case, Document, StatusTransition
from services.intake import IntakeResult, submit_folder
from storage.db import UnitOfWork
from storage.documents import LocalDocumentStore, content_hash, get_document_store


def _count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def test_package_becomes_a_case_awaiting_acceptance(engine: Engine, tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg", submission_id="TFSMY-0001")
    result = submit_folder(folder, UnitOfWork())
    assert result.created and result.status is CaseStatus.SUBMITTED
    with Session(engine) as session:
        case = session.get(Case, result.case_id)
        assert case is not None and case.status == "submitted" and case.submission_id == "TFSMY-0001"
        documents = session.exec(select(Document).where(Document.case_id == case.id)).all()
        trail = session.exec(select(StatusTransition).where(StatusTransition.case_id == case.id)).all()
    assert sorted(d.kind for d in documents) == ["id_back", "id_front", "lease_contract", "photo"]
    assert {d.sniffed_type for d in documents} == {"image/jpeg", "image/png", "application/pdf"}
    store = get_document_store()
    for document in documents:
        data = store.get(document.content_hash)
        assert content_hash(data) == document.content_hash and len(data) == document.size_bytes
    assert [(t.from_status, t.to_status, t.actor) for t in trail] == [(None, "submitted", "intake")]


def test_resubmission_returns_the_existing_case(engine: Engine, tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg", submission_id="TFSMY-0002")
    first = submit_folder(folder, UnitOfWork())
    again = submit_folder(folder, UnitOfWork())
    assert again.case_id == first.case_id and not again.created
    assert (
        _count(engine, Case) == 1 and _count(engine, Document) == 4 and _count(engine, StatusTransition) == 1
    )


def test_concurrent_resubmission_creates_one_case(engine: Engine, tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg", submission_id="TFSMY-RACE")
    results: list[str] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            results.append(submit_folder(folder, UnitOfWork()).case_id)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1
    assert _count(engine, Case) == 1


def _zip_bytes() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _gif_bytes() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(buffer, format="GIF")
    return buffer.getvalue()


GIF = _gif_bytes()


@pytest.mark.parametrize(
    ("name", "data"),
    [("id_front.jpg", GIF), ("lease.pdf", _zip_bytes()), ("photo.png", b"MZ\x90\x00" + b"\x00" * 200)],
)
def test_disguised_file_refuses_the_whole_package(
    engine: Engine, tmp_path: Path, name: str, data: bytes
) -> None:
    folder = make_package(tmp_path / "pkg", files={name: data})
    with pytest.raises(PackageRefused) as raised:
        submit_folder(folder, UnitOfWork())
    codes = {p.code for p in raised.value.problems}
    assert codes == {"FILE_TYPE_NOT_ALLOWED"}
    assert name in raised.value.problems[0].field
    assert (
        _count(engine, Case) == 0 and _count(engine, Document) == 0 and _count(engine, StatusTransition) == 0
    )


def test_every_problem_is_listed_and_nothing_is_stored(engine: Engine, tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg", files={"id_front.jpg": GIF, "id_back.jpg": b""})
    (folder / "lease.pdf").unlink()
    with pytest.raises(PackageRefused) as raised:
        submit_folder(folder, UnitOfWork())
    fields = sorted(p.field for p in raised.value.problems)
    assert fields == ["id_back.jpg", "id_front.jpg", "lease.pdf"]
    assert _count(engine, Case) == 0
    store_root = get_document_store()
    assert isinstance(store_root, LocalDocumentStore)
    assert not store_root.root.exists() or not any(store_root.root.rglob("*"))


def test_symlinked_file_is_not_followed(engine: Engine, tmp_path: Path) -> None:
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(jpeg_bytes())
    folder = make_package(tmp_path / "pkg")
    (folder / "id_front.jpg").unlink()
    (folder / "id_front.jpg").symlink_to(secret)
    with pytest.raises(PackageRefused) as raised:
        submit_folder(folder, UnitOfWork())
    assert [p.field for p in raised.value.problems] == ["id_front.jpg"]
    assert _count(engine, Case) == 0


def test_oversized_file_is_refused(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from config.settings import get_settings

    monkeypatch.setenv("RONGJU_MAX_FILE_BYTES", "2000")
    get_settings.cache_clear()
    folder = make_package(tmp_path / "pkg", files={"lease.pdf": pdf_bytes("x" * 10) + b"%" * 5000})
    with pytest.raises(PackageRefused) as raised:
        submit_folder(folder, UnitOfWork())
    assert "lease.pdf" in {p.field for p in raised.value.problems}
    assert _count(engine, Case) == 0


def test_illegal_transition_on_a_stored_case_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    case_id = submit_folder(make_package(tmp_path / "pkg"), UnitOfWork()).case_id
    with UnitOfWork() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        with pytest.raises(IllegalTransition):
            case.advance(CaseStatus.MAILED, actor="admin", reason="skip ahead")
        uow.commit()
    with UnitOfWork() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None and case.status == "submitted"
    assert _count(engine, StatusTransition) == 1


def test_legal_transition_is_stored_with_its_audit_row(engine: Engine, tmp_path: Path) -> None:
    case_id = submit_folder(make_package(tmp_path / "pkg"), UnitOfWork()).case_id
    with UnitOfWork() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        uow.add(case, case.advance(CaseStatus.UNDER_REVIEW, actor="system", reason="受理 accepted"))
        uow.commit()
    with UnitOfWork() as uow:
        rows = uow.session.exec(
            select(StatusTransition).where(StatusTransition.case_id == case_id).order_by(StatusTransition.id)
        ).all()
        assert [r.to_status for r in rows] == ["submitted", "under_review"]
        assert rows[1].at.tzinfo is not None
        case = uow.session.get(Case, case_id)
        assert case is not None and case.status == "under_review"


def test_uncommitted_work_is_not_saved(engine: Engine, tmp_path: Path) -> None:
    case_id = submit_folder(make_package(tmp_path / "pkg"), UnitOfWork()).case_id
    with UnitOfWork() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        uow.add(case, case.advance(CaseStatus.REJECTED, actor="system", reason="no commit"))
    with UnitOfWork() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None and case.status == "submitted"


def test_pickup_with_an_empty_address_becomes_a_case(engine: Engine, tmp_path: Path) -> None:
    """Issue 11: an independent portal writes "" for the fields a pickup does not need."""
    folder = make_package(
        tmp_path / "pkg",
        submission_id="PORTAL-B-0001",
        applicant={"name": "王小明", "id_number": "511302199003154418", "phone": "+86 138-1234-5678"},
        basis="Residence",
        delivery={"method": "pickup", "address": "", "recipient": "", "phone": "  "},
        portal_ref="B-7781",
    )
    result = submit_folder(folder, UnitOfWork())
    assert result.created and result.status is CaseStatus.SUBMITTED
    with Session(engine) as session:
        case = session.get(Case, result.case_id)
        assert case is not None
        (received,) = session.exec(select(StatusTransition).where(StatusTransition.case_id == case.id)).all()
    assert (case.delivery_method, case.delivery_address, case.delivery_recipient, case.delivery_phone) == (
        "pickup",
        None,
        None,
        None,
    )
    assert case.applicant_phone == "13812345678" and case.basis == "residence"
    assert "portal_ref" in received.reason and "B-7781" not in received.reason


def _set_cap(monkeypatch: pytest.MonkeyPatch, name: str, value: int) -> None:
    from config.settings import get_settings

    monkeypatch.setenv(name, str(value))
    get_settings.cache_clear()


def _no_application(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "application.json").unlink()


def _linked_application(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = folder.parent / "elsewhere.json"
    (folder / "application.json").rename(real)
    (folder / "application.json").symlink_to(real)


def _missing_listed_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "lease.pdf").unlink()


def _gif(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "id_front.jpg").write_bytes(GIF)


def _empty(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "id_back.jpg").write_bytes(b"")


def _file_too_large(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "lease.pdf").write_bytes(pdf_bytes() + b"%" * 50_000)
    _set_cap(monkeypatch, "RONGJU_MAX_FILE_BYTES", 40_000)


def _package_too_large(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _set_cap(monkeypatch, "RONGJU_MAX_PACKAGE_BYTES", 4_000)


@pytest.mark.parametrize(
    ("spoil", "code", "field", "label"),
    [
        (_no_application, "PACKAGE_INVALID", "application.json", "application.json"),
        (_linked_application, "FILE_UNREADABLE", "application.json", "文件本身"),
        (_missing_listed_file, "DOCUMENT_MISSING", "lease.pdf", "房屋租赁合同文件 lease.pdf"),
        (_gif, "FILE_TYPE_NOT_ALLOWED", "id_front.jpg", "JPEG、PNG 图片或 PDF"),
        (_empty, "FILE_UNREADABLE", "id_back.jpg", "重新拍照"),
        (_file_too_large, "FILE_TYPE_NOT_ALLOWED", "lease.pdf", "拆分"),
        (_package_too_large, "FILE_TYPE_NOT_ALLOWED", "documents", "合计不超过"),
    ],
)
def test_every_intake_refusal_names_what_to_do(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spoil: Callable[[Path, pytest.MonkeyPatch], None],
    code: str,
    field: str,
    label: str,
) -> None:
    folder = make_package(tmp_path / "pkg")
    spoil(folder, monkeypatch)
    with pytest.raises(PackageRefused) as raised:
        submit_folder(folder, UnitOfWork())
    (problem,) = raised.value.problems
    assert (problem.code, problem.field) == (code, field)
    assert problem.action_zh.startswith("请") and label in problem.action_zh, problem.action_zh
    assert problem.zh.endswith(f"{problem.action_zh}。") and problem.action_en in problem.en
    assert _count(engine, Case) == 0


# Issue 12 item 8: of a package folder only the regular files application.json lists are read, under
# a running size cap.
def _submit_within(folder: Path, seconds: float) -> IntakeResult | PackageRefused:
    """submit_folder in a thread: a hang (the FIFO of old) fails the test instead of the session."""
    outcome: list[IntakeResult | PackageRefused] = []

    def run() -> None:
        try:
            outcome.append(submit_folder(folder, UnitOfWork()))
        except PackageRefused as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        for fifo in folder.iterdir():
            if fifo.is_fifo():  # release the blocked open() so the thread ends
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(5)
        pytest.fail(f"intake did not return within {seconds} s")
    return outcome[0]


def test_listed_fifo_is_refused_without_hanging(engine: Engine, tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg")
    (folder / "lease.pdf").unlink()
    os.mkfifo(folder / "lease.pdf")
    refused = _submit_within(folder, 10)
    assert isinstance(refused, PackageRefused)
    ((code, field, action),) = [(p.code, p.field, p.action_zh) for p in refused.problems]
    assert (code, field) == ("FILE_UNREADABLE", "lease.pdf") and "文件本身" in action
    assert _count(engine, Case) == 0


def test_files_the_application_does_not_list_are_never_opened(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config.settings import get_settings

    monkeypatch.setenv("RONGJU_MAX_FILE_BYTES", str(1024 * 1024))
    get_settings.cache_clear()
    folder = make_package(tmp_path / "pkg", submission_id="TFSMY-UNLISTED")
    os.mkfifo(folder / "stray.fifo")
    (folder / "huge.bin").write_bytes(b"\0" * (2 * 1024 * 1024))
    result = _submit_within(folder, 10)
    assert isinstance(result, IntakeResult) and result.created
    assert _count(engine, Document) == 4


def test_reading_stops_at_the_package_cap(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The running total is checked while reading: the folder is refused before the rest is read."""
    from config.settings import get_settings
    from services.intake import read_package_folder

    folder = make_package(tmp_path / "pkg", files={"lease.pdf": pdf_bytes("x" * 10) + b"%" * 30_000})
    cap = sum(p.stat().st_size for p in folder.iterdir() if p.name != "application.json") - 1
    with pytest.raises(PackageRefused) as raised:
        read_package_folder(folder, max_file_bytes=10**6, max_package_bytes=cap)
    assert [p.field for p in raised.value.problems] == ["documents"]
    monkeypatch.setenv("RONGJU_MAX_PACKAGE_BYTES", str(cap))
    get_settings.cache_clear()
    with pytest.raises(PackageRefused) as raised:
        submit_folder(folder, UnitOfWork())
    assert [p.field for p in raised.value.problems] == ["documents"]
    assert _count(engine, Case) == 0
