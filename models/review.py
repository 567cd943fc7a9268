"""A reviewer's decision on a case (DESIGN.md §5): the choices, the validated decision and its rules.

The Prefect server checks a submitted review form against its JSON schema only; a pydantic validator
on the form is skipped by the server and would then fail the flow run when the input is loaded. So
the form (models/review_form.py) stays a plain schema, and every rule a person can break lives here,
in `validate_decision`, which the flow runs on the submitted data and turns into "ask again, with the
error shown". This module is pure: it imports no Prefect and does no I/O (the caller passes the
policy, which says what each reason code leads to).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from models.policy import Policy
from models.reasons import ReasonCode

# Long enough for a reviewer's note to the file, short enough for a notice and an audit row.
COMMENT_MAX_CHARS = 1000
REVIEWER_ID_MAX_CHARS = 64
ONE_TIME_CODE = re.compile(r"[0-9]{6}")
# An unmasked mainland ID number (18 or 15 digits) or mobile number inside free text.
_PERSONAL_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15}|1[3-9][0-9]{9})(?![0-9])")


class ReviewChoice(StrEnum):
    """What a reviewer decides: stored by its ASCII value, shown with its Chinese label."""

    APPROVE = "approve"  # 批准
    REJECT = "reject"  # 不予办理
    REQUEST_CORRECTION = "request_correction"  # 要求补正

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def label_en(self) -> str:
        return _LABELS_EN[self]

    @property
    def form_option(self) -> str:
        """The option as the review form's select shows it (and as the form's JSON carries it)."""
        return f"{self.label_zh} {self.value}"

    @property
    def needs_reasons(self) -> bool:
        return self is not ReviewChoice.APPROVE

    @classmethod
    def parse(cls, text: str) -> ReviewChoice:
        """Accept the value (`reject`), the label (`不予办理`) or the form option (`不予办理 reject`)."""
        cleaned = " ".join(text.split())
        for choice in cls:
            if cleaned in (choice.value, choice.label_zh, choice.form_option, choice.name):
                return choice
        raise ValueError(f"unknown review choice {text!r}")


_LABELS_ZH = {
    ReviewChoice.APPROVE: "批准",
    ReviewChoice.REJECT: "不予办理",
    ReviewChoice.REQUEST_CORRECTION: "要求补正",
}
_LABELS_EN = {
    ReviewChoice.APPROVE: "approve",
    ReviewChoice.REJECT: "reject",
    ReviewChoice.REQUEST_CORRECTION: "request correction",
}


@dataclass(frozen=True)
class ValidatedDecision:
    """A review decision that passed every rule; the one-time code is not part of it."""

    choice: ReviewChoice
    reviewer_id: str
    reason_codes: tuple[ReasonCode, ...] = ()
    comment: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "choice": self.choice.value,
            "reviewer_id": self.reviewer_id,
            "reason_codes": [code.value for code in self.reason_codes],
            "comment": self.comment,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValidatedDecision:
        """The inverse of as_dict (for a decision stored as JSON)."""
        return cls(
            choice=ReviewChoice(data["choice"]),
            reviewer_id=str(data["reviewer_id"]),
            reason_codes=tuple(ReasonCode(code) for code in data.get("reason_codes", ())),
            comment=str(data.get("comment", "")),
        )


def _error(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    """The field as stripped text; None when missing, null or not text."""
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, StrEnum):
        return value.value.strip()
    return value.strip() if isinstance(value, str) else None


def _choice(raw: Mapping[str, Any], errors: list[str]) -> ReviewChoice | None:
    text = _text(raw, "decision")
    if not text:
        errors.append(_error("请选择审核决定", "Choose a decision"))
        return None
    try:
        return ReviewChoice.parse(text)
    except ValueError:
        options = "、".join(c.form_option for c in ReviewChoice)
        errors.append(_error(f"审核决定无效，请从{options}中选择", "The decision is not one of the options"))
        return None


def _reason_codes(raw: Mapping[str, Any], errors: list[str]) -> tuple[ReasonCode, ...]:
    value = raw.get("reason_codes")
    if value is None:
        return ()
    if isinstance(value, str):  # one code sent as a bare string by a script
        value = [value]
    if not isinstance(value, list | tuple):
        errors.append(_error("理由代码应为列表", "Reason codes must be a list"))
        return ()
    codes: list[ReasonCode] = []
    unknown: list[str] = []
    for item in value:
        text = item.value if isinstance(item, StrEnum) else item
        if isinstance(text, str) and text.strip() in ReasonCode.__members__:
            codes.append(ReasonCode(text.strip()))
        else:
            unknown.append(str(text)[:40])
    if unknown:
        listed = ", ".join(unknown)
        errors.append(_error(f"未知的理由代码：{listed}", f"Unknown reason code(s): {listed}"))
    return tuple(dict.fromkeys(codes))  # the order the reviewer chose, each code once


def validate_decision(raw: Mapping[str, Any], *, policy: Policy) -> ValidatedDecision | list[str]:
    """The submitted review form as a ValidatedDecision, or every broken rule (bilingual, zh / en).

    `raw` is the form's data as a mapping (`form.model_dump()` or the JSON a script sent); a missing
    field is an error here, never a crash, because the form pre-filled by `with_initial_data` lets
    the server accept a submission without it. Rules: a reviewer id is given; the decision is one of
    the choices; reason codes are known codes; reject and request_correction carry at least one;
    approve carries none whose policy outcome is a rejection (批准 with a 不予办理 reason contradicts
    itself); the comment is at most COMMENT_MAX_CHARS and holds no ID or phone number (it is stored
    in the Prefect database with the form); the one-time code is six digits (whether it is *valid* is
    for services.reviewers.authenticate_decision).
    """
    errors: list[str] = []
    reviewer_id = _text(raw, "reviewer_id")
    if not reviewer_id:
        errors.append(_error("请填写审核人编号", "Enter your reviewer id"))
    elif len(reviewer_id) > REVIEWER_ID_MAX_CHARS:
        errors.append(_error("审核人编号过长", "The reviewer id is too long"))

    code = _text(raw, "one_time_code")
    if not code:
        errors.append(_error("请填写动态验证码", "Enter your one-time code"))
    elif not ONE_TIME_CODE.fullmatch(code):
        errors.append(_error("动态验证码应为 6 位数字", "The one-time code is 6 digits"))

    choice = _choice(raw, errors)
    reasons = _reason_codes(raw, errors)
    if choice is not None and choice.needs_reasons and not reasons:
        errors.append(
            _error(
                f"选择“{choice.label_zh}”时须至少选择一项理由代码",
                f"Choose at least one reason code to {choice.label_en}",
            )
        )
    if choice is ReviewChoice.APPROVE and reasons:
        rejecting = _rejecting_reasons(reasons, policy)
        if rejecting:
            listed = ", ".join(rejecting)
            errors.append(
                _error(
                    f"批准时不能附带不予办理的理由代码（{listed}），请删除这些代码或改选“不予办理”",
                    f"An approval cannot carry rejection reasons ({listed}): remove them or reject",
                )
            )

    comment_value = raw.get("comment")
    comment = comment_value.strip() if isinstance(comment_value, str) else ""
    if comment_value is not None and not isinstance(comment_value, str):
        errors.append(_error("备注应为文字", "The comment must be text"))
    if len(comment) > COMMENT_MAX_CHARS:
        errors.append(
            _error(
                f"备注不能超过 {COMMENT_MAX_CHARS} 字（当前 {len(comment)} 字）",
                f"The comment is limited to {COMMENT_MAX_CHARS} characters ({len(comment)} given)",
            )
        )
    if _PERSONAL_NUMBER.search(comment):
        errors.append(
            _error(
                "备注中请勿填写身份证号码或手机号码",
                "Do not put ID numbers or phone numbers in the comment",
            )
        )

    if errors or choice is None or not reviewer_id:
        return errors
    return ValidatedDecision(choice=choice, reviewer_id=reviewer_id, reason_codes=reasons, comment=comment)


def _rejecting_reasons(reasons: tuple[ReasonCode, ...], policy: Policy) -> list[str]:
    """The reasons whose policy outcome on their own is a rejection (不予办理)."""
    return [code.value for code in reasons if policy.outcome_of(code) == "rejected"]
