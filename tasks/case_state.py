"""Tasks that read and remember where a case stands, and label its flow run."""

from __future__ import annotations

from uuid import UUID

from prefect import task
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run

from services.dispatch import add_tags
from services.processing import CaseState as CaseState  # re-exported: flows/ do not import services/
from services.processing import attach_flow_run, read_case_state
from storage.db import UnitOfWork
from tasks.policy import STEP


@task(**STEP)
def load_case(case_id: str) -> CaseState:
    """Read the case's status, outcome and counters from the case DB (the source of truth)."""
    return read_case_state(case_id, UnitOfWork())


@task(**STEP)
def remember_flow_run(case_id: str) -> None:
    """Store this flow run's id on the case, so `rongju status` links to it."""
    run_id = flow_run.get_id()
    if run_id:
        attach_flow_run(case_id, str(run_id), UnitOfWork())


@task(**STEP)
def tag_flow_run(state: CaseState) -> None:
    """Tag this run with the case's station, 分局 and business type (reviewers filter by them)."""
    run_id = flow_run.get_id()
    if not run_id:
        return
    wanted = {f"business:{state.business_type}"}
    if state.station_id:
        wanted.add(f"station:{state.station_id}")
    if state.bureau:
        wanted.add(f"bureau:{state.bureau}")
    with get_client(sync_client=True) as client:
        add_tags(client, UUID(str(run_id)), wanted)
