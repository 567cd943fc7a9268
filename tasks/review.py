"""Tasks around the station review: the form's summary, and recording a submitted decision."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.runtime import flow_run

from services.processing import CaseState
from services.review import apply_review_answer, review_description
from tasks.policy import STEP


@task(**STEP)
def summarise_for_review(case_id: str) -> str:
    """The masked case summary shown above the review form (checks, deadline, document links)."""
    return review_description(case_id)


@task(**STEP)
def record_review_decision(case_id: str, answer: dict[str, Any], pause_key: str) -> CaseState:
    """Authenticate the reviewer and apply the decision once; a refused form is recorded and asked again."""
    state = apply_review_answer(case_id, answer, key=f"{flow_run.get_id()}:{pause_key}")
    get_run_logger().info("review recorded; case now %s", state.status.value)
    return state
