"""Review-page sessions and the audit of what each reviewer viewed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, update

from models.tables import ReviewSession
from storage.repositories.base import Repository


class ReviewSessions(Repository):
    def get(self, session_id: str) -> ReviewSession | None:
        """The review-page session of that id (live, expired or revoked), if any."""
        return self._session.get(ReviewSession, session_id)

    def revoke_all(self, reviewer_id: str, at: datetime) -> int:
        """End every live session of the reviewer as of `at`; the number ended."""
        return self._update(
            update(ReviewSession)
            .where(col(ReviewSession.reviewer_id) == reviewer_id, col(ReviewSession.revoked_at).is_(None))
            .values(revoked_at=at)
        )
