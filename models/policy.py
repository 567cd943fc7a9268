"""The decision policy as a domain type: which outcome each reason code leads to, and the statutory
numbers the rules use. config/city.py loads config/city/policy.yaml into it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.reasons import ReasonCode

Outcome = Literal["auto_approved", "needs_review", "needs_correction", "rejected"]
ReasonOutcome = Literal["needs_review", "needs_correction", "rejected"]
OUTCOMES: frozenset[str] = frozenset({"auto_approved", "needs_review", "needs_correction", "rejected"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Policy(_Frozen):
    """Which automated outcome each reason code leads to, and the statutory numbers rules use."""

    outcomes: dict[ReasonCode, ReasonOutcome]
    auto_approve_clean_cases: bool
    precedence: tuple[Outcome, ...]
    issue_within_days: int = Field(gt=0)
    change_report_within_days: int = Field(gt=0)
    endorsement_window_days: int = Field(gt=0)
    min_residence_months: int = Field(gt=0)
    min_social_insurance_months: int = Field(gt=0)
    guardian_applies_under_age: int = Field(gt=0)
    reissue_fee_yuan: int = Field(ge=0)
    replace_fee_yuan: int = Field(ge=0)

    @field_validator("outcomes")
    @classmethod
    def _every_code(cls, value: dict[ReasonCode, ReasonOutcome]) -> dict[ReasonCode, ReasonOutcome]:
        missing = [code.value for code in ReasonCode if code not in value]
        if missing:
            raise ValueError(f"no outcome for reason code(s): {', '.join(missing)}")
        return value

    @field_validator("precedence")
    @classmethod
    def _every_outcome_once(cls, value: tuple[Outcome, ...]) -> tuple[Outcome, ...]:
        if len(value) != len(OUTCOMES) or set(value) != OUTCOMES:
            raise ValueError(f"precedence must list each of {sorted(OUTCOMES)} exactly once")
        return value

    def outcome_of(self, code: ReasonCode | str) -> ReasonOutcome:
        """The outcome one reason code leads to on its own."""
        return self.outcomes[ReasonCode(code)]

    def outcome_for(self, codes: Iterable[ReasonCode | str]) -> Outcome:
        """The case's automated outcome: the strongest of its reasons' outcomes by precedence.

        No reasons at all means a clean case: auto_approved when the policy allows it, else needs_review.
        """
        found = {self.outcome_of(code) for code in codes}
        if not found:
            return "auto_approved" if self.auto_approve_clean_cases else "needs_review"
        return next(outcome for outcome in self.precedence if outcome in found)
