"""Automated assessment of a stored case: shared-data checks, the policy decision and the station.

This is the pure core the case flow runs (its tasks call these functions); the demo and the CLI use
it too. Document facts come from the document stage; without them the document checks stay
unevaluated and the decision never auto-approves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from config.city import load_city, load_policy, load_reason_catalogue
from config.requirements import load_requirements
from config.settings import today
from models.checks import gather_applicant_data, gather_by_id, run_checks
from models.checks.facts import DocumentFacts
from models.checks.result import CheckOutcome
from models.decision import Decision, decide
from models.package import ApplicationPackage, DocumentKind
from models.residence_years import ResidencePeriod, residence_period
from models.routing import Routing, route_address
from storage.db import UnitOfWork
from storage.shared_data import SharedData, SnapshotError, get_shared_data


@dataclass(frozen=True)
class Assessment:
    case_id: str
    routing: Routing
    outcomes: list[CheckOutcome]
    decision: Decision


def assess_case(
    case_id: str,
    uow: UnitOfWork,
    *,
    facts: DocumentFacts | None = None,
    document_outcomes: Sequence[CheckOutcome] = (),
    shared: SharedData | None = None,
    on: date | None = None,
) -> Assessment:
    """Check a stored case against the shared data and the policy, and find its station.

    `document_outcomes` are the per-file checks of the document stage (unreadable, too small, ...):
    they join the decision, so one correction notice lists every defect at once.
    """
    with uow:
        case = uow.cases.get(case_id)
        kinds = [document.kind for document in uow.documents.current(case_id)]
        application = ApplicationPackage.model_validate(case.application)
    present = {DocumentKind(kind) for kind in kinds}
    shared = shared or get_shared_data()
    day = on or today()
    data = gather_applicant_data(shared, application, facts)
    reasons = load_reason_catalogue()
    checks = run_checks(
        application, data, facts, present, load_requirements(), day, policy=load_policy(), reasons=reasons
    )
    outcomes = [*(o.worded(reasons) for o in document_outcomes), *checks]
    return Assessment(
        case_id=case_id,
        routing=route_address(application.residence_address, load_city()),
        outcomes=outcomes,
        decision=decide(outcomes, load_policy()),
    )


def residence_of(id_number: str, *, on: date | None = None) -> ResidencePeriod | None:
    """The applicant's accumulated continuous residence, or None when no shared data is loaded."""
    try:
        shared = get_shared_data()
    except (SnapshotError, FileNotFoundError):
        return None
    data = gather_by_id(shared, id_number)
    policy = load_policy()
    return residence_period(
        data.registrations, data.permits, on or today(), window_days=policy.endorsement_window_days
    )
