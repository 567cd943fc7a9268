"""Reconcile: finish print and label effects no live run will come back to.

A run killed with its machine may stay "Running" in Prefect (the open-source server has no heartbeat
timeout by default), so nothing would return to its pending effect. Reconcile takes an effect only
by the same claim a run takes (services/effects.py), so it is safe next to a live run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from models.tables import utcnow
from services.card_issue import PRINT_CARD, ProductionError
from services.card_spool import spool_card
from services.delivery import MAIL_LABEL, print_mail_label
from services.effects import takeable
from storage.db import UnitOfWork


@dataclass(frozen=True)
class Reconciled:
    case_id: str
    effect: str  # print_card | mail_label
    result: str  # what was done (Chinese + English)


def reconcile_pending(uow: UnitOfWork, *, older_than: timedelta = timedelta(minutes=10)) -> list[Reconciled]:
    """Finish effects whose record stayed `pending` (a process died between deciding the effect and
    recording it, and no run of the case came back — e.g. the machine was lost and Prefect still
    shows the run as running). Reconcile takes an effect only by the same claim a run takes: one
    pending (unclaimed) for longer than `older_than`, or one being written under a claim that lapsed
    (its lease ended, or its owner ran here and is gone) — never one a live writer holds.
    Status changes stay with the flow (`rongju replay`)."""
    now = utcnow()
    cutoff = now - older_than
    with uow:
        candidates = uow.effects.unfinished([PRINT_CARD, MAIL_LABEL])
    stale = [effect for effect in candidates if takeable(effect, now, cutoff)]
    done: list[Reconciled] = []
    for effect in stale:
        try:
            if effect.kind == PRINT_CARD:
                path = spool_card(effect.case_id, uow, reconcile_before=cutoff)
            else:
                path = print_mail_label(effect.case_id, uow, reconcile_before=cutoff)
        except ProductionError as exc:
            done.append(Reconciled(effect.case_id, effect.kind, f"未完成 not finished: {exc}"))
            continue
        what = path.name if path else "此前已完成或另有进程写入 done before or by another writer"
        done.append(Reconciled(effect.case_id, effect.kind, f"已补做 finished: {what}"))
    return done
