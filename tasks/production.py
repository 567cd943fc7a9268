"""Tasks of card production and delivery, and of sending the applicant's notices. One step each;
the exactly-once bookkeeping lives in services/production.py and services/notifications.py."""

from __future__ import annotations

from prefect import get_run_logger, task

from models.status import CaseStatus
from services import production
from services.notifications import send_pending
from tasks.policy import STEP


@task(**STEP)
def find_next_step(case_id: str) -> production.NextStep:
    """Where the case stands in production and delivery, from the case DB."""
    return production.next_step(case_id)


@task(**STEP)
def number_card(case_id: str) -> None:
    """Allocate the card number and fix the card face (once per card)."""
    card = production.allocate_card(case_id)
    if card.missing_fields:
        get_run_logger().warning("card %s: not read from the ID card: %s", card.card_no, card.missing_fields)


@task(**STEP)
def print_card(case_id: str) -> None:
    """Put the card's PDF into the card centre's spool (exactly one entry per card)."""
    path = production.spool_card(case_id)
    get_run_logger().info("card spooled: %s", path.name if path else "earlier")


@task(**STEP)
def dispatch_card(case_id: str) -> CaseStatus:
    """Mail the produced card (waybill) or hold it for pickup (pickup code); notify the applicant."""
    return production.dispatch_card(case_id)


@task(**STEP)
def print_mail_label(case_id: str) -> None:
    """Print the EMS label and put the card on the day's mailing manifest (once per waybill)."""
    production.print_mail_label(case_id)


@task(**STEP)
def complete_case(case_id: str) -> CaseStatus:
    """Close the case (办结) once the card has reached the applicant."""
    return production.complete_case(case_id)


@task(**STEP)
def send_notices(case_id: str) -> None:
    """Send the case's pending SMS notices (each once, whatever retries or replays happen)."""
    report = send_pending(case_id=case_id)
    get_run_logger().info("notices: %d sent, %d failed", report.sent, report.failed)
