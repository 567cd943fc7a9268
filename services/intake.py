"""Intake of a case package (DESIGN.md §4): validate, sniff, store, create the case as 待受理.

A package is accepted whole or refused whole. Every problem is collected and reported at once,
in Chinese and English. Resubmitting a submission_id returns the case it already created.
Files are distrusted: the type comes from the bytes, sizes are capped per file and per package
while reading, and of a package folder only the regular files application.json lists are read
(no symlinks, FIFOs or devices; nothing else in the folder is opened).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from config.settings import get_settings, today
from documents.filetype import ALLOWED_TYPES, sniff_type
from models.masking import mask_name
from models.package import (
    ApplicationPackage,
    PackageProblem,
    PackageRefused,
    parse_application,
    problem,
)
from models.reasons import ReasonCode
from models.status import CaseStatus
from models.tables import Case, Document, StatusTransition
from storage.db import IntegrityError, UnitOfWork
from storage.documents import DocumentStore, content_hash, get_document_store
from storage.files import FileTooLarge, NotRegularFile, read_regular_file

log = logging.getLogger(__name__)

APPLICATION_FILE = "application.json"
INTAKE_ACTOR = "intake"


@dataclass(frozen=True)
class IntakeResult:
    submission_id: str
    case_id: str
    status: CaseStatus
    created: bool  # False when the submission_id was already known
    business_type: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "submission_id": self.submission_id,
            "case_id": self.case_id,
            "status": self.status.value,
            "status_zh": self.status.label_zh,
            "created": self.created,
        }


def new_case_id() -> str:
    """RJ + date + 10 random hex digits: sortable by day, not guessable."""
    return f"RJ{today():%Y%m%d}{uuid.uuid4().hex[:10].upper()}"


def read_package_folder(
    folder: Path, *, max_file_bytes: int, max_package_bytes: int
) -> tuple[bytes, dict[str, bytes]]:
    """Read application.json and the files it lists — nothing else in the folder.

    Only regular files are read (storage/files.read_regular_file: no symlinks, FIFOs or devices), each
    under `max_file_bytes`, and all of them under a running total of `max_package_bytes`: reading stops
    at the cap, so a package folder never costs more than the caps in memory and time. A listed file
    that is not there is left to check_files, which names it with the rest of the package's problems.
    """
    problems: list[PackageProblem] = []
    application = _read_application(folder / APPLICATION_FILE, max_file_bytes, problems)
    if application is None:
        raise PackageRefused(problems)
    names, submission_id = _listed_files(application)
    read = read_files(
        [folder / name for name in names],
        max_file_bytes=max_file_bytes,
        max_package_bytes=max_package_bytes,
        missing_ok=True,
        submission_id=submission_id,
    )
    return application, {name: data for name, data in zip(names, read, strict=True) if data is not None}


def read_files(
    paths: list[Path],
    *,
    max_file_bytes: int,
    max_package_bytes: int,
    missing_ok: bool = False,
    submission_id: str | None = None,
) -> list[bytes | None]:
    """The bytes of each file in order — the one reading rule for a package folder and for `rongju
    correct`: regular files only, per-file and running total caps. Raises PackageRefused naming every
    file that cannot be used; a missing file is None when `missing_ok`, else a problem too."""
    problems: list[PackageProblem] = []
    contents: list[bytes | None] = []
    total = 0
    for path in paths:
        budget = max_package_bytes - total
        found: PackageProblem | None
        try:
            data = read_regular_file(path, min(max_file_bytes, budget))
        except FileNotFoundError:
            found = None if missing_ok else _problem("FILE_UNREADABLE", path.name, _NOT_FOUND, _CHECK_PATH)
        except NotRegularFile:
            found = _problem("FILE_UNREADABLE", path.name, _NOT_REGULAR, _PUT_FILE_ITSELF)
        except FileTooLarge:
            if budget < max_file_bytes:
                # The running total is over the package cap: nothing more is read.
                problems.append(_package_too_large(max_package_bytes))
                break
            found = _too_large(path.name, max_file_bytes)
        except OSError:
            found = _problem("FILE_UNREADABLE", path.name, _CANNOT_READ, _PUT_FILE_ITSELF)
        else:
            total += len(data)
            contents.append(data)
            continue
        if found is not None:
            problems.append(found)
        contents.append(None)
    if problems:
        raise PackageRefused(problems, submission_id)
    return contents


def _read_application(path: Path, limit: int, problems: list[PackageProblem]) -> bytes | None:
    try:
        return read_regular_file(path, limit)
    except FileNotFoundError:
        problems.append(_problem("PACKAGE_INVALID", path.name, ("缺少该文件", "file is missing"), _PUT_FILE))
    except FileTooLarge:
        problems.append(_too_large(path.name, limit))
    except OSError:
        # A symlink, FIFO or unreadable entry: never followed, never read.
        problems.append(_problem("FILE_UNREADABLE", path.name, _CANNOT_READ, _PUT_FILE_ITSELF))
    return None


def _listed_files(application: bytes) -> tuple[list[str], str | None]:
    """The plain file names application.json lists (and its submission_id), read loosely: the full
    validation comes later and reports everything wrong at once; a name that is not a plain file name
    inside the folder is not opened at all (the validation refuses it)."""
    try:
        data = json.loads(application.decode("utf-8-sig"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError: parse_application says what is wrong
        return [], None
    if not isinstance(data, dict):
        return [], None
    submission_id = data.get("submission_id")
    documents = data.get("documents")
    names: list[str] = []
    for item in documents if isinstance(documents, list) else []:
        name = item.get("file") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        name = name.strip()
        plain = name and not name.startswith(".") and PurePosixPath(name).name == name
        if plain and "\\" not in name and "\x00" not in name and name not in names:
            names.append(name)
    return names, submission_id if isinstance(submission_id, str) else None


# What the applicant can do about each file-level refusal (every refusal names one).
_PUT_FILE = (
    "请将申请表 application.json 放入申请文件夹后重新提交",
    "put application.json in the package and submit again",
)
_PUT_FILE_ITSELF = (
    "请直接放入文件本身（不要使用文件夹、快捷方式或链接）后重新上传",
    "put the file itself in the package (not a folder, shortcut or link) and upload again",
)
_CHECK_PATH = ("请检查文件路径后重试", "check the path and try again")
# What is wrong with a file that cannot be read.
_NOT_FOUND = ("文件不存在", "file not found")
_NOT_REGULAR = ("不是普通文件", "not a regular file")
_CANNOT_READ = ("无法读取该文件", "cannot read file")
_RETAKE = ("请重新拍照或导出该文件后再上传", "take the photo or export the file again and upload it")
_CONVERT = (
    "请将其另存为 JPEG、PNG 图片或 PDF 文件后重新上传",
    "save it as a JPEG, PNG or PDF file and upload it again",
)


def _size(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:.3g} MB" if megabytes >= 1 else f"{limit / 1024:.3g} KB"


def _too_large(name: str, limit: int) -> PackageProblem:
    return _problem(
        ReasonCode.FILE_TYPE_NOT_ALLOWED,
        name,
        (f"文件超过 {_size(limit)} 上限", f"file exceeds the {limit} byte limit"),
        (
            f"请压缩图片或将文件拆分为每份不超过 {_size(limit)} 后重新上传",
            f"compress the image or split the file into parts of at most {_size(limit)} and upload them",
        ),
    )


def _package_too_large(max_package_bytes: int) -> PackageProblem:
    return _problem(
        "FILE_TYPE_NOT_ALLOWED",
        "documents",
        (f"材料总大小超过 {_size(max_package_bytes)} 上限", f"package exceeds {max_package_bytes} bytes"),
        (
            f"请压缩图片或减少页数，使全部材料合计不超过 {_size(max_package_bytes)}",
            f"compress the images or drop pages so that all files together stay under "
            f"{_size(max_package_bytes)}",
        ),
    )


def _problem(code: str, field: str, what: tuple[str, str], action: tuple[str, str]) -> PackageProblem:
    return problem(code, field, (f"{field}：{what[0]}", what[1]), action)


def file_problem(name: str, data: bytes, *, max_bytes: int) -> tuple[str, PackageProblem | None]:
    """The sniffed MIME type of one uploaded file, and why it is refused (None when it is accepted):
    the same rules for a new package and for corrected documents."""
    if not data:
        return "application/x-empty", _problem(
            ReasonCode.FILE_UNREADABLE, name, ("文件为空", "file is empty"), _RETAKE
        )
    if len(data) > max_bytes:
        return "", _too_large(name, max_bytes)
    mime_type = sniff_type(data)
    if mime_type not in ALLOWED_TYPES:
        return mime_type, _problem(
            ReasonCode.FILE_TYPE_NOT_ALLOWED,
            name,
            (
                f"文件实际格式为 {mime_type}，仅接受 JPEG、PNG 图片或 PDF 文件",
                f"file is {mime_type}; only JPEG, PNG and PDF are accepted",
            ),
            _CONVERT,
        )
    return mime_type, None


@dataclass(frozen=True)
class _CheckedFile:
    kind: str
    name: str
    data: bytes
    mime_type: str


def check_files(
    package: ApplicationPackage, files: dict[str, bytes], *, max_package_bytes: int
) -> list[_CheckedFile]:
    """Every listed file present, non-empty and really JPEG/PNG/PDF; else refuse with all problems."""
    problems: list[PackageProblem] = []
    checked: list[_CheckedFile] = []
    for ref in package.documents:
        data = files.get(ref.file)
        if data is None:
            problems.append(
                _problem(
                    "DOCUMENT_MISSING",
                    ref.file,
                    (
                        f"材料清单列出的{ref.kind.label_zh}文件未随申请提交",
                        f"listed {ref.kind.value} file is not in the package",
                    ),
                    (
                        f"请上传{ref.kind.label_zh}文件 {ref.file}，或从材料清单中删去该项",
                        f"upload {ref.file} ({ref.kind.label_en}) or remove it from the document list",
                    ),
                )
            )
            continue
        mime_type, refusal = file_problem(ref.file, data, max_bytes=get_settings().max_file_bytes)
        if refusal is not None:
            problems.append(refusal)
            continue
        checked.append(_CheckedFile(ref.kind.value, ref.file, data, mime_type))
    total = sum(len(f.data) for f in checked)
    if total > max_package_bytes:
        problems.append(_package_too_large(max_package_bytes))
    if problems:
        raise PackageRefused(problems, package.submission_id)
    return checked


def find_case(submission_id: str, uow: UnitOfWork) -> Case | None:
    with uow:
        return uow.cases.by_submission(submission_id)


def submit_package(
    application: bytes,
    files: dict[str, bytes],
    uow: UnitOfWork,
    *,
    store: DocumentStore | None = None,
) -> IntakeResult:
    """Accept one package (application.json bytes + files by name) or raise PackageRefused."""
    settings = get_settings()
    store = store or get_document_store()
    package = parse_application(application)
    if package.ignored_fields:
        log.info("submission %s: ignored unknown fields %s", package.submission_id, package.ignored_fields)

    existing = find_case(package.submission_id, uow)
    if existing is not None:
        return IntakeResult(
            package.submission_id, existing.id, CaseStatus(existing.status), False, existing.business_type
        )

    checked = check_files(package, files, max_package_bytes=settings.max_package_bytes)
    # Blobs first: a blob without a case is harmless (content-addressed, found again on retry);
    # a case without its blobs would be lost data.
    for item in checked:
        store.put(item.data)

    case = _new_case(package)
    documents = [
        Document(
            case_id=case.id,
            kind=item.kind,
            original_name=item.name,
            content_hash=content_hash(item.data),
            sniffed_type=item.mime_type,
            size_bytes=len(item.data),
        )
        for item in checked
    ]
    # Two copies of one file under the same kind are one document.
    unique_documents = list({(d.kind, d.content_hash): d for d in documents}.values())
    received = StatusTransition(
        case_id=case.id,
        from_status=None,
        to_status=CaseStatus.SUBMITTED.value,
        actor=INTAKE_ACTOR,
        reason=(
            f"收到申请（{package.business_type.label_zh}） received {package.business_type.value} application"
            + _ignored_note(package.ignored_fields)
        ),
    )
    try:
        with uow:
            uow.add(case)
            uow.flush()  # the case row must exist before rows that reference it
            uow.add(*unique_documents, received)
            uow.commit()
    except IntegrityError:
        # Another intake of the same submission_id won the race: theirs is the case.
        winner = find_case(package.submission_id, uow)
        if winner is None:
            raise
        return IntakeResult(
            package.submission_id, winner.id, CaseStatus(winner.status), False, winner.business_type
        )
    log.info("case %s created for %s", case.id, mask_name(package.applicant.name))
    return IntakeResult(package.submission_id, case.id, CaseStatus.SUBMITTED, True, case.business_type)


def _ignored_note(ignored: list[str]) -> str:
    # The names (never the values) of keys the reader skipped stay on the case's first audit row,
    # so staff can see what the portal sent beyond the contract.
    return f"；已忽略未识别字段 ignored unknown fields: {', '.join(ignored)}" if ignored else ""


def submit_folder(folder: Path, uow: UnitOfWork, *, store: DocumentStore | None = None) -> IntakeResult:
    """Accept the package in `folder` (application.json + files)."""
    settings = get_settings()
    application, files = read_package_folder(
        folder, max_file_bytes=settings.max_file_bytes, max_package_bytes=settings.max_package_bytes
    )
    return submit_package(application, files, uow, store=store)


def _new_case(package: ApplicationPackage) -> Case:
    delivery = package.delivery
    return Case(
        id=new_case_id(),
        submission_id=package.submission_id,
        business_type=package.business_type.value,
        basis=package.basis.value if package.basis else None,
        status=CaseStatus.SUBMITTED.value,
        applicant_name=package.applicant.name,
        applicant_id_number=package.applicant.id_number,
        applicant_phone=package.applicant.phone,  # normalised by the package model
        residence_address=package.residence_address,
        delivery_method=delivery.method.value,
        delivery_address=delivery.address,
        delivery_recipient=delivery.recipient,
        delivery_phone=delivery.phone,
        application=package.model_dump(mode="json"),
    )
