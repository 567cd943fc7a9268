"""Card production and delivery end to end on a real local Prefect (server, pool, process worker):
approval → card spooled → `rongju card-produced` → mailed / awaiting pickup → delivered / picked up
→ 办结, with a flow-run process SIGKILLed mid-step and brought back by `rongju replay --failed` and
by the Prefect UI's Retry, two live runs of one case, and a replay of every finished case that must
change nothing in the spool, the mail room or the SMS outbox.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest
from sqlmodel import select
from stackfixture import Stack, wait_until

from config.settings import get_settings
from models.review import ReviewChoice
from models.status import CaseStatus
from models.tables import Replay
from services import card_issue
from services.dispatch import start_case_flow
from services.intake import submit_folder
from services.processing import attach_flow_run, read_case_state
from services.review_client import submit_review
from services.stack import child_env, prefect_connection, start_reader
from storage.db import UnitOfWork
from storage.sms import outbox_filename
from storage.spool import get_mail_room, get_print_spool

pytestmark = pytest.mark.e2e

# This module's stack runs the Prefect server on PostgreSQL, as production does (tests/e2e/conftest.py).
PREFECT_ON_POSTGRES = True

RONGJU = str(Path(sys.executable).parent / "rongju")


def rongju(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RONGJU, *args], env=dict(os.environ), capture_output=True, text=True, timeout=300)


def run_state(stack: Stack, flow_run_id: str) -> str:
    from prefect import get_client

    with (
        prefect_connection(stack.state.api_url),
        get_client(sync_client=True) as c,
    ):
        state = c.read_flow_run(UUID(flow_run_id)).state
    return state.type.value if state else "?"


def start_with_fault(stack: Stack, case_id: str, boundary: str) -> str:
    """Start the case's flow run with the fault switch set for that run's process only."""
    from prefect.deployments import run_deployment

    with prefect_connection(stack.state.api_url):
        run = run_deployment(
            "process-case/process-case",
            parameters={"case_id": case_id},
            timeout=0,
            job_variables={"env": {"RONGJU_FAULT_KILL_AT": boundary}},
            _sync=True,
        )
    attach_flow_run(case_id, str(run.id), UnitOfWork())
    return str(run.id)


def approve(case_id: str) -> None:
    wait_until("the review wait", lambda: read_case_state(case_id, UnitOfWork()).awaits_review)
    state = read_case_state(case_id, UnitOfWork())
    submit_review(
        case_id,
        UnitOfWork(),
        reviewer_id=f"r-{state.station_id}-1",
        choice=ReviewChoice.APPROVE,
        comment="已核实",
    )


def files(folder: Path | None) -> dict[str, str]:
    assert folder is not None
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def outside_world() -> dict[str, dict[str, str]]:
    settings = get_settings()
    return {
        "spool": files(settings.print_spool),
        "mail": files(settings.mail_dir),
        "sms": files(settings.sms_outbox),
    }


def spooled_and_waiting(stack: Stack, case_id: str) -> bool:
    card = card_issue.card_of(case_id, UnitOfWork())
    run_id = read_case_state(case_id, UnitOfWork()).flow_run_id
    return bool(card and card.spooled and run_id and run_state(stack, run_id) == "PAUSED")


def test_a_card_from_approval_to_done_exactly_once(on_stack: Stack) -> None:
    result = submit_folder(on_stack.package("no_residence_registration"), UnitOfWork())
    case_id = result.case_id
    start_case_flow(case_id, result.business_type)
    approve(case_id)
    # A second live run of the same case while the first numbers and prints the card.
    wait_until("approval", lambda: read_case_state(case_id, UnitOfWork()).status is CaseStatus.IN_PRODUCTION)
    forced = rongju("replay", case_id, "--force", "--reason", "e2e: two live runs")
    assert forced.returncode == 0, forced.stderr
    wait_until("the card in the spool", lambda: spooled_and_waiting(on_stack, case_id))
    card = card_issue.card_of(case_id, UnitOfWork())
    assert card is not None
    assert [p.stem for p in get_print_spool().cards()] == [card.card_no]

    produced = rongju("card-produced", card.card_no)
    assert produced.returncode == 0, produced.stderr
    wait_until(
        "dispatch", lambda: read_case_state(case_id, UnitOfWork()).status is not CaseStatus.IN_PRODUCTION
    )
    with UnitOfWork() as uow:
        delivery = uow.deliveries.current(uow.cases.get(case_id))
    assert delivery is not None
    if delivery.method == "mail":
        assert read_case_state(case_id, UnitOfWork()).status is CaseStatus.MAILED
        wait_until("the label", lambda: [p.stem for p in get_mail_room().labels()] == [delivery.waybill_no])
        wait_until(
            "the handover wait",
            lambda: run_state(on_stack, read_case_state(case_id, UnitOfWork()).flow_run_id or "") == "PAUSED",
        )
        confirmed = rongju("delivered", str(delivery.waybill_no))
    else:
        assert read_case_state(case_id, UnitOfWork()).status is CaseStatus.AWAITING_PICKUP
        wait_until(
            "the handover wait",
            lambda: run_state(on_stack, read_case_state(case_id, UnitOfWork()).flow_run_id or "") == "PAUSED",
        )
        assert rongju("picked-up", case_id, "--code", "not-the-code").returncode == 1
        confirmed = rongju("picked-up", case_id, "--code", str(delivery.pickup_code))
    assert confirmed.returncode == 0, confirmed.stderr
    wait_until("办结", lambda: read_case_state(case_id, UnitOfWork()).status is CaseStatus.DONE)

    # One SMS per status, each sent once: every outbox row sent, one outbox file per row.
    def all_sent() -> bool:
        with UnitOfWork() as uow:
            notes = uow.notifications.listed(case_id)
        return bool(notes) and all(n.state == "sent" for n in notes)

    wait_until("the notices to be sent", all_sent)
    with UnitOfWork() as uow:
        keys = sorted(n.key.split(":")[2] for n in uow.notifications.listed(case_id))
    assert keys == sorted(
        [
            "under_review",
            "in_production",
            "mailed" if delivery.method == "mail" else "awaiting_pickup",
            "done",
        ]
    )
    assert [p.stem for p in get_print_spool().cards()] == [card.card_no]


def test_a_killed_run_is_listed_and_replayed_without_a_second_card(on_stack: Stack) -> None:
    result = submit_folder(on_stack.package("id_number_mismatch"), UnitOfWork())
    case_id = result.case_id
    before = set(p.stem for p in get_print_spool().cards())
    # The run's process dies (SIGKILL) right after writing the card to the spool, before recording it.
    run_id = start_with_fault(on_stack, case_id, "spool_card:after_write")
    approve(case_id)
    wait_until("the run to crash", lambda: run_state(on_stack, run_id) in ("CRASHED", "FAILED"))
    listed = rongju("failed", "--json")
    assert listed.returncode == 0, listed.stderr
    failed = {json.loads(line)["case_id"]: json.loads(line) for line in listed.stdout.splitlines() if line}
    assert case_id in failed and failed[case_id]["flow_run_id"] == run_id

    replayed = rongju("replay", "--failed", "--reason", "worker killed")
    assert replayed.returncode == 0, replayed.stderr
    wait_until("the card in the spool", lambda: spooled_and_waiting(on_stack, case_id))
    card = card_issue.card_of(case_id, UnitOfWork())
    assert card is not None
    assert set(p.stem for p in get_print_spool().cards()) - before == {card.card_no}
    with UnitOfWork() as uow:
        audit = uow.session.exec(select(Replay).where(Replay.case_id == case_id)).all()
    assert len(audit) == 1 and audit[0].previous_flow_run_id == run_id and audit[0].reason == "worker killed"


def test_retry_in_the_prefect_ui_carries_a_killed_run_on(on_stack: Stack) -> None:
    from prefect import get_client
    from prefect.states import AwaitingRetry

    result = submit_folder(on_stack.package("local_hukou"), UnitOfWork())
    case_id = result.case_id
    # The flow-run process dies right after its reader recorded the outcome (the fault switch is set
    # for that run's process only; the readers are the stack's own).
    run_id = start_with_fault(on_stack, case_id, "read_and_check:after_reader")
    wait_until("the run to crash", lambda: run_state(on_stack, run_id) in ("CRASHED", "FAILED"))
    assert read_case_state(case_id, UnitOfWork()).status is CaseStatus.REJECTED  # recorded once, whole
    with UnitOfWork() as uow:
        unsent = [n.key for n in uow.notifications.listed(case_id) if n.state != "sent"]
    assert unsent, "the rejection notice is queued with the outcome and goes out after the Retry"
    # What the UI's Retry button sends (prefect/server/ui: retryFlowRun): the same run is scheduled
    # again and runs the flow from the top. The fault fires once, like a real crash. The worker
    # reports the dead process a little after the run's own crash report, and a report landing after
    # the Retry marks the run crashed again (Prefect's race, not ours): a person then presses Retry
    # once more, and so does this test.
    for _press in range(3):
        with (
            prefect_connection(on_stack.state.api_url),
            get_client(sync_client=True) as c,
        ):
            c.set_flow_run_state(UUID(run_id), state=AwaitingRetry(message="Retry from the UI"), force=False)
        wait_until("the retried run to end", lambda: run_state(on_stack, run_id) in ("COMPLETED", "CRASHED"))
        if run_state(on_stack, run_id) == "COMPLETED":
            break
    assert run_state(on_stack, run_id) == "COMPLETED"
    assert read_case_state(case_id, UnitOfWork()).status is CaseStatus.REJECTED
    with UnitOfWork() as uow:
        notices = uow.notifications.listed(case_id)
        assert all(n.state == "sent" for n in notices)
    outbox = files(get_settings().sms_outbox)
    # Each notice written to the SMS outbox once: one file per key, and nothing else of this case.
    assert {outbox_filename(n.key) for n in notices} == {name for name in outbox if case_id in name}


def test_replaying_every_finished_case_changes_nothing_outside(on_stack: Stack) -> None:
    with UnitOfWork() as uow:
        from models.tables import Case

        finished = [c.id for c in uow.session.exec(select(Case)) if CaseStatus(c.status).is_terminal]
    assert finished, "the earlier tests leave finished cases"

    def runs_done() -> bool:
        return all(
            run_state(on_stack, read_case_state(c, UnitOfWork()).flow_run_id or "") == "COMPLETED"
            for c in finished
        )

    wait_until("earlier runs to finish", runs_done)
    world = outside_world()
    replayed = rongju("replay", *finished, "--reason", "replay everything")
    assert replayed.returncode == 0, replayed.stderr
    wait_until("every replay to finish", runs_done)
    assert outside_world() == world


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_the_prefect_server_keeps_its_runs_in_postgresql_and_only_it_holds_the_url(on_stack: Stack) -> None:
    url = on_stack.prefect_database_url
    assert url is not None
    server, worker = _environ(on_stack.state.pids["server"]), _environ(on_stack.state.pids["worker"])
    assert server["PREFECT_SERVER_DATABASE_CONNECTION_URL"] == url.replace(
        "postgresql://", "postgresql+asyncpg://"
    )
    # Finished runs, their logs and events are deleted after the retention (the vacuum service).
    assert json.loads(server["PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED"]) == ["events", "flow_runs"]
    assert server["PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD"] == "P30D"
    # The worker (and the flow runs it starts, which inherit its environment) talk to the API only.
    assert not any("DATABASE_CONNECTION_URL" in name for name in worker)
    assert url not in " ".join(worker.values())
    import psycopg

    with psycopg.connect(url) as prefect_db:
        row = prefect_db.execute("SELECT count(*) FROM flow_run WHERE flow_id IS NOT NULL").fetchone()
    assert row is not None and row[0] >= 1  # the runs of this module's cases are there
    assert not (on_stack.data_dir / "prefect-home" / "prefect.db").exists()


def test_a_reader_that_dies_mid_reading_fails_the_run_and_replay_finishes_the_case(on_stack: Stack) -> None:
    """Prefect hands a background task run to no other reader when the one running it dies: the
    flow's bound on the reading notices, marks it crashed and fails the run; the replay reads again."""
    from prefect import get_client

    state = on_stack.state
    readers = [name for name in state.pids if name.startswith("reader-")]
    assert readers, "the stack runs document readers"
    for name in readers:
        os.killpg(state.pids.pop(name), signal.SIGKILL)
    env = child_env(state.api_url)
    # This reader dies (SIGKILL) inside the reading, just before the outcome would be recorded.
    doomed = start_reader(
        "reader-doomed", env | {"RONGJU_FAULT_KILL_AT": "record_outcome:before_record"}, state
    )
    try:
        result = submit_folder(on_stack.package("residence_under_6_months"), UnitOfWork())
        case_id = result.case_id
        with prefect_connection(state.api_url):
            from prefect.deployments import run_deployment

            run = run_deployment(
                "process-case/process-case",
                parameters={"case_id": case_id},
                timeout=0,
                job_variables={"env": {"RONGJU_READER_TIMEOUT_SECONDS": "15"}},
                _sync=True,
            )
        run_id = str(run.id)
        attach_flow_run(case_id, run_id, UnitOfWork())
        wait_until("the reader to die", lambda: doomed.poll() is not None)
        wait_until("the run to fail on the reading's bound", lambda: run_state(on_stack, run_id) == "FAILED")
        assert read_case_state(case_id, UnitOfWork()).status is CaseStatus.SUBMITTED  # nothing half-recorded
        with prefect_connection(state.api_url), get_client(sync_client=True) as c:
            crashed = [t for t in c.read_task_runs() if t.name == f"read-and-check-{case_id}"]
        assert [t.state.type.value for t in crashed if t.state] == ["CRASHED"]
    finally:
        # The stack's readers again, for the tests after this one.
        state.pids.pop("reader-doomed", None)
        for name in readers:
            start_reader(name, env, state)

    replayed = rongju("replay", "--failed", "--reason", "reader died")
    assert replayed.returncode == 0, replayed.stderr
    wait_until(
        "the replayed case to be checked", lambda: not read_case_state(case_id, UnitOfWork()).needs_assessment
    )
    assert read_case_state(case_id, UnitOfWork()).status is not CaseStatus.SUBMITTED
