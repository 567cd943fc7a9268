"""The automated decision of a case: its checks' reasons, weighed by the policy (config/city/policy.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.checks.result import CheckOutcome
from models.policy import Outcome, Policy, ReasonOutcome
from models.reasons import ReasonCode


@dataclass(frozen=True)
class DecisionLine:
    """One defect or finding as the applicant (zh) and staff (en) read it."""

    reason: ReasonCode
    outcome: ReasonOutcome  # what this reason alone leads to under the policy
    check: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "reason": self.reason.value,
            "outcome": self.outcome,
            "check": self.check,
            "zh": self.zh,
            "en": self.en,
        }


@dataclass(frozen=True)
class Decision:
    """The automated outcome with every reason and the lines to tell the applicant.

    `lines` holds one line per failing check, in check order. `corrections` are the lines the
    applicant can fix (needs_correction), all of them at once (一次性告知): a needs_correction
    notice lists every one, never the first only. `unevaluated` names the checks that could not run.
    """

    outcome: Outcome
    reasons: tuple[ReasonCode, ...]
    lines: tuple[DecisionLine, ...]
    unevaluated: tuple[str, ...] = ()

    @property
    def corrections(self) -> tuple[DecisionLine, ...]:
        return tuple(line for line in self.lines if line.outcome == "needs_correction")

    @property
    def rejections(self) -> tuple[DecisionLine, ...]:
        return tuple(line for line in self.lines if line.outcome == "rejected")

    def notice(self) -> tuple[list[str], list[str]]:
        """(zh lines, en lines) for the applicant's notice: what to fix for a correction, why for a
        rejection, what a reviewer will look at otherwise."""
        if self.outcome == "needs_correction":
            chosen = self.corrections
        elif self.outcome == "rejected":
            chosen = self.rejections
        else:
            chosen = self.lines
        zh = [f"{i}. {line.zh}" for i, line in enumerate(chosen, 1)]
        en = [f"{i}. {line.en}" for i, line in enumerate(chosen, 1)]
        return zh, en

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "reasons": [r.value for r in self.reasons],
            "lines": [line.as_dict() for line in self.lines],
            "unevaluated": list(self.unevaluated),
        }


def decide(
    outcomes: Sequence[CheckOutcome], policy: Policy, *, require_all_evaluated: bool = True
) -> Decision:
    """The case's automated outcome: the first outcome in the policy's precedence that any failing
    check's reason leads to; no reason at all is auto_approved (when the policy allows it).

    With `require_all_evaluated` (the default) a case whose reasons would auto-approve it but where a
    check could not run (no document facts, no employer to look up) goes to needs_review instead:
    the machine approves only what it has actually checked. A reason-bearing outcome is never
    weakened by this rule.
    """
    lines = tuple(
        DecisionLine(
            reason=o.reason,
            outcome=policy.outcome_of(o.reason),
            check=o.check,
            zh=o.zh,
            en=o.en,
        )
        for o in outcomes
        if not o.passed and o.reason is not None
    )
    reasons = tuple(dict.fromkeys(line.reason for line in lines))
    unevaluated = tuple(o.check for o in outcomes if not o.evaluated)
    outcome = policy.outcome_for(reasons)
    if outcome == "auto_approved" and require_all_evaluated and unevaluated:
        outcome = "needs_review"
    return Decision(outcome=outcome, reasons=reasons, lines=lines, unevaluated=unevaluated)
