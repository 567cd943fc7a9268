"""Tasks around the station review: the form's summary, and recording a submitted decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from prefect import get_client, get_run_logger, task
from prefect.input.run_input import keyset_from_base_key
from prefect.runtime import flow_run

from services.processing import CaseState
from services.review import apply_review_answer, review_description
from storage.db import UnitOfWork
from tasks.policy import STEP


@task(**STEP)
def summarise_for_review(case_id: str) -> str:
    """The masked case summary shown above the review form (checks, deadline, document links)."""
    return review_description(case_id, UnitOfWork())


@task(**STEP)
def record_review_decision(
    case_id: str, answer: dict[str, Any], pause_key: str, shown_round: int
) -> CaseState:
    """Authenticate the reviewer and apply the decision once; a refused form is recorded and asked again.
    `shown_round`: the round of checks the form showed (a decision on an earlier one applies nothing)."""
    run_id = flow_run.get_id()
    state = apply_review_answer(
        case_id,
        answer,
        UnitOfWork(),
        key=f"{run_id}:{pause_key}",
        at=_submitted_at(run_id, pause_key),
        shown_round=shown_round,
    )
    get_run_logger().info("review recorded; case now %s", state.status.value)
    return state


def _submitted_at(run_id: str | None, pause_key: str) -> datetime | None:
    """When the reviewer submitted the form (Prefect's server stamps the stored input): the one-time
    code is checked against that moment, not against when a busy worker got round to this run."""
    if not run_id:
        return None
    response_key = keyset_from_base_key(f"suspended-{pause_key}")["response"]
    with get_client(sync_client=True) as client:
        stored = client.filter_flow_run_input(
            flow_run_id=UUID(run_id), key_prefix=response_key, limit=1, exclude_keys=set()
        )
    return stored[0].created if stored else None
