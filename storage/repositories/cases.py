"""Cases: the case row, its status history, and the claims that move it exactly once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select as select_columns
from sqlmodel import col, func, or_, select, update

from models.sla import OPEN_STATUSES
from models.status import CaseStatus
from models.tables import Case, CheckResult, StatusTransition, utcnow
from storage.repositories.base import Repository

# What the statutory clock reads of an open, accepted case: id, status, station, bureau, accepted_on,
# clock_paused_on, paused_days, escalated.
OpenClock = tuple[str, str, str | None, str | None, date, date | None, int, bool]


class CaseNotFound(LookupError):
    """No case with that id in the case DB (the one error every case service raises for it)."""


class Cases(Repository):
    def get(self, case_id: str) -> Case:
        """The case as stored now (re-read, not a cached copy); CaseNotFound when there is none."""
        case = self._session.get(Case, case_id, populate_existing=True)
        if case is None:
            raise CaseNotFound(case_id)
        return case

    def find(self, case_id: str) -> Case | None:
        return self._session.get(Case, case_id, populate_existing=True)

    def lock(self, case_id: str) -> Case | None:
        """The case re-read under a row lock (PostgreSQL; SQLite lets one writer in at a time):
        a concurrent transaction waits here until this one ends, then sees what it wrote."""
        return self._session.get(Case, case_id, with_for_update=True, populate_existing=True)

    def by_submission(self, submission_id: str) -> Case | None:
        return self._session.exec(select(Case).where(Case.submission_id == submission_id)).first()

    def by_id_or_submission(self, case_or_submission_id: str) -> Case | None:
        return self._session.exec(
            select(Case).where(
                or_(col(Case.id) == case_or_submission_id, col(Case.submission_id) == case_or_submission_id)
            )
        ).first()

    def of_flow_runs(self, flow_run_ids: Iterable[str]) -> list[Case]:
        """The cases whose (newest) flow run is one of these."""
        return list(self._session.exec(select(Case).where(col(Case.flow_run_id).in_(list(flow_run_ids)))))

    def listed(self, status: CaseStatus | None = None) -> list[Case]:
        """Cases, oldest first; only those in `status` when given."""
        query = select(Case).order_by(col(Case.submitted_at), col(Case.id))
        if status is not None:
            query = query.where(Case.status == status.value)
        return list(self._session.exec(query))

    def timeline(self, case_id: str) -> list[StatusTransition]:
        """The case's status changes, oldest first."""
        return list(
            self._session.exec(
                select(StatusTransition)
                .where(StatusTransition.case_id == case_id)
                .order_by(col(StatusTransition.at), col(StatusTransition.id))
            )
        )

    def times_moved_to(self, case_id: str, status: CaseStatus) -> int:
        """How often the case entered `status` (e.g. sent back for correction)."""
        query = (
            select(func.count())
            .select_from(StatusTransition)
            .where(StatusTransition.case_id == case_id, StatusTransition.to_status == status.value)
        )
        return int(self._session.exec(query).one())

    # Claims: a conditional UPDATE that exactly one of two racing transactions wins (base.Repository).

    def claim_outcome(self, case_id: str, outcome: str) -> bool:
        """Record the automated outcome of a case that has none yet."""
        return self._claim(
            update(Case)
            .where(col(Case.id) == case_id, col(Case.outcome).is_(None))
            .values(outcome=outcome, updated_at=utcnow())
        )

    def claim_in_status(self, case_id: str, *statuses: CaseStatus) -> bool:
        """Claim a case that is still in one of `statuses`, to move it on in this transaction."""
        return self._claim(
            update(Case)
            .where(col(Case.id) == case_id, col(Case.status).in_([s.value for s in statuses]))
            .values(updated_at=utcnow())
        )

    def claim_for_decision(self, case_id: str, shown_round: int | None) -> bool:
        """Claim a case that waits for its reviewer — and, when `shown_round` is given, has not
        been checked again since the form showed that round of checks."""
        fresh = () if shown_round is None else (_current_round(case_id) == shown_round,)
        return self._claim(
            update(Case).where(*_waiting_for_review(case_id), *fresh).values(updated_at=utcnow())
        )

    def waits_for_review(self, case_id: str) -> bool:
        return (
            self._session.exec(select(col(Case.id)).where(*_waiting_for_review(case_id))).first() is not None
        )

    def open_clocks(self, accepted_by: date) -> list[OpenClock]:
        """The statutory clock's inputs of every open case accepted on or before `accepted_by`,
        oldest accepted first (no personal data)."""
        query = (
            select_columns(
                col(Case.id),
                col(Case.status),
                col(Case.station_id),
                col(Case.bureau),
                col(Case.accepted_on),
                col(Case.clock_paused_on),
                col(Case.paused_days),
                col(Case.escalated),
            )
            .where(col(Case.status).in_([s.value for s in OPEN_STATUSES]))
            .where(col(Case.accepted_on).is_not(None))
            .where(col(Case.accepted_on) <= accepted_by)
            .order_by(col(Case.accepted_on), col(Case.id))
        )
        return list(self._session.execute(query).all())


def _waiting_for_review(case_id: str) -> tuple[Any, ...]:
    return (
        col(Case.id) == case_id,
        col(Case.status) == CaseStatus.UNDER_REVIEW.value,
        col(Case.outcome) == "needs_review",
    )


def _current_round(case_id: str) -> Any:
    """The case's latest round of checks, as a SQL expression (0 before the first)."""
    latest = select(func.max(CheckResult.round)).where(col(CheckResult.case_id) == case_id)
    return func.coalesce(latest.scalar_subquery(), 0)
