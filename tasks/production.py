"""Tasks of card production and delivery, and of sending the applicant's notices. One step each;
the exactly-once bookkeeping lives in services/effects.py (the effect ledger) and
services/notifications.py (the outbox)."""

from __future__ import annotations

from prefect import get_run_logger, task

from models.status import CaseStatus
from services import card_issue, card_spool, delivery
from services.notifications import send_pending
from services.production import NextStep as NextStep  # re-exported: flows/ do not import services/
from services.production import next_step
from storage.db import UnitOfWork
from tasks.policy import STEP


@task(**STEP)
def find_next_step(case_id: str) -> NextStep:
    """Where the case stands in production and delivery, from the case DB."""
    return next_step(case_id, UnitOfWork())


@task(**STEP)
def number_card(case_id: str) -> None:
    """Allocate the card number and fix the card face (once per card)."""
    card = card_issue.allocate_card(case_id, UnitOfWork())
    if card.missing_fields:
        get_run_logger().warning("card %s: not read from the ID card: %s", card.card_no, card.missing_fields)


@task(**STEP)
def print_card(case_id: str) -> None:
    """Put the card's PDF into the card centre's spool (exactly one entry per card)."""
    path = card_spool.spool_card(case_id, UnitOfWork())
    get_run_logger().info("card spooled: %s", path.name if path else "earlier")


@task(**STEP)
def dispatch_card(case_id: str) -> CaseStatus:
    """Mail the produced card (waybill) or hold it for pickup (pickup code); notify the applicant."""
    return delivery.dispatch_card(case_id, UnitOfWork())


@task(**STEP)
def print_mail_label(case_id: str) -> None:
    """Print the EMS label and put the card on the day's mailing manifest (once per waybill)."""
    delivery.print_mail_label(case_id, UnitOfWork())


@task(**STEP)
def complete_case(case_id: str) -> CaseStatus:
    """Close the case (办结) once the card has reached the applicant."""
    return delivery.complete_case(case_id, UnitOfWork())


@task(**STEP)
def send_notices(case_id: str) -> None:
    """Send the case's pending SMS notices (each once, whatever retries or replays happen)."""
    report = send_pending(UnitOfWork(), case_id=case_id)
    get_run_logger().info("notices: %d sent, %d failed", report.sent, report.failed)
