"""The review form a reviewer fills in the Prefect UI to resume a suspended case (DESIGN.md §5).

Kept apart from models/review.py so that importing the decision rules never imports Prefect.

The form is deliberately a plain JSON schema: the Prefect server validates a submission against the
schema only (a pydantic validator would be skipped by the server and then fail the flow run when the
input is loaded), so there are no validators here. The constraints that *are* in the schema
(choices, the code's six digits, lengths) are checked identically by the server and by pydantic, so
the UI shows them as form errors. Every other rule is `models.review.validate_decision`, which the
flow runs on `form.model_dump(mode="json")`.
"""

from __future__ import annotations

from copy import copy
from typing import Any, Literal, get_args

import pydantic
from prefect.input import RunInput
from pydantic import Field

from models.reasons import ReasonCode
from models.review import COMMENT_MAX_CHARS, REVIEWER_ID_MAX_CHARS, ReviewChoice

# The select shows these strings as they are (a JSON-schema enum has no separate labels), so each
# carries the Chinese label first. They are ReviewChoice.form_option; a unit test keeps them in step.
DecisionOption = Literal["批准 approve", "不予办理 reject", "要求补正 request_correction"]

# Never pre-filled: a default is stored with the form's schema in the Prefect database.
_NEVER_PREFILLED = frozenset({"one_time_code"})


class ReviewDecision(RunInput):
    """审核决定 Review decision."""

    decision: DecisionOption = Field(
        title="审核决定 Decision",
        description=(
            "批准：制发居住证；不予办理：说明理由并结案；要求补正：一次性告知申请人需补正的全部材料。"
            " Approve: issue the permit; reject: close with reasons; request correction: tell the"
            " applicant everything to fix at once."
        ),
    )
    reason_codes: list[ReasonCode] = Field(
        default_factory=list,
        title="理由代码 Reason codes",
        description=(
            "不予办理、要求补正时至少选择一项；批准时不得选择不予办理类理由。"
            " At least one to reject or request a correction; none that rejects when approving."
        ),
    )
    comment: str = Field(
        default="",
        max_length=COMMENT_MAX_CHARS,
        title="备注 Comment",
        description=(
            f"可选，最多 {COMMENT_MAX_CHARS} 字；请勿填写身份证号码或手机号码。"
            " Optional; no ID or phone numbers (the form is stored in Prefect)."
        ),
    )
    reviewer_id: str = Field(
        max_length=REVIEWER_ID_MAX_CHARS,
        title="审核人编号 Reviewer id",
        description="您在本所审核人员名册中的编号，如 r-wuhou-jitou-1。 Your id on the station's roster.",
    )
    one_time_code: str = Field(
        pattern=r"^[0-9]{6}$",
        title="动态验证码 One-time code",
        description=(
            "身份验证器应用中显示的 6 位数字，每个验证码只能使用一次。"
            " The 6 digits your authenticator app shows; each code works once."
        ),
    )

    @classmethod
    def with_initial_data(cls, description: str | None = None, **kwargs: Any) -> type[ReviewDecision]:
        """The form with pre-filled fields and a markdown description shown above it.

        Prefect's own version rebuilds each pre-filled field from its type alone, which drops the
        field's title, description and constraints from the form; this one keeps them. A pre-filled
        field becomes optional in the schema: `validate_decision` treats what is then missing as an
        error, never as a crash. The one-time code is never pre-filled.
        """
        forbidden = _NEVER_PREFILLED & set(kwargs)
        if forbidden:
            raise ValueError(f"never pre-fill {', '.join(sorted(forbidden))}")
        fields: dict[str, Any] = {}
        for name, value in kwargs.items():
            original = cls.model_fields.get(name)
            if original is None:
                raise ValueError(f"ReviewDecision has no field {name!r}")
            info = copy(original)
            info.default = value
            info.default_factory = None
            fields[name] = (original.annotation, info)
        model = pydantic.create_model(cls.__name__, __base__=cls, **fields)
        if description is not None:
            model._description = description
        return model


# The form's options by their text: a choice whose text is not one of them fails here, loudly.
_OPTIONS: dict[str, DecisionOption] = {option: option for option in get_args(DecisionOption)}


def form_option(choice: ReviewChoice) -> DecisionOption:
    """The form's option for a choice (for scripts resuming a run: `{"decision": form_option(...)}`)."""
    return _OPTIONS[choice.form_option]
