"""Replays: an admin's re-runs of a case's flow."""

from __future__ import annotations

from sqlmodel import col, func, select

from models.tables import Replay
from storage.repositories.base import Repository


class Replays(Repository):
    def of_case(self, case_id: str) -> list[Replay]:
        """The case's replays, oldest first."""
        return list(
            self._session.exec(select(Replay).where(Replay.case_id == case_id).order_by(col(Replay.id)))
        )

    def count(self, case_id: str) -> int:
        """How many times the case was replayed."""
        query = select(func.count()).select_from(Replay).where(Replay.case_id == case_id)
        return int(self._session.exec(query).one())
