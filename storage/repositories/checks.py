"""Checks: the rounds of automated checks recorded for a case."""

from __future__ import annotations

from sqlmodel import col, func, select

from models.tables import CheckResult
from storage.repositories.base import Repository


class Checks(Repository):
    def latest_round(self, case_id: str) -> int:
        """The number of the case's latest round of checks (0 before the first)."""
        latest = self._session.exec(
            select(func.max(CheckResult.round)).where(CheckResult.case_id == case_id)
        ).one()
        return int(latest or 0)

    def latest(self, case_id: str) -> list[CheckResult]:
        """The results of the case's latest round, in the order they were recorded."""
        return list(
            self._session.exec(
                select(CheckResult)
                .where(CheckResult.case_id == case_id, CheckResult.round == self.latest_round(case_id))
                .order_by(col(CheckResult.id))
            )
        )
