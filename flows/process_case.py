"""The case flow: one flow run per case, parameter = the case id, nothing else.

It reads like the process (DESIGN.md §3): read the documents → check the case → record the outcome
and the station → review by a person where needed → wait for corrections → hand over to card
production. The case DB is the source of truth: after a suspend Prefect runs this function again
from the top in a new process, so every step first reads where the case stands and skips what has
already happened.
"""

from __future__ import annotations

from prefect import flow, suspend_flow_run

from models.correction_form import CorrectionSubmitted
from models.review_form import ReviewDecision
from models.status import CaseStatus
from services.processing import CaseState
from tasks.case_state import load_case, remember_flow_run
from tasks.checks import check_case, read_documents, record_outcome, tag_flow_run
from tasks.review import record_review_decision, summarise_for_review


@flow(name="process-case", flow_run_name="case-{case_id}", log_prints=False)
def process_case(case_id: str) -> str:
    """Process one residence-permit case from submission until it leaves the station."""
    remember_flow_run(case_id)
    state = load_case(case_id)
    while True:
        if state.needs_assessment:
            documents = read_documents(case_id)
            assessment = check_case(case_id, documents)
            state = record_outcome(case_id, assessment)
            tag_flow_run(state)
        elif state.awaits_review:
            state = review_by_station(state)
        elif state.status is CaseStatus.NEEDS_CORRECTION:
            wait_for_correction(state)
            state = load_case(case_id)
        else:
            # 制证中 (card production, issue 6), 不予办理 or 办结: nothing more for this flow.
            return state.status.value


def review_by_station(state: CaseState) -> CaseState:
    """Wait (suspended, holding no worker) for a reviewer of the case's station to decide."""
    summary = summarise_for_review(state.case_id)
    # One key per attempt: after a resume the same call returns the answer; a refused answer (wrong
    # station, bad code, missing reasons) is recorded and the next attempt asks again, saying why.
    # Prefect allows only lowercase letters, digits and dashes in a pause key.
    pause_key = f"review-{state.case_id.lower()}-{state.review_attempts}"
    answer = suspend_flow_run(
        wait_for_input=ReviewDecision.with_initial_data(description=summary),
        key=pause_key,
    )
    return record_review_decision(state.case_id, answer.model_dump(mode="json"), pause_key)


def wait_for_correction(state: CaseState) -> None:
    """Wait (suspended) until the applicant uploads corrected documents (`rongju correct`)."""
    suspend_flow_run(
        wait_for_input=CorrectionSubmitted,
        key=f"correction-{state.case_id.lower()}-{state.correction_rounds}",
    )
