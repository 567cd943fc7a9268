"""Read-side queries for the CLI and the API: cases and their timelines, masked, as typed views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from models.residence_years import ResidencePeriod
from models.status import CaseStatus
from models.tables import CasePublic, Document, StatusTransition
from storage.db import UnitOfWork

CHINA_TIME = ZoneInfo("Asia/Shanghai")


class View(BaseModel):
    """A read-only, typed view for the CLI and the API: its JSON form is what `--json` prints."""

    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)


class ApplicantView(View):
    """The applicant, masked (王** / 5113**********4418 / 138****5678)."""

    name: str
    id_number: str
    phone: str


class DocumentView(View):
    """A current document of the case: kind, sniffed type, size and a short content hash."""

    kind: str
    type: str
    size: int
    sha256: str


class TimelineEntry(View):
    """One status change of the audit trail, at China Standard Time."""

    at: str
    actor: str
    from_status: str | None = Field(alias="from")
    to: str
    to_zh: str
    reason: str


class ReplayEntry(View):
    """One admin replay of the case."""

    at: str
    actor: str
    reason: str
    flow_run_id: str | None


class CaseDetail(View):
    """One case as `rongju status` shows it: masked personal data, documents, timeline.

    The last three fields come from outside the case query (Prefect's UI address, the card service,
    the replay audit); the command fills them with `model_copy(update=...)`."""

    case_id: str
    submission_id: str
    status: str
    status_zh: str
    business_type: str
    basis: str | None
    applicant: ApplicantView
    residence_address: str
    station_id: str | None
    bureau: str | None
    flow_run_id: str | None
    outcome: str | None
    # Continuous residence accumulated (registrations + endorsements), when shared data is loaded.
    residence: dict[str, Any] | None
    documents: list[DocumentView]
    timeline: list[TimelineEntry]
    prefect_ui_url: str | None = None
    card: dict[str, Any] | None = None
    replays: list[ReplayEntry] = Field(default_factory=list)


class CaseSummary(View):
    """A line of `rongju cases`; the masked name is for the table only, never in the JSON line."""

    case_id: str
    submission_id: str
    status: str
    status_zh: str
    business_type: str
    station_id: str | None
    applicant_name: str = Field(exclude=True)


class CaseOutcome(View):
    """What automated processing decided, once the case has left it."""

    case_id: str
    submission_id: str
    status: str
    status_zh: str
    outcome: str | None
    reasons: list[str]
    station_id: str | None
    bureau: str | None
    flow_run_id: str | None


class FieldReading(View):
    """One field read from a file: its value (masked) and the confidence it was read with."""

    value: str | None
    confidence: float


class FileReading(View):
    """One file read as the flow reads it (`rongju extract`): fields, quality metrics, problems."""

    kind: str
    fields: dict[str, FieldReading]
    metrics: dict[str, Any]
    problems: list[dict[str, Any]]


@dataclass(frozen=True)
class CaseView:
    """A case as read from the case DB, with the residence period when asked for; `detail()` is its
    typed, masked view."""

    case: CasePublic
    timeline: list[StatusTransition]
    documents: list[Document]
    residence: ResidencePeriod | None = None

    def detail(self) -> CaseDetail:
        status = CaseStatus(self.case.status)
        return CaseDetail(
            case_id=self.case.id,
            submission_id=self.case.submission_id,
            status=status.value,
            status_zh=status.label_zh,
            business_type=self.case.business_type,
            basis=self.case.basis,
            applicant=ApplicantView(
                name=self.case.applicant_name,
                id_number=self.case.applicant_id_number,
                phone=self.case.applicant_phone,
            ),
            residence_address=self.case.residence_address,
            station_id=self.case.station_id,
            bureau=self.case.bureau,
            flow_run_id=self.case.flow_run_id,
            outcome=self.case.outcome,
            residence=self.residence.as_dict() if self.residence else None,
            documents=[
                DocumentView(kind=d.kind, type=d.sniffed_type, size=d.size_bytes, sha256=d.content_hash[:12])
                for d in self.documents
                if not d.superseded
            ],
            timeline=[
                TimelineEntry(
                    at=local_time(t.at),
                    actor=t.actor,
                    from_status=t.from_status,
                    to=t.to_status,
                    to_zh=CaseStatus(t.to_status).label_zh,
                    reason=t.reason,
                )
                for t in self.timeline
            ],
        )


def local_time(moment: object) -> str:
    """ISO time in China Standard Time, to the second."""
    from datetime import datetime

    assert isinstance(moment, datetime)
    return moment.astimezone(CHINA_TIME).isoformat(timespec="seconds")


def get_case_view(
    case_or_submission_id: str, uow: UnitOfWork, *, with_residence: bool = False
) -> CaseView | None:
    """Look a case up by its case id or by the portal's submission id."""
    with uow:
        case = uow.cases.by_id_or_submission(case_or_submission_id)
        if case is None:
            return None
        timeline = uow.cases.timeline(case.id)
        documents = uow.documents.all_of(case.id)
        id_number = case.applicant_id_number
        public = CasePublic.of(case)
    residence = None
    if with_residence:
        from services.assessment import residence_of

        residence = residence_of(id_number)
    return CaseView(public, timeline, documents, residence)


def list_cases(uow: UnitOfWork, status: CaseStatus | None = None) -> list[CaseSummary]:
    """Cases, oldest first, optionally only those in `status`."""
    with uow:
        return [_summary(CasePublic.of(case)) for case in uow.cases.listed(status)]


def _summary(case: CasePublic) -> CaseSummary:
    status = CaseStatus(case.status)
    return CaseSummary(
        case_id=case.id,
        submission_id=case.submission_id,
        status=status.value,
        status_zh=status.label_zh,
        business_type=case.business_type,
        station_id=case.station_id,
        applicant_name=case.applicant_name,
    )


def case_outcome(case_id: str, uow: UnitOfWork) -> CaseOutcome | None:
    """The automated outcome of a case once it has left automated processing, else None.

    Left = waiting for a reviewer, waiting for the applicant's correction, rejected, or beyond.
    """
    with uow:
        case = uow.cases.get(case_id)
        status = CaseStatus(case.status)
        if status is CaseStatus.SUBMITTED or (status is CaseStatus.UNDER_REVIEW and case.outcome is None):
            return None
        reasons = [result.reason_code for result in uow.checks.latest(case_id)]
        return CaseOutcome(
            case_id=case.id,
            submission_id=case.submission_id,
            status=status.value,
            status_zh=status.label_zh,
            outcome=case.outcome,
            reasons=list(dict.fromkeys(r for r in reasons if r)),
            station_id=case.station_id,
            bureau=case.bureau,
            flow_run_id=case.flow_run_id,
        )
