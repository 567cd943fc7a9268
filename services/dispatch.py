"""Starting a case's flow run on the process-case deployment."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, cast
from uuid import UUID

from services.processing import attach_flow_run
from services.stack import DEPLOYMENT, prefect_api_url, prefect_connection
from storage.db import UnitOfWork

if TYPE_CHECKING:  # Prefect is imported where there is one to talk to: importing it configures logging
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

log = logging.getLogger(__name__)


class PrefectUnavailable(RuntimeError):
    """No Prefect API is configured or running: the case is stored, its flow run not yet created."""


def start_case_flow(case_id: str, business_type: str, *, attempt: str = "submit") -> str:
    """Create the case's flow run (returns at once; a worker picks it up). Returns the run id.

    The idempotency key makes a resubmission, or a retried call, return the same flow run; a replay
    passes its own `attempt` to start a new one.
    """
    api_url = prefect_api_url()
    if api_url is None:
        raise PrefectUnavailable(
            "Prefect 未运行：案件已保存，请先执行 `rongju up`。 "
            "No Prefect API: the case is stored; start one with `rongju up` (or set PREFECT_API_URL)."
        )
    from prefect.deployments import run_deployment

    # Prefect's async_dispatch types run_deployment as returning `FlowRun | Coroutine[..., FlowRun]` and
    # without its `_sync` keyword; with `_sync=True` it runs the sync body, which returns a FlowRun.
    run_sync = cast("Callable[..., FlowRun]", run_deployment)
    with prefect_connection(api_url):
        flow_run = run_sync(
            DEPLOYMENT,
            parameters={"case_id": case_id},
            timeout=0,
            tags=["rongju", f"business:{business_type}"],
            idempotency_key=f"process-case:{case_id}:{attempt}",
            _sync=True,  # also when called inside a running event loop (a browser test, the API)
        )
    attach_flow_run(case_id, str(flow_run.id), UnitOfWork())
    return str(flow_run.id)


def flow_run_ui_url(flow_run_id: str | None) -> str | None:
    """Where a reviewer opens the run in the Prefect UI."""
    api_url = prefect_api_url()
    if not flow_run_id or not api_url:
        return None
    return f"{api_url.removesuffix('/api')}/runs/flow-run/{flow_run_id}"


def resume_when_paused(flow_run_id: str, run_input: dict[str, object], *, patience: float = 90) -> None:
    """Resume a suspended flow run with input. A run that has just recorded its outcome may still be
    on its way to suspending, so wait for it a little before giving up."""
    import time

    from prefect.exceptions import NotPausedError
    from prefect.flow_runs import resume_flow_run

    api_url = prefect_api_url()
    if api_url is None:
        raise PrefectUnavailable("No Prefect API: start one with `rongju up` (or set PREFECT_API_URL).")
    deadline = time.monotonic() + patience
    with prefect_connection(api_url):
        while True:
            try:
                resume_flow_run(UUID(flow_run_id), run_input=run_input)
                return
            except NotPausedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)


def add_tags(client: SyncPrefectClient, run_id: UUID, tags: set[str]) -> None:
    """Add `tags` to a flow run, keeping the tags it has (the one place runs are tagged)."""
    current = set(client.read_flow_run(run_id).tags or [])
    if not tags <= current:
        client.update_flow_run(run_id, tags=sorted(current | tags))


def tag_flow_runs(case_ids: list[str], tag: str) -> int:
    """Add `tag` (e.g. "overdue") to the cases' flow runs, so the UI shows and filters them.
    Returns how many runs were tagged; nothing happens without a running Prefect."""
    api_url = prefect_api_url()
    if api_url is None:
        return 0
    # Imported only now: importing Prefect configures logging (handlers on this process's stderr).
    from prefect import get_client

    from services.processing import read_case_state

    tagged = 0
    with prefect_connection(api_url), get_client(sync_client=True) as client:
        for case_id in case_ids:
            run_id = read_case_state(case_id, UnitOfWork()).flow_run_id
            if run_id is None:
                continue
            add_tags(client, UUID(run_id), {tag})
            tagged += 1
    return tagged


def wake_case_flow(case_id: str, *, event: str, patience: float = 90) -> str | None:
    """Let the case's flow go on after an outside event recorded in the case DB (card produced,
    delivered, picked up). Returns a flow run id that will carry on, or None without Prefect.

    The event is already stored, so waking is only about time: every suspended run of the case is
    resumed (two runs of one case are harmless — each effect is keyed — and none is left hanging);
    a run still busy before its wait is given `patience` to suspend (it may equally read the event
    and carry on by itself); when no run is alive, a new one reads where the case stands and goes on.
    """
    api_url = prefect_api_url()
    if api_url is None:
        return None
    # Prefect is imported only when there is one to talk to: importing it configures logging.
    import time

    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import PrefectException
    from prefect.flow_runs import resume_flow_run

    from services.processing import read_case_state

    state = read_case_state(case_id, UnitOfWork())
    alive = (StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING)
    deadline = time.monotonic() + patience
    with prefect_connection(api_url):
        while True:
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"case-{case_id}"]))
                )
            resumed: list[str] = []
            for run in runs:
                if run.state is not None and run.state.type is StateType.PAUSED:
                    try:
                        resume_flow_run(run.id)
                        resumed.append(str(run.id))
                    except (PrefectException, RuntimeError) as exc:  # e.g. a stale review wait
                        log.info("case %s: run %s not resumed: %s", case_id, run.id, type(exc).__name__)
            if resumed:
                return resumed[-1]
            busy = [r for r in runs if r.state is not None and r.state.type in alive]
            if not busy:
                break
            if time.monotonic() > deadline:
                log.warning("case %s: run still busy after %ss; it reads the event itself", case_id, patience)
                return str(busy[0].id)
            time.sleep(1)
    return start_case_flow(case_id, state.business_type, attempt=f"{event}-v{state.card_version}")
