"""补正: the applicant uploads corrected documents; the case goes back to review and is checked again.

The files are distrusted exactly as at intake (type from the bytes, size caps). In one transaction the
earlier file of each corrected kind is marked superseded (kept, never deleted), the new documents
are added, the clock runs again, and the case moves 待补正 → 审核中 with its outcome cleared so the flow
re-checks it. Then the case's flow is woken: its suspended run resumed, or a new run started when none
waits any more (a run woken by hand without a correction ends rather than wait again).
"""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import get_settings, today
from documents.filetype import sniff_type
from models.package import DocumentKind, PackageRefused, problem
from models.sla import resume
from models.status import CaseStatus
from models.tables import Document
from services.dispatch import wake_case_flow
from services.intake import file_problem
from services.processing import CaseState, read_case_state
from storage.db import UnitOfWork
from storage.documents import content_hash, get_document_store


@dataclass(frozen=True)
class CorrectedFile:
    kind: DocumentKind
    name: str
    data: bytes


def submit_correction(
    case_id: str, files: list[CorrectedFile], uow: UnitOfWork, *, resume_flow: bool = True
) -> CaseState:
    """Store corrected documents for a case waiting for correction, and let its flow run continue."""
    settings = get_settings()
    problems = [
        found
        for item in files
        if (found := file_problem(item.name, item.data, max_bytes=settings.max_file_bytes)[1]) is not None
    ]
    if not files:
        problems.append(
            problem(
                "PACKAGE_INVALID",
                "documents",
                ("未提供补正材料", "no files given"),
                ("请上传补正通知中列出的材料", "upload the documents the correction notice lists"),
            )
        )
    if problems:
        raise PackageRefused(problems)

    store = get_document_store()
    for item in files:
        store.put(item.data)
    day = today()
    with uow:
        case = uow.cases.get(case_id)
        if CaseStatus(case.status) is not CaseStatus.NEEDS_CORRECTION:
            raise PackageRefused(
                [
                    problem(
                        "PACKAGE_INVALID",
                        "case",
                        (
                            f"案件当前状态为「{CaseStatus(case.status).label_zh}」，无需补正",
                            f"case is {case.status}; no correction is awaited",
                        ),
                        ("请查看案件进度，无需再上传材料", "follow the case's status, nothing to upload"),
                    )
                ]
            )
        kinds = {item.kind.value for item in files}
        earlier = {(d.kind, d.content_hash): d for d in uow.documents.all_of(case_id)}
        for document in earlier.values():
            if document.kind in kinds and not document.superseded:
                document.superseded = True
                uow.add(document)
        for item in files:
            same = earlier.get((item.kind.value, content_hash(item.data)))
            if same is not None:  # the very same file uploaded again: it is current once more
                same.superseded = False
                uow.add(same)
                continue
            uow.add(
                Document(
                    case_id=case_id,
                    kind=item.kind.value,
                    original_name=item.name[:120],
                    content_hash=content_hash(item.data),
                    sniffed_type=sniff_type(item.data),
                    size_bytes=len(item.data),
                )
            )
        case.clock_paused_on, case.paused_days = resume(case.clock_paused_on, case.paused_days, day)
        case.outcome = None  # the flow checks the case again
        back = case.advance(CaseStatus.UNDER_REVIEW, actor="applicant", reason="已提交补正材料 corrected")
        uow.add(case, back)
        uow.commit()
    state = read_case_state(case_id, uow)
    if resume_flow:
        # Keyed by round: waking the same round twice never starts two new runs.
        wake_case_flow(case_id, event=f"correction-{state.correction_rounds}")
    return state
