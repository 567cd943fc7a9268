"""Notifications: the outbox of SMS to applicants and notices to supervisors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import col, or_, select, update

from models.tables import Notification, utcnow
from storage.repositories.base import Repository

SMS = "sms"
# An SMS's states: pending -> sending (claimed) -> sent, or back to pending, or failed.
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"


class Notifications(Repository):
    def sms_to_send(self, case_id: str | None, stale_before: datetime) -> list[Notification]:
        """SMS waiting to go out, oldest first (of one case when given): pending ones, and those whose
        sender claimed them before `stale_before` (it died)."""
        query = select(Notification).where(
            Notification.channel == SMS,
            or_(
                col(Notification.state) == PENDING,
                (col(Notification.state) == SENDING)
                & or_(col(Notification.claimed_at).is_(None), col(Notification.claimed_at) <= stale_before),
            ),
        )
        if case_id is not None:
            query = query.where(Notification.case_id == case_id)
        return list(self._session.exec(query.order_by(col(Notification.id))))

    def listed(self, case_id: str | None = None, state: str | None = None) -> list[Notification]:
        """The outbox, oldest first; of one case and in one state when given."""
        query = select(Notification)
        if case_id is not None:
            query = query.where(Notification.case_id == case_id)
        if state is not None:
            query = query.where(Notification.state == state)
        return list(self._session.exec(query.order_by(col(Notification.created_at), col(Notification.id))))

    def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these durable keys are in the outbox already."""
        return set(self._session.exec(select(Notification.key).where(col(Notification.key).in_(list(keys)))))

    # Claims: `state` and `attempts` as read name the row; `attempts` is the claim's owner token (each
    # claim bumps it, so a sender whose claim was taken over no longer matches).

    def claim_to_send(self, row_id: int, state: str, attempts: int) -> bool:
        """-> sending for this sender: attempts + 1, claimed now."""
        return self._if_unchanged(
            row_id,
            state,
            attempts,
            {"state": SENDING, "attempts": Notification.attempts + 1, "claimed_at": utcnow()},
        )

    def mark_sent(self, row_id: int, state: str, attempts: int) -> bool:
        """-> sent, while the row is still as this sender's claim left it."""
        return self._if_unchanged(row_id, state, attempts, {"state": SENT, "sent_at": utcnow()})

    def release(self, row_id: int, state: str, attempts: int, to_state: str) -> bool:
        """-> `to_state` (pending for another try, or failed), the claim dropped."""
        return self._if_unchanged(row_id, state, attempts, {"state": to_state, "claimed_at": None})

    def _if_unchanged(self, row_id: int, state: str, attempts: int, values: dict[str, Any]) -> bool:
        return self._claim(
            update(Notification)
            .where(
                col(Notification.id) == row_id,
                col(Notification.state) == state,
                col(Notification.attempts) == attempts,
            )
            .values(**values)
        )
