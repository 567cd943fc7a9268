"""Tasks that read and remember where a case stands."""

from __future__ import annotations

from prefect import task
from prefect.runtime import flow_run

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
