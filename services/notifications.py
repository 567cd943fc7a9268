"""Sending the applicant SMS from the notification outbox: each one exactly once.

Status changes write `Notification` rows in the same transaction as the change (the outbox); this
module delivers the `sms` ones. Exactly once across threads, processes and crashes rests on two
things:

- a claim: a conditional UPDATE (`state` and `attempts` as read) moves a row to `sending` and bumps
  `attempts`; of several senders racing for one row exactly one sees rowcount 1 and sends;
- an idempotent sender: the row's durable key goes with the message, so when a sender dies between
  the message and the record, the next run re-claims the stale `sending` row, sends again under the
  same key, and the provider (or the file outbox) recognises it — the applicant still gets one SMS.

States: pending -> sending -> sent, or back to pending after a sender error, or failed once
`max_attempts` sends have been tried. Staff notifications (channel "staff") are not SMS and are left
alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from models.masking import mask_phone
from models.tables import utcnow
from services.effects import compare_and_set
from storage.db import UnitOfWork

# The outbox's channel and states live with its repository (storage/repositories/notifications.py).
from storage.repositories.notifications import FAILED as FAILED
from storage.repositories.notifications import PENDING as PENDING
from storage.repositories.notifications import SENDING as SENDING
from storage.repositories.notifications import SENT as SENT
from storage.repositories.notifications import SMS as SMS
from storage.sms import SmsSender, get_sms_sender

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    """What one `send_pending` run did: sent now, sender errors, and rows another sender had."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class NotificationView:
    """One outbox row as it may leave the case DB: the phone masked (the body holds a masked name)."""

    key: str
    case_id: str
    channel: str
    recipient: str
    body: str
    state: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["created_at"] = self.created_at.isoformat()
        record["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        return record


@dataclass(frozen=True)
class _Row:
    """A candidate or a claimed row: what the conditional UPDATE compares and what the sender needs."""

    id: int
    key: str
    recipient: str
    body: str
    state: str
    attempts: int


def send_pending(
    uow: UnitOfWork,
    *,
    case_id: str | None = None,
    sender: SmsSender | None = None,
    stale_after: timedelta = timedelta(minutes=5),
    max_attempts: int = 5,
    _after_send: Callable[[], None] | None = None,
) -> SendReport:
    """Send every pending SMS (of one case, or all) once, and re-send stale claims of dead senders.

    `stale_after` must exceed the longest a sender may take: a claim older than that is taken to
    belong to a dead process. Re-sending it is safe because the sender is idempotent by key.
    `_after_send` is a test hook run between the send and its record (to simulate a crash there).
    """
    sender = sender or get_sms_sender()
    report = SendReport()
    for candidate in _candidates(case_id, stale_after, uow):
        if candidate.state == SENDING and candidate.attempts >= max_attempts:
            # A row whose senders died max_attempts times is given up on rather than retried forever;
            # a person decides from the outbox whether it went out.
            if _give_up(candidate, uow):
                report.failed += 1
                log.warning("sms %s given up after %d attempts", candidate.key, candidate.attempts)
            else:
                report.skipped += 1
            continue
        claimed = _claim(candidate, uow)
        if claimed is None:
            report.skipped += 1
            continue
        masked = mask_phone(claimed.recipient)
        try:
            message_id = sender.send(key=claimed.key, recipient=claimed.recipient, body=claimed.body)
        except Exception as error:
            state = _record_failure(claimed, max_attempts, uow)
            report.failed += 1
            # Only the error's type: a provider's message may echo the phone number or the body.
            log.warning(
                "sms %s to %s failed (attempt %d of %d, now %s): %s",
                claimed.key,
                masked,
                claimed.attempts,
                max_attempts,
                state,
                type(error).__name__,
            )
            continue
        if _after_send is not None:
            _after_send()
        if _record_sent(claimed, uow):
            report.sent += 1
            log.info("sms %s sent to %s as %s", claimed.key, masked, message_id)
        else:
            # Our claim went stale and another sender re-claimed the row; the message is the same one
            # (same key), and that sender records it.
            report.skipped += 1
            log.warning("sms %s sent to %s but re-claimed meanwhile; raise stale_after", claimed.key, masked)
    return report


def _candidates(case_id: str | None, stale_after: timedelta, uow: UnitOfWork) -> Iterator[_Row]:
    # A `sending` row whose claim is older than the cutoff belongs to a sender that died.
    cutoff = utcnow() - stale_after
    # Read in a transaction of its own, closed before any claim: on SQLite a transaction that read
    # first and writes later fails at once instead of waiting for a concurrent writer.
    with uow:
        rows = uow.notifications.sms_to_send(case_id, cutoff)
    for row in rows:
        assert row.id is not None
        yield _Row(
            id=row.id,
            key=row.key,
            recipient=row.recipient,
            body=row.body,
            state=row.state,
            attempts=row.attempts,
        )


# Each change below is the same compare-and-set as an effect's claim (services/effects.py), on the
# row's `state` and `attempts` as read. A notice's claim differs in what it compares: `attempts` is
# its owner token (each claim bumps it, so a sender whose claim was taken over no longer matches),
# and its lease is `claimed_at` + the caller's `stale_after`.


def _claim(row: _Row, uow: UnitOfWork) -> _Row | None:
    """Claim `row` for this sender; None when another sender changed it first."""
    claimed = compare_and_set(lambda: uow.notifications.claim_to_send(row.id, row.state, row.attempts), uow)
    if not claimed:
        return None
    return replace(row, state=SENDING, attempts=row.attempts + 1)


def _record_sent(claimed: _Row, uow: UnitOfWork) -> bool:
    return compare_and_set(
        lambda: uow.notifications.mark_sent(claimed.id, claimed.state, claimed.attempts), uow
    )


def _record_failure(claimed: _Row, max_attempts: int, uow: UnitOfWork) -> str:
    state = FAILED if claimed.attempts >= max_attempts else PENDING
    compare_and_set(
        lambda: uow.notifications.release(claimed.id, claimed.state, claimed.attempts, state), uow
    )
    return state


def _give_up(stale: _Row, uow: UnitOfWork) -> bool:
    return compare_and_set(
        lambda: uow.notifications.release(stale.id, stale.state, stale.attempts, FAILED), uow
    )


def list_notifications(
    uow: UnitOfWork, case_id: str | None = None, state: str | None = None
) -> list[NotificationView]:
    """The outbox, oldest first, optionally of one case and in one state; phones masked."""
    with uow:
        rows = uow.notifications.listed(case_id, state)
    return [
        NotificationView(
            key=row.key,
            case_id=row.case_id,
            channel=row.channel,
            # Staff notifications go to a roster id (staff, not applicant data); SMS go to a phone.
            recipient=mask_phone(row.recipient) if row.channel == SMS else row.recipient,
            body=row.body,
            state=row.state,
            attempts=row.attempts,
            created_at=row.created_at,
            sent_at=row.sent_at,
        )
        for row in rows
    ]
