"""Submitting a review decision through Prefect's resume, exactly as the Prefect UI's form does.

Used by `rongju review` (scripts, the unattended demo) and the tests; a person uses the UI.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.reasons import ReasonCode
from models.review import ReviewChoice
from models.review_form import form_option
from services.dispatch import resume_when_paused
from services.processing import read_case_state
from services.reviewers import current_code
from services.stack import prefect_api_url
from storage.db import UnitOfWork


class NotWaitingForReview(RuntimeError):
    pass


def submit_review(
    case_id: str,
    uow: UnitOfWork,
    *,
    reviewer_id: str,
    choice: ReviewChoice,
    reason_codes: Sequence[ReasonCode] = (),
    comment: str = "",
    one_time_code: str | None = None,
) -> None:
    """Resume the case's suspended flow run with a review form. The flow authenticates it."""
    state = read_case_state(case_id, uow)
    api_url = prefect_api_url()
    if not state.awaits_review or state.flow_run_id is None or api_url is None:
        raise NotWaitingForReview(
            f"案件未在等待审核 case {case_id} is not waiting for a review ({state.status.value})"
        )
    answer: dict[str, object] = {
        "decision": form_option(choice),
        "reason_codes": [code.value for code in reason_codes],
        "comment": comment,
        "reviewer_id": reviewer_id,
        "one_time_code": one_time_code or current_code(reviewer_id),
    }
    resume_when_paused(state.flow_run_id, answer)
