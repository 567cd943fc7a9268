"""Pre-submission check (预检): before an applicant applies, what in the shared data stops them now,
when it will stop doing so, and what the form can be prefilled with (masked).

Blocking conditions are the reasons the policy rejects on (config/city/policy.yaml): submitting now
could only be refused. Reasons a reviewer would look at are warnings; the applicant may still apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models.checks import data_checks
from models.checks.data import ApplicantData
from models.checks.identity import check_id_number_valid
from models.checks.periods import months_back, shift_month
from models.checks.requirements import Requirements
from models.checks.residence import active_registrations
from models.checks.result import CheckOutcome
from models.checks.study import current_enrollments
from models.feed_vocabulary import FeedVocabulary
from models.masking import mask_address, mask_id_number, mask_name
from models.package import Basis, BusinessType
from models.policy import Policy
from models.reasons import ReasonCatalogue, ReasonCode
from models.records import InsuranceMonth
from models.residence_years import residence_period


@dataclass(frozen=True)
class Condition:
    """One unmet condition: its reason, texts, and the date it will be met if computable."""

    reason: ReasonCode
    check: str
    zh: str
    en: str
    met_on: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason.value,
            "check": self.check,
            "zh": self.zh,
            "en": self.en,
            "met_on": self.met_on.isoformat() if self.met_on else None,
        }


@dataclass(frozen=True)
class PrecheckResult:
    id_number: str  # masked
    business_type: BusinessType
    basis: Basis | None
    today: date
    blockers: tuple[Condition, ...]
    warnings: tuple[Condition, ...]
    prefill: dict[str, Any] = field(default_factory=dict)
    checks: tuple[CheckOutcome, ...] = ()

    @property
    def can_submit(self) -> bool:
        return not self.blockers

    @property
    def ready_on(self) -> date | None:
        """The day every blocker will be met, when each has a computable date."""
        if not self.blockers:
            return self.today
        dates = [b.met_on for b in self.blockers]
        return max(d for d in dates if d is not None) if all(dates) else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id_number": self.id_number,
            "business_type": self.business_type.value,
            "basis": self.basis.value if self.basis else None,
            "today": self.today.isoformat(),
            "can_submit": self.can_submit,
            "ready_on": self.ready_on.isoformat() if self.ready_on else None,
            "blockers": [b.as_dict() for b in self.blockers],
            "warnings": [w.as_dict() for w in self.warnings],
            "prefill": self.prefill,
        }


def insurance_met_on(months: list[InsuranceMonth], today: date, required: int = 6) -> date | None:
    """When `required` continuous paid months ending last month will be reached, if the current run
    of paid months (ending last month) goes on: the first day of the month after the last month still
    to be paid. None when last month is unpaid (the run is broken; a new one has not begun yet)."""
    paid = {m.month for m in months if m.paid}
    window = months_back(today, required)
    run = 0
    for key in reversed(window):
        if key not in paid:
            break
        run += 1
    if run == 0:
        return None
    if run >= required:
        return today
    # Months still to pay: this month and the following (required - run - 1); each counts once
    # the month after it begins.
    year, month = shift_month(today.year, today.month, required - run)
    return date(year, month, 1)


def _met_on(outcome: CheckOutcome, data: ApplicantData, today: date, policy: Policy) -> date | None:
    if outcome.reason is ReasonCode.RESIDENCE_UNDER_6_MONTHS:
        return date.fromisoformat(str(outcome.evidence["reached_on"]))
    if outcome.reason is ReasonCode.SOCIAL_INSURANCE_GAP or outcome.reason is ReasonCode.NO_SOCIAL_INSURANCE:
        return insurance_met_on(list(data.insurance), today, policy.min_social_insurance_months)
    if outcome.reason is ReasonCode.ENDORSEMENT_WINDOW and outcome.evidence.get("timing") == "early":
        return date.fromisoformat(str(outcome.evidence["window_opens_on"]))
    return None


def _prefill(data: ApplicantData, today: date, feed: FeedVocabulary) -> dict[str, Any]:
    active = active_registrations(data.registrations, today)
    current_leases = [x for x in data.leases if x.start_on <= today <= x.end_on]
    paid = sorted((m for m in data.insurance if m.paid), key=lambda m: m.month)
    employer = data.businesses.get(paid[-1].employer_uscc.strip().upper()) if paid else None
    return {
        "name": mask_name(active[0].name) if active else None,
        "registered_address": mask_address(active[0].address) if active else None,
        "district_code": active[0].district_code if active else None,
        "employer_name": employer.name if employer else None,
        "employer_uscc": employer.uscc if employer else None,
        "lease_address": mask_address(current_leases[0].address) if current_leases else None,
        "school": next((e.school for e in current_enrollments(data.enrollments, feed)), None),
    }


def precheck(
    id_number: str,
    business_type: BusinessType,
    basis: Basis | None,
    data: ApplicantData,
    today: date,
    *,
    policy: Policy,
    requirements: Requirements,
    reasons: ReasonCatalogue,
) -> PrecheckResult:
    """The conditions that block (or would draw a review on) an application made today; the caller
    loads the policy, the requirements and the reason texts."""
    outcomes = [check_id_number_valid(id_number, None, today)]
    outcomes += data_checks(
        business_type,
        basis,
        data,
        today,
        declared_address=None,
        requirements=requirements,
        policy=policy,
    )
    outcomes = [outcome.worded(reasons) for outcome in outcomes]
    blockers: list[Condition] = []
    warnings: list[Condition] = []
    for outcome in outcomes:
        if outcome.passed or outcome.reason is None:
            continue
        condition = Condition(
            reason=outcome.reason,
            check=outcome.check,
            zh=outcome.zh,
            en=outcome.en,
            met_on=_met_on(outcome, data, today, policy),
        )
        hard = (
            policy.outcome_of(outcome.reason) == "rejected" or outcome.reason is ReasonCode.ID_NUMBER_INVALID
        )
        (blockers if hard else warnings).append(condition)
    prefill = _prefill(data, today, requirements.feed)
    period = residence_period(
        data.registrations, data.permits, today, window_days=policy.endorsement_window_days
    )
    prefill["residence"] = period.as_dict()
    return PrecheckResult(
        id_number=mask_id_number(id_number),
        business_type=business_type,
        basis=basis,
        today=today,
        blockers=tuple(blockers),
        warnings=tuple(warnings),
        prefill=prefill,
        checks=tuple(outcomes),
    )
