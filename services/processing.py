"""What each step of the case flow writes to the case DB, one transaction per step.

The flow (flows/process_case.py) decides the order; these functions make each step safe to run
again: a step that already happened is recognised from the case DB and skipped, so a retried task,
a re-run after a suspend, a replay or a second flow run of the same case never records twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from config.notices import load_notice_templates
from config.settings import today
from models.masking import mask_name
from models.package import BusinessType
from models.status import CaseStatus
from models.tables import Case, CheckResult, Notification
from services.assessment import Assessment
from services.faults import fault_point
from storage.db import UnitOfWork

SYSTEM = "system"


@dataclass(frozen=True)
class CaseState:
    """Where a case stands, as the flow needs it to choose the next step."""

    case_id: str
    status: CaseStatus
    outcome: str | None
    business_type: str
    station_id: str | None
    bureau: str | None
    flow_run_id: str | None
    check_round: int  # rounds of automated checks recorded so far
    review_attempts: int  # review submissions recorded (accepted or refused)
    correction_rounds: int  # times the case was sent back for correction
    card_version: int = 1  # the card being produced (bumped for a replacement card)

    @property
    def needs_assessment(self) -> bool:
        return self.outcome is None and self.status in (CaseStatus.SUBMITTED, CaseStatus.UNDER_REVIEW)

    @property
    def awaits_review(self) -> bool:
        return self.status is CaseStatus.UNDER_REVIEW and self.outcome == "needs_review"


def read_case_state(case_id: str, uow: UnitOfWork) -> CaseState:
    with uow:
        return _state(uow, case_id)


def _state(uow: UnitOfWork, case_id: str) -> CaseState:
    case = uow.cases.get(case_id)
    return CaseState(
        case_id=case.id,
        status=CaseStatus(case.status),
        outcome=case.outcome,
        business_type=case.business_type,
        station_id=case.station_id,
        bureau=case.bureau,
        flow_run_id=case.flow_run_id,
        card_version=case.card_version,
        check_round=uow.checks.latest_round(case_id),
        review_attempts=uow.reviews.count(case_id),
        correction_rounds=uow.cases.times_moved_to(case_id, CaseStatus.NEEDS_CORRECTION),
    )


def attach_flow_run(case_id: str, flow_run_id: str, uow: UnitOfWork) -> None:
    """Remember the case's flow run (the first one; a replay keeps pointing at the newest)."""
    with uow:
        case = uow.cases.get(case_id)
        case.flow_run_id = flow_run_id
        uow.add(case)
        uow.commit()


def record_assessment(
    case_id: str, assessment: Assessment, uow: UnitOfWork, *, on: date | None = None
) -> CaseState:
    """Store one round of checks, the station and the automated outcome, and move the case on.

    Claimed with a conditional UPDATE (outcome IS NULL): of two runs racing on one case exactly one
    records; the other finds the outcome set and returns the stored state.
    """
    day = on or today()
    decision = assessment.decision
    with uow:
        if not uow.cases.claim_outcome(case_id, decision.outcome):
            uow.rollback()
            return _state(uow, case_id)
        case = uow.cases.get(case_id)
        round_ = uow.checks.latest_round(case_id) + 1
        for outcome in assessment.outcomes:
            uow.add(
                CheckResult(
                    case_id=case_id,
                    check=outcome.check,
                    passed=outcome.passed,
                    reason_code=outcome.reason.value if outcome.reason else None,
                    evidence=outcome.as_dict(),
                    round=round_,
                )
            )
        routing = assessment.routing
        case.station_id = routing.station_id
        case.bureau = routing.bureau
        if case.accepted_on is None:
            case.accepted_on = day
        reasons = ", ".join(r.value for r in decision.reasons) or "无 none"
        zh_items, en_items = decision.notice()
        moves: list[tuple[CaseStatus, str]] = []
        current = CaseStatus(case.status)
        if current is CaseStatus.SUBMITTED:
            moves.append(
                (CaseStatus.UNDER_REVIEW, f"受理，自动核验第{round_}轮 accepted; checks round {round_}")
            )
        if decision.outcome == "auto_approved":
            moves.append((CaseStatus.IN_PRODUCTION, "自动核验通过 all checks passed; approved by policy"))
        elif decision.outcome == "needs_correction":
            moves.append((CaseStatus.NEEDS_CORRECTION, f"需补正 corrections needed: {reasons}"))
            case.clock_paused_on = day
        elif decision.outcome == "rejected":
            moves.append((CaseStatus.REJECTED, f"不予办理 rejected: {reasons}"))
        for target, reason in moves:
            uow.add(case.advance(target, actor=SYSTEM, reason=reason))
        uow.add(case)
        final = CaseStatus(case.status)
        if final is not current:
            uow.add(applicant_notice(case, final, str(round_), zh_items, en_items))
        fault_point("record_outcome:before_record")
        uow.commit()
        return _state(uow, case_id)


def applicant_notice(
    case: Case, status: CaseStatus, occasion: str, zh_items: list[str], en_items: list[str], **extra: str
) -> Notification:
    """The applicant's SMS for a status change, keyed so it is written once per status and round.

    `extra` fills the placeholders only some templates have (waybill number, pickup code)."""
    from config.city import load_city

    template = load_notice_templates().get(status)
    station = load_city().station(case.station_id).name if case.station_id else "受理派出所"
    body = (template or "{case_id}: {business}").format(
        name=mask_name(case.applicant_name),
        case_id=case.id,
        business=BusinessType(case.business_type).label_zh,
        items_zh="；".join(zh_items) + ("。" if zh_items else ""),
        items_en=" ".join(en_items),
        station=station,
        **extra,
    )
    return Notification(
        key=f"notify:{case.id}:{status.value}:{occasion}",
        case_id=case.id,
        recipient=case.applicant_phone,
        body=body,
    )
