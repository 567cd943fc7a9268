"""Where a case stands in card production and delivery: what the flow does next, and what
`rongju status` shows. It reads like the process; each step lives with its responsibility:

1. number the card and fix its face — services/card_issue.py
2. hand the PDF to the card centre, record its confirmation — services/card_spool.py
3. mail it (waybill, label) or hold it for pickup, record the handover, close — services/delivery.py
4. finish effects no live run will come back to — services/reconcile.py

Every real-world effect goes through one ledger (services/effects.py): a durable key under a unique
constraint before the effect, claimed (pending -> writing, owner + lease) before its file is
written, done once. Whatever retries, replays, duplicate runs or kills happen, each card has one
spool entry, one waybill and one notice per status.
"""

from __future__ import annotations

from enum import StrEnum

from models.card import CardFace
from models.status import CaseStatus
from services.card_issue import CARD_FEE, PRINT_CARD
from services.delivery import MAIL_LABEL
from services.effects import DONE
from storage.db import UnitOfWork


class NextStep(StrEnum):
    """Where a case in production or delivery stands: what the flow does next."""

    ALLOCATE_CARD = "allocate_card"  # number the card and fix its face
    SPOOL_CARD = "spool_card"  # hand the PDF to the card centre
    AWAIT_PRODUCTION = "await_production"  # the card centre has not confirmed yet
    DISPATCH = "dispatch"  # waybill or pickup code, status 已寄出 / 待领取
    PRINT_LABEL = "print_label"  # the EMS label and manifest (mail only)
    AWAIT_HANDOVER = "await_handover"  # not yet delivered / picked up
    COMPLETE = "complete"  # 办结
    NOTHING = "nothing"  # not in production or delivery


def next_step(case_id: str, uow: UnitOfWork) -> NextStep:
    """What the case needs next in production and delivery, read from the case DB."""
    with uow:
        case = uow.cases.get(case_id)
        status = CaseStatus(case.status)
        if status not in (CaseStatus.IN_PRODUCTION, CaseStatus.MAILED, CaseStatus.AWAITING_PICKUP):
            return NextStep.NOTHING
        issue = uow.cards.current(case)
        delivery = uow.deliveries.current(case)
        effects = uow.effects.states(case.id, case.card_version, (PRINT_CARD, MAIL_LABEL, CARD_FEE))
    if status is CaseStatus.IN_PRODUCTION:
        if issue is None:
            return NextStep.ALLOCATE_CARD
        if effects.get(PRINT_CARD) != DONE:
            return NextStep.SPOOL_CARD
        if issue.produced_at is None:
            return NextStep.AWAIT_PRODUCTION
        return NextStep.DISPATCH
    if delivery is not None and delivery.method == "mail" and effects.get(MAIL_LABEL) != DONE:
        return NextStep.PRINT_LABEL
    if delivery is None or delivery.handed_over_at is None:
        return NextStep.AWAIT_HANDOVER
    return NextStep.COMPLETE


def production_summary(case_id: str, uow: UnitOfWork) -> dict[str, object] | None:
    """Card and delivery of the case's current card, for `rongju status` (no pickup code: that is
    the applicant's to show at the counter)."""
    with uow:
        case = uow.cases.get(case_id)
        issue = uow.cards.current(case)
        if issue is None:
            return None
        delivery = uow.deliveries.current(case)
    return {
        "card_no": issue.card_no,
        "card_version": issue.card_version,
        "issued_on": issue.issued_on.isoformat(),
        "spooled": issue.spooled_at is not None,
        "produced": issue.produced_at is not None,
        "missing_fields": CardFace.model_validate(issue.face).missing_fields(),
        "delivery": delivery.method if delivery else None,
        "waybill_no": delivery.waybill_no if delivery else None,
        "handed_over": bool(delivery and delivery.handed_over_at),
    }
