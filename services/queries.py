"""Read-side queries for the CLI and the API: cases and their timelines, masked for display."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_
from sqlmodel import col, select

from models.residence_years import ResidencePeriod
from models.status import CaseStatus
from models.tables import Case, CasePublic, Document, StatusTransition
from storage.db import unit_of_work

CHINA_TIME = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class CaseView:
    """A case as shown to staff and scripts: masked personal data, timeline, documents."""

    case: CasePublic
    timeline: list[StatusTransition]
    documents: list[Document]
    # Continuous residence accumulated (registrations + endorsements), when shared data is loaded.
    residence: ResidencePeriod | None = None

    def as_dict(self) -> dict[str, object]:
        status = CaseStatus(self.case.status)
        return {
            "case_id": self.case.id,
            "submission_id": self.case.submission_id,
            "status": status.value,
            "status_zh": status.label_zh,
            "business_type": self.case.business_type,
            "basis": self.case.basis,
            "applicant": {
                "name": self.case.applicant_name,
                "id_number": self.case.applicant_id_number,
                "phone": self.case.applicant_phone,
            },
            "residence_address": self.case.residence_address,
            "station_id": self.case.station_id,
            "bureau": self.case.bureau,
            "flow_run_id": self.case.flow_run_id,
            "outcome": self.case.outcome,
            "residence": self.residence.as_dict() if self.residence else None,
            "documents": [
                {"kind": d.kind, "type": d.sniffed_type, "size": d.size_bytes, "sha256": d.content_hash[:12]}
                for d in self.documents
                if not d.superseded
            ],
            "timeline": [
                {
                    "at": local_time(t.at),
                    "actor": t.actor,
                    "from": t.from_status,
                    "to": t.to_status,
                    "to_zh": CaseStatus(t.to_status).label_zh,
                    "reason": t.reason,
                }
                for t in self.timeline
            ],
        }


def local_time(moment: object) -> str:
    """ISO time in China Standard Time, to the second."""
    from datetime import datetime

    assert isinstance(moment, datetime)
    return moment.astimezone(CHINA_TIME).isoformat(timespec="seconds")


def get_case_view(
    case_or_submission_id: str, engine: Engine | None = None, *, with_residence: bool = False
) -> CaseView | None:
    """Look a case up by its case id or by the portal's submission id."""
    with unit_of_work(engine) as uow:
        case = uow.session.exec(
            select(Case).where(
                or_(col(Case.id) == case_or_submission_id, col(Case.submission_id) == case_or_submission_id)
            )
        ).first()
        if case is None:
            return None
        timeline = list(
            uow.session.exec(
                select(StatusTransition)
                .where(StatusTransition.case_id == case.id)
                .order_by(col(StatusTransition.at), col(StatusTransition.id))
            )
        )
        documents = list(
            uow.session.exec(select(Document).where(Document.case_id == case.id).order_by(col(Document.id)))
        )
        id_number = case.applicant_id_number
        public = CasePublic.of(case)
    residence = None
    if with_residence:
        from services.assessment import residence_of

        residence = residence_of(id_number)
    return CaseView(public, timeline, documents, residence)


def list_cases(status: CaseStatus | None = None, engine: Engine | None = None) -> list[CasePublic]:
    """Cases, oldest first, optionally only those in `status`."""
    with unit_of_work(engine) as uow:
        query = select(Case).order_by(col(Case.submitted_at), col(Case.id))
        if status is not None:
            query = query.where(Case.status == status.value)
        return [CasePublic.of(case) for case in uow.session.exec(query)]


def case_outcome(case_id: str, engine: Engine | None = None) -> dict[str, object] | None:
    """The automated outcome of a case once it has left automated processing, else None.

    Left = waiting for a reviewer, waiting for the applicant's correction, rejected, or beyond.
    """
    from sqlalchemy import func

    from models.tables import CheckResult

    with unit_of_work(engine) as uow:
        case = uow.session.get(Case, case_id)
        if case is None:
            raise LookupError(case_id)
        status = CaseStatus(case.status)
        if status is CaseStatus.SUBMITTED or (status is CaseStatus.UNDER_REVIEW and case.outcome is None):
            return None
        latest = uow.session.exec(
            select(func.max(CheckResult.round)).where(CheckResult.case_id == case_id)
        ).one()
        reasons = uow.session.exec(
            select(CheckResult.reason_code)
            .where(CheckResult.case_id == case_id, CheckResult.round == latest)
            .where(col(CheckResult.reason_code).is_not(None))
            .order_by(col(CheckResult.id))
        ).all()
        return {
            "case_id": case.id,
            "submission_id": case.submission_id,
            "status": status.value,
            "status_zh": status.label_zh,
            "outcome": case.outcome,
            "reasons": list(dict.fromkeys(r for r in reasons if r)),
            "station_id": case.station_id,
            "bureau": case.bureau,
            "flow_run_id": case.flow_run_id,
        }
