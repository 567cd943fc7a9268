"""The case flow end to end on a real local Prefect: server, work pool, deployment, process worker.

One stack per module (starting Prefect costs tens of seconds); each test drives a few sample-city
cases through submit → automated processing → review / correction and checks what a station and an
applicant would see. Ends with a scan of Prefect's own database for personal data.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from sqlmodel import select
from stackfixture import Stack, wait_until

from models.package import DocumentKind
from models.reasons import ReasonCode
from models.review import ReviewChoice
from models.status import CaseStatus
from models.tables import CheckResult, Review, StatusTransition
from services.card_issue import card_of
from services.correction import CorrectedFile, submit_correction
from services.dispatch import start_case_flow
from services.intake import submit_folder
from services.processing import read_case_state
from services.review_client import submit_review
from services.stack import prefect_connection
from storage.db import UnitOfWork

pytestmark = pytest.mark.e2e

# Up to the clean cases after the 26 reason cases: clean_self_employed (k=34) is read cleanly.
STACK_CASES = 35


def _submit(stack: Stack, scenario: str) -> str:
    result = submit_folder(stack.package(scenario), UnitOfWork())
    start_case_flow(result.case_id, result.business_type)
    wait_until(f"{scenario} to leave automated processing", lambda: _left_automation(result.case_id))
    return result.case_id


def _left_automation(case_id: str) -> bool:
    state = read_case_state(case_id, UnitOfWork())
    return not state.needs_assessment


def _reasons(case_id: str, round_: int) -> set[str]:
    with UnitOfWork() as uow:
        rows = uow.session.exec(
            select(CheckResult.reason_code).where(CheckResult.case_id == case_id, CheckResult.round == round_)
        ).all()
    return {r for r in rows if r}


def test_clean_case_is_approved_without_a_person(on_stack: Stack) -> None:
    case_id = _submit(on_stack, "clean_self_employed")
    state = read_case_state(case_id, UnitOfWork())
    assert state.outcome == "auto_approved" and state.status is CaseStatus.IN_PRODUCTION
    assert _reasons(case_id, 1) == set()
    with UnitOfWork() as uow:
        assert uow.session.exec(select(Review).where(Review.case_id == case_id)).all() == []
        trail = [
            t.to_status
            for t in uow.session.exec(
                select(StatusTransition)
                .where(StatusTransition.case_id == case_id)
                .order_by(StatusTransition.id)  # type: ignore[arg-type]
            )
        ]
    assert trail == ["submitted", "under_review", "in_production"]
    # The same run goes on to number and print the card, then waits for the card centre.
    wait_until(
        "the card in the spool", lambda: bool((card := card_of(case_id, UnitOfWork())) and card.spooled)
    )


def test_rejected_case_ends_without_a_person(on_stack: Stack) -> None:
    case_id = _submit(on_stack, "local_hukou")
    state = read_case_state(case_id, UnitOfWork())
    assert state.status is CaseStatus.REJECTED
    assert ReasonCode.LOCAL_HUKOU.value in _reasons(case_id, 1)


def test_review_refuses_another_station_then_accepts_the_right_reviewer(on_stack: Stack) -> None:
    case_id = _submit(on_stack, "no_residence_registration")
    state = read_case_state(case_id, UnitOfWork())
    assert state.awaits_review and state.station_id
    outsider = "r-wuhou-yulin-1" if state.station_id != "wuhou-yulin" else "r-wuhou-jitou-1"
    submit_review(case_id, UnitOfWork(), reviewer_id=outsider, choice=ReviewChoice.APPROVE)
    wait_until(
        "the refused review to be recorded",
        lambda: read_case_state(case_id, UnitOfWork()).review_attempts == 1,
    )
    state = read_case_state(case_id, UnitOfWork())
    assert state.awaits_review  # asked again
    with UnitOfWork() as uow:
        refused = uow.session.exec(select(Review).where(Review.case_id == case_id)).one()
    assert not refused.accepted and refused.refusal and "派出所" in refused.refusal

    wait_until("the flow to suspend again", lambda: _suspended(on_stack, state.flow_run_id))
    submit_review(
        case_id,
        UnitOfWork(),
        reviewer_id=f"r-{state.station_id}-1",
        choice=ReviewChoice.APPROVE,
        comment="已核实",
    )
    wait_until("approval", lambda: read_case_state(case_id, UnitOfWork()).status is CaseStatus.IN_PRODUCTION)


def test_correction_loop_survives_a_stray_resume_and_rechecks_the_new_file(on_stack: Stack) -> None:
    case_id = _submit(on_stack, "file_unreadable")
    state = read_case_state(case_id, UnitOfWork())
    assert state.status is CaseStatus.NEEDS_CORRECTION
    assert ReasonCode.FILE_UNREADABLE.value in _reasons(case_id, 1)
    application = json.loads((on_stack.package("file_unreadable") / "application.json").read_text("utf-8"))
    broken = next(
        d
        for d in application["documents"]
        if on_stack.expected[application["submission_id"]]["degradations"].get(d["file"]) == "truncated"
    )
    # A readable file of the same kind, from another applicant's package: the file gate passes now.
    donor = next(on_stack.package("local_hukou").glob(f"{broken['kind']}.*"))
    wait_until("the flow to suspend for the correction", lambda: _suspended(on_stack, state.flow_run_id))
    # Someone presses Resume in the UI without a correction (the UI's call: resume, no input). The
    # run must end, not wait again under the same key (which Prefect answers at once: a spinning run).
    assert state.flow_run_id
    _resume_by_hand(on_stack, state.flow_run_id)
    wait_until("the run woken by hand to end", lambda: _final(on_stack, state.flow_run_id))
    task_runs = _task_run_count(on_stack, state.flow_run_id)
    assert task_runs < 40, f"{task_runs} task runs: the correction wait spins"
    assert read_case_state(case_id, UnitOfWork()).status is CaseStatus.NEEDS_CORRECTION
    submit_correction(
        case_id, [CorrectedFile(DocumentKind(broken["kind"]), donor.name, donor.read_bytes())], UnitOfWork()
    )
    wait_until(
        "the second round of checks",
        lambda: _left_automation(case_id) and read_case_state(case_id, UnitOfWork()).check_round == 2,
    )
    assert ReasonCode.FILE_UNREADABLE.value not in _reasons(case_id, 2)


def test_a_correction_the_reviewer_asked_for_is_read_again_in_the_same_run(on_stack: Stack) -> None:
    """The reviewer asks for a clearer photo, the applicant uploads again, the run that waited for
    the correction goes on, and a document reader reads the case a second time. Prefect's task
    worker once served that second reading from its cache (same case id, same flow run): nothing
    was read and the run asked again and again (tasks/policy.py NeverCached)."""
    case_id = _submit(on_stack, "social_insurance_gap")
    state = read_case_state(case_id, UnitOfWork())
    assert state.awaits_review and state.check_round == 1
    wait_until("the run to suspend for the reviewer", lambda: _suspended(on_stack, state.flow_run_id))
    submit_review(
        case_id,
        UnitOfWork(),
        reviewer_id=f"r-{state.station_id}-2",
        choice=ReviewChoice.REQUEST_CORRECTION,
        reason_codes=[ReasonCode.IMAGE_TOO_BLURRY],
        comment="请重新上传清晰的照片",
    )
    wait_until(
        "the run to wait for the correction",
        lambda: (
            read_case_state(case_id, UnitOfWork()).status is CaseStatus.NEEDS_CORRECTION
            and _suspended(on_stack, state.flow_run_id)
        ),
    )
    folder = on_stack.package("social_insurance_gap")
    application = json.loads((folder / "application.json").read_text(encoding="utf-8"))
    submit_correction(
        case_id,
        [
            CorrectedFile(DocumentKind(d["kind"]), d["file"], (folder / d["file"]).read_bytes())
            for d in application["documents"]
        ],
        UnitOfWork(),
    )
    wait_until(
        "the second round of checks",
        lambda: (now := read_case_state(case_id, UnitOfWork())).check_round == 2 and not now.needs_assessment,
    )
    after = read_case_state(case_id, UnitOfWork())
    assert after.flow_run_id == state.flow_run_id  # the run that waited read it, no new run
    assert after.awaits_review  # the same facts: back to a person, with the new documents


def _resume_by_hand(stack: Stack, flow_run_id: str) -> None:
    from uuid import UUID

    from prefect.flow_runs import resume_flow_run

    with prefect_connection(stack.state.api_url):
        resume_flow_run(UUID(flow_run_id))


def _final(stack: Stack, flow_run_id: str) -> bool:
    from uuid import UUID

    from prefect import get_client

    with (
        prefect_connection(stack.state.api_url),
        get_client(sync_client=True) as c,
    ):
        state = c.read_flow_run(UUID(flow_run_id)).state
    return bool(state and state.is_final())


def _task_run_count(stack: Stack, flow_run_id: str) -> int:
    from uuid import UUID

    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with (
        prefect_connection(stack.state.api_url),
        get_client(sync_client=True) as c,
    ):
        return len(
            c.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)])), limit=200
            )
        )


def _suspended(stack: Stack, flow_run_id: str | None) -> bool:
    from uuid import UUID

    from prefect import get_client

    assert flow_run_id
    with (
        prefect_connection(stack.state.api_url),
        get_client(sync_client=True) as c,
    ):
        state = c.read_flow_run(UUID(flow_run_id)).state
    return bool(state and state.is_paused())


def test_a_late_case_is_escalated_and_its_run_tagged(on_stack: Stack) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path
    from uuid import UUID

    from prefect import get_client

    case_id = _submit(on_stack, "name_mismatch")
    state = read_case_state(case_id, UnitOfWork())
    assert state.awaits_review
    # Twenty-three days after acceptance the 15-day clock has run out.
    env = {**os.environ, "RONGJU_TODAY": "2026-12-20"}
    rongju = str(Path(sys.executable).parent / "rongju")
    done = subprocess.run(
        [rongju, "overdue", "--escalate", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1  # late cases exist: cron alerts on it
    listed = {json.loads(line)["case_id"]: json.loads(line) for line in done.stdout.splitlines() if line}
    assert listed[case_id]["escalated_now"] is True and listed[case_id]["days_left"] < 0
    with (
        prefect_connection(on_stack.state.api_url),
        get_client(sync_client=True) as c,
    ):
        assert "overdue" in (c.read_flow_run(UUID(state.flow_run_id or "")).tags or [])
    again = subprocess.run(
        [rongju, "overdue", "--escalate", "--json"], env=env, capture_output=True, text=True
    )
    assert (
        json.loads(next(line for line in again.stdout.splitlines() if case_id in line))["escalated_now"]
        is False
    )


def test_prefect_database_holds_no_personal_data(on_stack: Stack) -> None:
    """Names, ID numbers, phones and addresses of every sample-city applicant: zero hits in Prefect."""
    secrets: set[str] = set()
    for folder in (on_stack.city / "cases").iterdir():
        application = json.loads((folder / "application.json").read_text(encoding="utf-8"))
        applicant = application["applicant"]
        secrets |= {applicant["id_number"], applicant["phone"], application["residence_address"]}
        if len(applicant["name"]) >= 3:  # two-character names also occur as ordinary words
            secrets.add(applicant["name"])
    database = on_stack.data_dir / "prefect-home" / "prefect.db"
    assert database.exists()
    hits: list[tuple[str, str]] = []
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                text = " ".join(str(v) for v in row if v is not None)
                hits.extend((table, s[:4]) for s in secrets if s in text)
    assert hits == []
