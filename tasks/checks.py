"""Tasks of the automated part: read the documents, check the case, record the outcome and route."""

from __future__ import annotations

from uuid import UUID

from prefect import get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run

from models.checks.facts import DocumentFacts
from services.assessment import Assessment, assess_case
from services.dispatch import add_tags
from services.documents import DocumentsRead, read_case_documents
from services.processing import CaseState, record_assessment
from storage.db import UnitOfWork
from tasks.policy import STEP


@task(**STEP)
def read_documents(case_id: str) -> DocumentsRead:
    """Preprocess every uploaded file and extract its fields (bad files become reason codes)."""
    documents = read_case_documents(case_id, UnitOfWork())
    get_run_logger().info("documents read: %d files, %d problems", documents.files, len(documents.problems))
    return documents


@task(**STEP)
def check_case(case_id: str, documents: DocumentsRead) -> Assessment:
    """Cross-check the case against the shared data and the documents; decide by the policy."""
    facts: DocumentFacts | None = documents.facts
    assessment = assess_case(case_id, UnitOfWork(), facts=facts, document_outcomes=documents.outcomes)
    get_run_logger().info(
        "checks: %s, reasons %s, station %s",
        assessment.decision.outcome,
        [r.value for r in assessment.decision.reasons],
        assessment.routing.station_id,
    )
    return assessment


@task(**STEP)
def record_outcome(case_id: str, assessment: Assessment) -> CaseState:
    """Store the checks, the station and the outcome; move the status and queue the applicant's SMS."""
    return record_assessment(case_id, assessment, UnitOfWork())


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
