"""Reviews: reviewers' decisions (accepted or refused), spent codes, failures and locks."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import and_, col, func, or_, select

from models.tables import Review, ReviewerCodeFailure, ReviewerCodeUse, ReviewLock
from storage.repositories.base import Repository


class Reviews(Repository):
    def count(self, case_id: str) -> int:
        """How many review submissions the case has (accepted or refused)."""
        query = select(func.count()).select_from(Review).where(Review.case_id == case_id)
        return int(self._session.exec(query).one())

    def latest(self, case_id: str) -> Review | None:
        """The case's newest review row (a submission or a lock's audit row), if any."""
        return self._session.exec(
            select(Review).where(Review.case_id == case_id).order_by(col(Review.id).desc())
        ).first()

    def code_used(self, reviewer_id: str, time_step: int) -> bool:
        """Whether the reviewer's code of this TOTP step was spent before."""
        found = self._session.exec(
            select(ReviewerCodeUse.id).where(
                ReviewerCodeUse.reviewer_id == reviewer_id, ReviewerCodeUse.time_step == time_step
            )
        ).first()
        return found is not None

    def failures_since(
        self,
        since: datetime,
        moment: datetime,
        *,
        reviewer_id: str | None = None,
        case_id: str | None = None,
    ) -> int:
        """Wrong codes counted in (since, moment] — of one reviewer id and/or against one case."""
        query = (
            select(func.count())
            .select_from(ReviewerCodeFailure)
            .where(ReviewerCodeFailure.at > since, ReviewerCodeFailure.at <= moment)
        )
        if reviewer_id is not None:
            query = query.where(ReviewerCodeFailure.reviewer_id == reviewer_id)
        if case_id is not None:
            query = query.where(ReviewerCodeFailure.case_id == case_id)
        return int(self._session.exec(query).one())

    def active_lock(self, reviewer_id: str, case_id: str, moment: datetime) -> ReviewLock | None:
        """The lock that holds at `moment` for this reviewer, or for reviews of this case (the
        longest-lasting when several do)."""
        return self._session.exec(
            select(ReviewLock)
            .where(
                ReviewLock.locked_at <= moment,
                ReviewLock.until > moment,
                or_(
                    col(ReviewLock.reviewer_id) == reviewer_id,
                    and_(col(ReviewLock.reviewer_id).is_(None), col(ReviewLock.case_id) == case_id),
                ),
            )
            .order_by(col(ReviewLock.until).desc())
        ).first()

    def lock_taken(self, key: str) -> bool:
        """Whether the lock of this key (subject and lock period) exists already."""
        return self._session.exec(select(ReviewLock.id).where(ReviewLock.key == key)).first() is not None
