"""The case flow: one flow run per case, parameter = the case id, nothing else.

It reads like the process (DESIGN.md §3): read the documents, check the case and record the outcome
and the station (in a warm document reader, tasks/reader.py) → review by a person where needed →
wait for corrections → number and print the card → wait for the card centre → mail it or hold it
for pickup → wait until it has reached the applicant → close the case; the applicant's notices go
out after every step.

The case DB is the source of truth: after a suspend Prefect runs this function again from the top in
a new process, so every step first reads where the case stands and skips what has already happened.
A replay (`rongju replay`, or Retry in the Prefect UI) is the same: a new run that carries on.
"""

from __future__ import annotations

from prefect import flow, suspend_flow_run

from models.review_form import ReviewDecision
from models.status import CaseStatus
from tasks.case_state import CaseState, load_case, remember_flow_run, tag_flow_run
from tasks.production import (
    NextStep,
    complete_case,
    dispatch_card,
    find_next_step,
    number_card,
    print_card,
    print_mail_label,
    send_notices,
)
from tasks.reader import read_and_check
from tasks.review import record_review_decision, summarise_for_review

# Cards being made or delivered; everything else past review is an end state for this flow.
IN_DELIVERY = (CaseStatus.IN_PRODUCTION, CaseStatus.MAILED, CaseStatus.AWAITING_PICKUP)


# persist_result=False: nothing of a run (its return value, a failure's exception) goes to Prefect's
# result storage; the case DB holds what happened.
@flow(name="process-case", flow_run_name="case-{case_id}", log_prints=False, persist_result=False)
def process_case(case_id: str) -> str:
    """Process one residence-permit case from submission until it leaves the station."""
    remember_flow_run(case_id)
    state = load_case(case_id)
    while True:
        send_notices(case_id)
        if state.needs_assessment:
            # In a document reader, which keeps the OCR models loaded: this process loads none.
            state = read_and_check(state)
            tag_flow_run(state)
        elif state.awaits_review:
            state = review_by_station(state)
        elif state.status is CaseStatus.NEEDS_CORRECTION:
            if not wait_for_correction(state):
                # Woken without a correction (Resume pressed by hand): end here rather than wait
                # again under the same key, which Prefect answers at once (a spinning run); the
                # applicant's correction starts a new run (services.correction).
                return load_case(case_id).status.value
            state = load_case(case_id)
        elif state.status in IN_DELIVERY:
            if not produce_and_deliver(state):
                # Woken without news (someone pressed Resume by hand): end here; the next
                # confirmation starts a new run of this flow (services.dispatch.wake_case_flow).
                return load_case(case_id).status.value
            state = load_case(case_id)
        else:
            # 不予办理 or 办结: nothing more for this flow.
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
    return record_review_decision(
        state.case_id, answer.model_dump(mode="json"), pause_key, shown_round=state.check_round
    )


def wait_for_correction(state: CaseState) -> bool:
    """Wait (suspended, holding no worker) until the applicant uploads corrected documents
    (`rongju correct`); False when the wait ended without them."""
    # The corrected files are in the case DB when the run is woken: the wait needs no input.
    suspend_flow_run(key=f"correction-{state.case_id.lower()}-{state.correction_rounds}")
    return load_case(state.case_id).status is not CaseStatus.NEEDS_CORRECTION


def produce_and_deliver(state: CaseState) -> bool:
    """Take one step of card production or delivery; False when a wait ended without news."""
    case_id = state.case_id
    step = find_next_step(case_id)
    if step is NextStep.ALLOCATE_CARD:
        number_card(case_id)
    elif step is NextStep.SPOOL_CARD:
        print_card(case_id)
    elif step is NextStep.AWAIT_PRODUCTION:
        # The card centre confirms days later (`rongju card-produced`); hold no worker meanwhile.
        suspend_flow_run(key=f"production-{case_id.lower()}-v{state.card_version}")
        return find_next_step(case_id) is not NextStep.AWAIT_PRODUCTION
    elif step is NextStep.DISPATCH:
        dispatch_card(case_id)
    elif step is NextStep.PRINT_LABEL:
        print_mail_label(case_id)
    elif step is NextStep.AWAIT_HANDOVER:
        # EMS confirms delivery (`rongju delivered`) or the station the pickup (`rongju picked-up`).
        suspend_flow_run(key=f"handover-{case_id.lower()}-v{state.card_version}")
        return find_next_step(case_id) is not NextStep.AWAIT_HANDOVER
    elif step is NextStep.COMPLETE:
        complete_case(case_id)
    return True
