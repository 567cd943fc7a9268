"""Admin replay: start a case's flow again from its stored inputs, and list the cases that failed.

A replay is a new flow run of `process-case` with the same parameter (the case id). The flow reads
where the case stands in the case DB and carries on from there, so what already happened — checks,
decisions, card numbers, spool entries, waybills, notices — is skipped. Every replay is a row in the
`replay` audit table. Retry on a failed run in the Prefect UI re-runs the same flow function and so
behaves the same way (it is audited by Prefect's own state history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from models.tables import Replay
from services.dispatch import PrefectUnavailable, start_case_flow
from services.stack import DEPLOYMENT, ZOMBIE_AFTER_SECONDS, prefect_api_url, prefect_connection
from storage.db import UnitOfWork

# Prefect state types of a run that is still alive: replaying it would race a live run.
ACTIVE = frozenset({"SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING"})
FAILED = frozenset({"FAILED", "CRASHED"})


@dataclass(frozen=True)
class ReplayResult:
    case_id: str
    replayed: bool
    flow_run_id: str | None
    note: str  # why not, or what was started (Chinese + English)


@dataclass(frozen=True)
class FailedCase:
    """A case whose newest flow run failed or crashed, with the step that failed."""

    case_id: str
    status: str
    flow_run_id: str
    state: str  # FAILED | CRASHED
    failed_at: datetime | None
    step: str  # the task that failed, or "flow" when the run itself died
    error: str


def replay_cases(
    case_ids: list[str],
    uow: UnitOfWork,
    *,
    actor: str,
    reason: str = "",
    force: bool = False,
) -> list[ReplayResult]:
    """Start each case's flow again (audited). A case whose run is still alive is left alone unless
    `force` (two live runs of one case are safe — every effect is keyed — but confusing)."""
    if prefect_api_url() is None:
        raise PrefectUnavailable(
            "Prefect 未运行，请先执行 `rongju up`。 No Prefect API: run `rongju up` first."
        )
    results: list[ReplayResult] = []
    for case_id in case_ids:
        with uow:
            case = uow.cases.get(case_id)
            previous = case.flow_run_id
            status, business_type = case.status, case.business_type
            replays = uow.replays.count(case_id)
        live = _run_state(previous)
        if live in ACTIVE and not force:
            results.append(
                ReplayResult(
                    case_id,
                    False,
                    previous,
                    f"流程仍在运行（{live}），未重放；如确需重放请加 --force。 "
                    f"Its flow run is still {live}; not replayed (use --force).",
                )
            )
            continue
        run_id = start_case_flow(case_id, business_type, attempt=f"replay-{replays + 1}")
        with uow:
            uow.add(
                Replay(
                    case_id=case_id,
                    actor=actor,
                    reason=reason,
                    status_at_replay=status,
                    previous_flow_run_id=previous,
                    flow_run_id=run_id,
                )
            )
            uow.commit()
        results.append(ReplayResult(case_id, True, run_id, f"已重放 replayed as run {run_id}"))
    return results


def replays_of(case_id: str, uow: UnitOfWork) -> list[Replay]:
    with uow:
        return uow.replays.of_case(case_id)


def _run_state(flow_run_id: str | None) -> str | None:
    if flow_run_id is None:
        return None
    from prefect import get_client

    api_url = prefect_api_url()
    if api_url is None:
        return None
    with prefect_connection(api_url), get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(flow_run_id)).state
    return state.type.value if state else None


def crash_silent_runs(client: Any, deployment_filter: Any) -> list[str]:
    """Mark Crashed every case-flow run that says Running (or Pending) but has sent no heartbeat for
    ZOMBIE_AFTER_SECONDS: its process or its whole host died, and Prefect's open-source server
    would show it Running for good. Returns the runs marked.

    Not a Prefect automation on missing heartbeats (Prefect's documented recipe): a run that
    suspends for a reviewer can send one last heartbeat after its Suspended event, and that recipe
    would then crash a run waiting for a person. Here a run is judged by its state now: Running, and
    silent for longer than three heartbeats, or Pending that long."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter, EventResourceFilter

    now = datetime.now(UTC)
    silent_since = now - timedelta(seconds=ZOMBIE_AFTER_SECONDS)
    live = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING]))
    )
    crashed: list[str] = []
    for run in _all_flow_runs(client, live, deployment_filter):
        if run.state is None or run.state.timestamp > silent_since:
            continue  # in this state for less than the silence that counts
        if run.state.is_pending():
            # Taken by a worker whose process never started it (a flow-run process starts in
            # seconds): the worker or its host died in between.
            if _crash(client, run.id):
                crashed.append(str(run.id))
            continue
        # Running for longer than the silence: any heartbeat within it? (A run killed in its first
        # seconds may never have delivered one; rongju's workers always set the heartbeat, so
        # silence means death — a worker started by hand must set PREFECT_FLOWS_HEARTBEAT_FREQUENCY.)
        beats = client.read_events(
            filter=EventFilter(
                occurred=EventOccurredFilter(since=silent_since, until=now),
                event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
                resource=EventResourceFilter(id=[f"prefect.flow-run.{run.id}"]),
            ),
            limit=1,
        )
        if not beats.events and _crash(client, run.id):
            crashed.append(str(run.id))
    return crashed


def _all_flow_runs(client: Any, flow_run_filter: Any, deployment_filter: Any) -> list[Any]:
    """Every flow run the filters match (the API pages by at most 200)."""
    runs: list[Any] = []
    while True:
        page = client.read_flow_runs(
            flow_run_filter=flow_run_filter, deployment_filter=deployment_filter, limit=200, offset=len(runs)
        )
        runs.extend(page)
        if len(page) < 200:
            return runs


def _crash(client: Any, run_id: UUID) -> bool:
    """Mark the run Crashed for its silence; whether Prefect accepted it."""
    from prefect.states import Crashed

    message = (
        f"流程运行 {ZOMBIE_AFTER_SECONDS} 秒无心跳（进程或主机已退出）/ no heartbeat for "
        f"{ZOMBIE_AFTER_SECONDS} s: its process or host died"
    )
    result = client.set_flow_run_state(run_id, state=Crashed(message=message))
    return bool(result.status.value == "ACCEPT")


def failed_cases(uow: UnitOfWork, *, since: datetime | None = None) -> list[FailedCase]:
    """Cases whose newest flow run failed or crashed (since a time), with the failing step and error."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
        TaskRunFilter,
        TaskRunFilterFlowRunId,
        TaskRunFilterState,
        TaskRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    api_url = prefect_api_url()
    if api_url is None:
        raise PrefectUnavailable(
            "Prefect 未运行，请先执行 `rongju up`。 No Prefect API: run `rongju up` first."
        )
    failed_types = [StateType.FAILED, StateType.CRASHED]
    run_filter = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=failed_types)),
        start_time=FlowRunFilterStartTime(after_=since) if since else None,
    )
    deployment_filter = DeploymentFilter(name=DeploymentFilterName(any_=[DEPLOYMENT.split("/", 1)[1]]))
    out: list[FailedCase] = []
    with prefect_connection(api_url), get_client(sync_client=True) as client:
        crash_silent_runs(client, deployment_filter)
        runs = _all_flow_runs(client, run_filter, deployment_filter)
        by_id = {str(run.id): run for run in runs}
        with uow:
            cases = uow.cases.of_flow_runs(by_id)
        for case in cases:
            run = by_id[str(case.flow_run_id)]
            tasks = client.read_task_runs(
                task_run_filter=TaskRunFilter(
                    flow_run_id=TaskRunFilterFlowRunId(any_=[run.id]),
                    state=TaskRunFilterState(type=TaskRunFilterStateType(any_=failed_types)),
                )
            )
            if tasks:
                failing = max(tasks, key=lambda t: t.end_time or t.expected_start_time or run.start_time)
                step = failing.name.rsplit("-", 1)[0]
                error = (failing.state.message if failing.state else "") or ""
            else:
                step, error = "flow", (run.state.message if run.state else "") or ""
            out.append(
                FailedCase(
                    case_id=case.id,
                    status=case.status,
                    flow_run_id=str(run.id),
                    state=run.state.type.value if run.state else "?",
                    failed_at=run.end_time or (run.state.timestamp if run.state else None),
                    step=step,
                    error=error,
                )
            )
    return sorted(out, key=lambda f: f.case_id)
