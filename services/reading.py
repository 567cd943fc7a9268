"""What a document reader does for one case (tasks/reader.py): read every current document, check
the case against the shared data and the policy, and record the outcome with the station and the
applicant's notice. Heavy by nature (OCR, OpenCV, the shared-data index): imported only where the
models stay loaded, never by the flow's process."""

from __future__ import annotations

from dataclasses import dataclass

from services.assessment import assess_case
from services.documents import read_case_documents
from services.processing import record_assessment
from storage.db import UnitOfWork


@dataclass(frozen=True)
class ReadAndChecked:
    """What one reading and checking gave, for the reader's log: counts and codes, nothing personal."""

    files: int
    problems: int
    outcome: str
    reasons: list[str]
    station_id: str | None


def read_and_check_case(case_id: str, uow: UnitOfWork) -> ReadAndChecked:
    """Read, check and record one case (the outcome is recorded once, however often this runs)."""
    documents = read_case_documents(case_id, uow)
    assessment = assess_case(case_id, uow, facts=documents.facts, document_outcomes=documents.outcomes)
    record_assessment(case_id, assessment, uow)
    return ReadAndChecked(
        files=documents.files,
        problems=len(documents.problems),
        outcome=assessment.decision.outcome,
        reasons=[reason.value for reason in assessment.decision.reasons],
        station_id=assessment.routing.station_id,
    )
