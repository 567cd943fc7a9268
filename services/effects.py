"""The effect ledger: every real-world effect under a durable key, claimed before it is done.

An effect (print a card, print a label, a card fee, a review submission) is a `side_effect` row whose
key is built from the case (`print-card:{case}:{version}`), unique, and written *before* the effect
in the transaction that decides it. A `done` effect is never repeated.

Effects that write a file are claimed before they are written: a conditional UPDATE moves the row
pending -> writing with an owner (host:pid:token) and a lease (EFFECT_LEASE), and the writer records
writing -> done only while it still owns it. Of two claimants exactly one matches. Anyone may take
over a claim whose lease ended, or whose owner ran on this machine and its process is gone; a run
finding a live writer waits for it rather than writing the file too.

Claims of every kind — effects here, the notification outbox (services/notifications.py) — are one
compare-and-set: `compare_and_set` runs the conditional UPDATE in a transaction of its own and
commits only when exactly the row read still matched.

Counters (`uow.counters.bump`) number things inside the transaction that stores them: a racing
transaction fails on the unique constraint and its bump rolls back with it.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from models.tables import SideEffect, as_utc, utcnow
from storage.db import UnitOfWork

# The ledger's states, key and done row live with its repository (storage/repositories/effects.py).
from storage.repositories.effects import DONE as DONE
from storage.repositories.effects import PENDING as PENDING
from storage.repositories.effects import WRITING as WRITING
from storage.repositories.effects import done_effect as done_effect
from storage.repositories.effects import effect_key as effect_key

log = logging.getLogger(__name__)

# How long a writer's claim on a print or label effect holds. Writing one PDF and its manifest takes
# well under a second; a writer that died without a trace elsewhere keeps the effect this long.
EFFECT_LEASE = timedelta(minutes=2)
_CLAIM_POLL_SECONDS = 0.2


class EffectHeld(RuntimeError):
    """Another writer holds the effect beyond its lease (a machine frozen for minutes)."""


# ------------------------------------------------------------------------------------- claiming


def compare_and_set(claim: Callable[[], bool], uow: UnitOfWork) -> bool:
    """Run a claim (a repository's conditional UPDATE; its WHERE names the row as read) in a
    transaction of its own; committed and True when exactly that row still matched, rolled back and
    False otherwise."""
    with uow:
        if not claim():
            uow.rollback()
            return False
        uow.commit()
        return True


def _owner_token() -> str:
    """Who writes an effect: this machine, this process, and a token of this attempt."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _owner_gone(owner: str | None) -> bool:
    """True when the claim's owner ran on this machine and its process no longer exists."""
    if not owner:
        return False
    parts = owner.split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def takeable(effect: SideEffect, now: datetime, reconcile_before: datetime | None) -> bool:
    """Whether this process may claim the effect now."""
    if effect.state == PENDING:
        # Reconcile leaves fresh pending effects to the live run that owes them.
        return reconcile_before is None or as_utc(effect.created_at) <= reconcile_before
    if effect.state != WRITING:
        return False
    lapsed = effect.lease_until is None or as_utc(effect.lease_until) <= now
    return lapsed or _owner_gone(effect.owner)


def _claim_effect(key: str, reconcile_before: datetime | None, uow: UnitOfWork) -> str | None:
    """pending -> writing for this process (or a lapsed claim taken over), committed at once.

    Compare-and-set on the state and owner read: of two claimants exactly one matches. Returns the
    owner token, or None when the effect is done, missing or someone else's to write."""
    now = utcnow()
    with uow:
        effect = uow.effects.find(key)
    if effect is None or not takeable(effect, now, reconcile_before):
        return None
    owner = _owner_token()
    claimed = compare_and_set(lambda: uow.effects.claim(effect, owner, now + EFFECT_LEASE), uow)
    if not claimed:
        return None
    if effect.state == WRITING:
        log.warning("effect %s: took over a lapsed claim", key)
    return owner


def hold_effect(key: str, uow: UnitOfWork, *, reconcile_before: datetime | None) -> str | None:
    """Claim the effect; a run (not reconcile) finding a live writer waits until that writer is done
    (None) or its claim lapses (then takes it over). `reconcile_before`: called by reconcile — take
    the effect only if it is pending since before then or its writer's claim has lapsed, and never
    wait."""
    deadline = time.monotonic() + EFFECT_LEASE.total_seconds() + 30
    while True:
        owner = _claim_effect(key, reconcile_before, uow)
        if owner is not None or reconcile_before is not None:
            return owner
        with uow:
            effect = uow.effects.find(key)
        if effect is None or effect.state == DONE:
            return None
        if time.monotonic() > deadline:
            raise EffectHeld(f"effect {key} is held by {effect.owner} beyond its lease")
        time.sleep(_CLAIM_POLL_SECONDS)


def finish_effect(key: str, owner: str, uow: UnitOfWork) -> bool:
    """writing -> done, only while `owner` still holds the claim. On False the claim lapsed and
    another writer took the effect over: it records it, not us — the transaction is rolled back."""
    finished = uow.effects.finish(key, owner)
    if not finished:
        uow.rollback()
        log.warning("effect %s: claim lapsed while writing; left to the writer that took it over", key)
    return finished
