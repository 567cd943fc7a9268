"""The result of one automated check: pass or fail, its reason code, and what a reviewer needs to see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from models.reasons import ReasonCatalogue, ReasonCode

JsonValue = str | int | float | bool | None | list[Any] | dict[str, Any]


@dataclass(frozen=True)
class CheckOutcome:
    """One check's verdict.

    `evaluated` is False when an input the check needs is absent (no document facts yet, no
    employer to look up): such an outcome never carries a reason and never counts as a pass that
    a reviewer could rely on. Evidence holds JSON-able values only, personal data masked, so the
    outcome may be shown in the Prefect UI and stored as a check_result row as is.
    """

    check: str
    passed: bool
    reason: ReasonCode | None
    evidence: Mapping[str, JsonValue] = field(default_factory=dict)
    zh: str = ""
    en: str = ""
    evaluated: bool = True
    # The specific item a failing check names (which documents, which month): appended to the text.
    detail_zh: str = ""
    detail_en: str = ""

    def __post_init__(self) -> None:
        if self.passed and self.reason is not None:
            raise ValueError(f"{self.check}: a passing check carries no reason")
        if not self.passed and self.reason is None:
            raise ValueError(f"{self.check}: a failing check needs a reason code")
        if not self.evaluated and not self.passed:
            raise ValueError(f"{self.check}: a check that was not evaluated cannot fail")

    @property
    def failed(self) -> bool:
        return not self.passed

    def worded(self, catalogue: ReasonCatalogue) -> CheckOutcome:
        """The outcome with its reason's text from the catalogue, the detail appended; an outcome
        without a reason, or already worded, is returned as it is."""
        if self.reason is None or self.zh:
            return self
        text = catalogue[self.reason]
        zh = f"{text.zh}（{self.detail_zh}）" if self.detail_zh else text.zh
        en = f"{text.en} ({self.detail_en})" if self.detail_en else text.en
        return replace(self, zh=zh, en=en)

    def as_dict(self) -> dict[str, JsonValue]:
        """The outcome as a JSON object (for check_result rows, artifacts and --json output)."""
        return {
            "check": self.check,
            "passed": self.passed,
            "evaluated": self.evaluated,
            "reason": self.reason.value if self.reason else None,
            "evidence": dict(self.evidence),
            "zh": self.zh,
            "en": self.en,
        }


def passed(check: str, zh: str, en: str, **evidence: Any) -> CheckOutcome:
    """A passing outcome with a short explanation of what was found."""
    return CheckOutcome(check=check, passed=True, reason=None, evidence=evidence, zh=zh, en=en)


def failed(check: str, reason: ReasonCode, **evidence: Any) -> CheckOutcome:
    """A failing outcome; `worded(catalogue)` gives it the reason's text (config/reasons.yaml).

    Two keywords are not evidence: `detail_zh` / `detail_en` name the specific item (which documents
    are missing, when a period is reached) and are appended to the catalogue text, so the applicant is
    told everything at once; they must carry no personal data.
    """
    detail_zh = str(evidence.pop("detail_zh", "") or "")
    detail_en = str(evidence.pop("detail_en", "") or "")
    return CheckOutcome(
        check=check, passed=False, reason=reason, evidence=evidence, detail_zh=detail_zh, detail_en=detail_en
    )


def for_reviewer(check: str, missing: str, zh: str, en: str, **evidence: Any) -> CheckOutcome:
    """The check could not decide: a reviewer does, reading `zh`/`en`. `missing` names what the
    machine lacked (an input, a value it recognises, a reading it trusts). Never a reason code: the
    machine's uncertainty is never the applicant's burden, and never approved unattended."""
    return CheckOutcome(
        check=check,
        passed=True,
        reason=None,
        evidence={"missing": missing, **evidence},
        zh=zh,
        en=en,
        evaluated=False,
    )


def not_evaluated(check: str, missing: str, **evidence: Any) -> CheckOutcome:
    """The check could not run: `missing` names the absent input (e.g. "document_facts")."""
    return for_reviewer(
        check,
        missing,
        f"缺少核验所需信息（{missing}），本项未核验。",
        f"Not evaluated: {missing} not available.",
        **evidence,
    )


def unrecognised(check: str, column: str, values: list[str], **evidence: Any) -> CheckOutcome:
    """The check could not decide because the shared data holds a value the rules do not know (a new
    status word, a code of another form): a reviewer decides, with the value shown. Feed codes and
    status words are registry vocabulary, not personal data."""
    shown = "、".join(values)
    return for_reviewer(
        check,
        f"{column} recognised",
        f"共享数据的{column}取值「{shown}」不在已知词表中，本项交由人工核实。",
        f"The shared data's {column} holds {shown!r}, which the rules do not know; a reviewer decides.",
        unrecognised={column: values},
        **evidence,
    )
