"""The document reader: reading a case's documents and checking the case, in a warm process.

Reading is the heavy part of a case: the OCR models (~4 s to load, several hundred MB) and the
shared-data index. A flow run is a new process for every case and every resume, so it must not load
them. The flow hands the step to a document reader instead: a long-lived process (`rongju up` and
`rongju worker` start them; tasks/serve_reader.py) that keeps the models loaded and serves this
task through Prefect's background task workers (`task.delay()`; the README says why this and not
the alternatives, with the measurements).

What crosses Prefect is the case id, nothing else: the reader stores the reading, the checks and
the outcome in the case DB (one transaction, claimed once, services.processing), and the flow reads
where the case stands from there. The task's own result is not persisted.

Prefect does not hand a background task run to another reader when the one running it dies (a
crash, a killed host). The flow therefore bounds how long a reading may run
(RONGJU_READER_TIMEOUT_SECONDS): past it the task run is marked crashed and the flow run fails with
the reason, and `rongju replay --failed` starts the case again (the outcome is recorded once
whatever happened before).
"""

from __future__ import annotations

import time
from uuid import UUID

from prefect import get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.futures import PrefectDistributedFuture
from prefect.states import Crashed

from config.settings import get_settings
from services.faults import fault_point
from tasks.case_state import CaseState, load_case
from tasks.policy import BACKGROUND_STEP

# How often the waiting flow looks at the task run when no completion event arrives.
POLL_SECONDS = 5.0


# Readings in a row that may finish without recording the checks before the step fails.
READINGS_WITHOUT_RECORD = 3


class ReaderLost(RuntimeError):
    """The reading did not finish within the bound: its reader is presumed dead."""


class ReadingNotRecorded(RuntimeError):
    """Readings finished, but none recorded the case's checks."""


@task(name="read-and-check", task_run_name="read-and-check-{case_id}", **BACKGROUND_STEP)
def read_and_check_documents(case_id: str) -> None:
    """In a document reader: read every current document, check the case against the shared data
    and the policy, and record the outcome, the station and the applicant's notice."""
    # Imported here, not at the top: the flow imports this module for the task's key, and the flow
    # process must not load OCR, OpenCV or the shared-data index (see the module docstring).
    from services.reading import read_and_check_case
    from storage.db import UnitOfWork

    done = read_and_check_case(case_id, UnitOfWork())
    get_run_logger().info(
        "documents read: %d files, %d problems; checks: %s, reasons %s, station %s",
        done.files,
        done.problems,
        done.outcome,
        done.reasons,
        done.station_id,
    )


def read_and_check(state: CaseState) -> CaseState:
    """Have a document reader read and check the case; wait for it, then say where the case stands.

    A reading that records nothing (the case still waits for its checks and no new round was
    recorded) is asked for again, a few times: the documents may have changed under it. Past that
    the step fails with the reason rather than spin; `rongju replay --failed` starts the case again.
    """
    for _ in range(READINGS_WITHOUT_RECORD):
        future = read_and_check_documents.delay(state.case_id)
        _wait_for_reader(future, state.case_id)
        fault_point("read_and_check:after_reader")
        now = load_case(state.case_id)
        if not now.needs_assessment or now.check_round > state.check_round:
            return now
    message = (
        f"文档读取 {READINGS_WITHOUT_RECORD} 次均未记录核验结果；请用 rongju replay --failed 重办 "
        f"{READINGS_WITHOUT_RECORD} readings of {state.case_id} recorded no checks; replay with "
        "`rongju replay --failed`"
    )
    get_run_logger().error(message)
    raise ReadingNotRecorded(message)


def _wait_for_reader(future: PrefectDistributedFuture[None], case_id: str) -> None:
    """Wait while the reading is queued or running; fail the step if it ran past the bound."""
    limit = get_settings().reader_timeout_seconds
    logger = get_run_logger()
    running_since: float | None = None
    while True:
        future.wait(timeout=POLL_SECONDS)
        state = future.state
        if state.is_final():
            if not state.is_completed():
                raise RuntimeError(
                    f"文档读取失败 reading the documents of {case_id} failed in the reader: "
                    f"{state.name}: {state.message or ''}"
                )
            return
        if state.is_scheduled():
            # Queued: every reader is busy (or none is running). The wait holds no OCR and little
            # memory; the queue shows in the Prefect UI as scheduled task runs.
            continue
        # Taken by a reader (pending, then running): from here the bound applies, so a reader that
        # dies between taking the reading and starting it is caught as well.
        running_since = running_since or time.monotonic()
        if time.monotonic() - running_since > limit:
            message = (
                f"文档读取超过 {limit} 秒未完成，读取进程可能已退出；请用 rongju replay --failed 重办 "
                f"the reader did not finish within {limit} s (presumed dead); replay with "
                "`rongju replay --failed`"
            )
            with get_client(sync_client=True) as client:
                client.set_task_run_state(UUID(str(future.task_run_id)), Crashed(message=message), force=True)
            logger.error("reading of %s: %s", case_id, message)
            raise ReaderLost(message)
