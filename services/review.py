"""The station review of a case: the form's masked summary, and what an accepted decision changes.

Authentication, validation and the audit row are services/reviewers.py (`process_review_input`);
this module builds what the reviewer sees and moves the case in the same transaction as the
accepted review, so an accepted decision and its effect are saved together or not at all.

A decision is applied once: it claims the case with a conditional UPDATE (still 审核中 and waiting
for a reviewer). Two live runs of one case — a replay beside the original, both resumed with
opposite decisions — race for that claim; the loser changes nothing and leaves a refused review row
"already decided" (the audit every refusal leaves), so the applicant gets one SMS. The claim also
names the round of checks the form was shown for: a form left open from before a correction (the
case has been checked again since) decides nothing and is recorded as out of date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from config.city import load_city, load_policy
from config.settings import today
from models.checks.result import CheckOutcome
from models.decision import decide
from models.reasons import ReasonCode
from models.review import ReviewChoice, ValidatedDecision
from models.review_summary import ReviewCase, render_review_summary
from models.sla import clock_of, pause
from models.status import CaseStatus
from models.tables import Case, CasePublic
from services.processing import CaseState, applicant_notice, read_case_state
from services.reviewers import DecisionDeclined, process_review_input
from storage.db import UnitOfWork

ALREADY_DECIDED = (
    "本案件已由另一审核结论办理，本次审核未生效",
    "The case was already decided by another review; this decision was not applied",
)


STALE_FORM = (
    "本审核表单针对的是补正前的核查结果（案件已重新核查），本次审核未生效，请在新的审核表单中决定",
    "This form was shown for an earlier round of checks (the case has been checked again since a"
    " correction); this decision was not applied: decide on the current form",
)


class AlreadyDecided(DecisionDeclined):
    """Another submission decided the case first; raised inside the review's transaction, which
    process_review_input then records as a refused review (its code spent, nothing else changed)."""

    def __init__(self, decision: ValidatedDecision) -> None:
        super().__init__(*ALREADY_DECIDED)
        self.decision = decision


class StaleForm(DecisionDeclined):
    """The form was shown for an earlier round of checks than the case's current one."""

    def __init__(self) -> None:
        super().__init__(*STALE_FORM)


def latest_outcomes(case_id: str, uow: UnitOfWork) -> list[CheckOutcome]:
    """The checks of the latest round, as stored (evidence already masked)."""
    with uow:
        rows = uow.checks.latest(case_id)
    outcomes = []
    for row in rows:
        stored: dict[str, Any] = dict(row.evidence)
        outcomes.append(
            CheckOutcome(
                check=row.check,
                passed=row.passed,
                reason=ReasonCode(row.reason_code) if row.reason_code else None,
                evidence=stored.get("evidence", {}),
                zh=str(stored.get("zh", "")),
                en=str(stored.get("en", "")),
                evaluated=bool(stored.get("evaluated", True)),
            )
        )
    return outcomes


def review_description(case_id: str, uow: UnitOfWork) -> str:
    """The markdown shown above the review form: masked case, checks, deadline, and one link to the
    case's documents on rongju's review page (sign-in required; no capability goes into Prefect)."""
    from services.document_links import review_url

    outcomes = latest_outcomes(case_id, uow)
    with uow:
        case = uow.cases.find(case_id)
        if case is None:
            raise KeyError(case_id)
        public = CasePublic.of(case)
        # The form is shown again after a refused submission: say why, above everything else.
        last = uow.reviews.latest(case_id)
    station = load_city().station(case.station_id).name if case.station_id else None
    clock = clock_of(case.status, case.accepted_on, case.paused_days, case.clock_paused_on, today())
    return render_review_summary(
        case=ReviewCase.of(public, station_name=station),
        outcomes=outcomes,
        decision=decide(outcomes, load_policy()),
        deadline=clock.due_on,
        days_left=clock.days_left,
        documents_url=review_url(case_id),
        previous_error=last.refusal if last is not None and not last.accepted else None,
    )


def _target(case: Case, choice: ReviewChoice) -> CaseStatus:
    if choice is ReviewChoice.REJECT:
        return CaseStatus.REJECTED
    if choice is ReviewChoice.REQUEST_CORRECTION:
        return CaseStatus.NEEDS_CORRECTION
    # 签注 (endorsement) issues no new card: an approved endorsement is done.
    return CaseStatus.DONE if case.business_type == "endorse" else CaseStatus.IN_PRODUCTION


def _apply(uow: UnitOfWork, case: Case, decision: ValidatedDecision, shown_round: int | None) -> None:
    """Inside the review's transaction: move the case as the reviewer decided, queue the SMS.

    Raises AlreadyDecided (the transaction rolls back) when the case no longer waits for a reviewer,
    StaleForm when it waits again but has been checked again since the form was shown.
    """
    target = _target(case, decision.choice)
    # The claim: of two decisions on one case waiting for its reviewer, exactly one matches; the
    # other's case row is the one the first committed (PostgreSQL re-reads it after the row lock).
    if not uow.cases.claim_for_decision(case.id, shown_round):
        still_waiting = uow.cases.waits_for_review(case.id)
        raise StaleForm() if still_waiting and shown_round is not None else AlreadyDecided(decision)
    reasons = ", ".join(r.value for r in decision.reason_codes) or "—"
    uow.add(
        case.advance(
            target,
            actor=decision.reviewer_id,
            reason=f"审核：{decision.choice.label_zh} review: {decision.choice.value} ({reasons})",
        )
    )
    if target is CaseStatus.NEEDS_CORRECTION:
        case.clock_paused_on, case.paused_days = pause(case.clock_paused_on, case.paused_days, today())
    catalogue_items = _items(decision)
    round_ = uow.reviews.count(case.id) + 1
    uow.add(case, applicant_notice(case, target, f"review{round_}", *catalogue_items))


def _items(decision: ValidatedDecision) -> tuple[list[str], list[str]]:
    from config.city import load_reason_catalogue

    catalogue = load_reason_catalogue()
    zh = [f"{i}. {catalogue[code].zh}" for i, code in enumerate(decision.reason_codes, 1)]
    en = [f"{i}. {catalogue[code].en}" for i, code in enumerate(decision.reason_codes, 1)]
    return zh, en


def apply_review_answer(
    case_id: str,
    raw: Mapping[str, Any],
    uow: UnitOfWork,
    *,
    key: str,
    at: datetime | None = None,
    shown_round: int | None = None,
) -> CaseState:
    """Authenticate and validate a submitted form; if accepted, move the case — exactly once per key,
    and once per case: a decision that lost the case to another, or was made on a form shown for an
    earlier round of checks (`shown_round`), is recorded as refused."""

    def apply(uow: UnitOfWork, case: Case, decision: ValidatedDecision) -> None:
        _apply(uow, case, decision, shown_round)

    process_review_input(uow, case_id=case_id, raw=raw, key=key, at=at, on_accept=apply)
    return read_case_state(case_id, uow)
