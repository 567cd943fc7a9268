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

Counters (`bump`) number things inside the transaction that stores them: a racing transaction fails
on the unique constraint and its bump rolls back with it.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Engine, Update, update
from sqlmodel import Session, col, select

from models.tables import Counter, SideEffect, as_utc, utcnow
from storage.db import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

PENDING = "pending"
WRITING = "writing"
DONE = "done"

# How long a writer's claim on a print or label effect holds. Writing one PDF and its manifest takes
# well under a second; a writer that died without a trace elsewhere keeps the effect this long.
EFFECT_LEASE = timedelta(minutes=2)
_CLAIM_POLL_SECONDS = 0.2


class EffectHeld(RuntimeError):
    """Another writer holds the effect beyond its lease (a machine frozen for minutes)."""


def effect_key(kind: str, case_id: str, card_version: int) -> str:
    """The durable key of a side effect: case id + card version + effect kind."""
    return f"{kind.replace('_', '-')}:{case_id}:{card_version}"


# ----------------------------------------------------------------------------------- the ledger


def find_effect(session: Session, key: str) -> SideEffect | None:
    return session.exec(select(SideEffect).where(SideEffect.key == key)).first()


def effect_done(session: Session, key: str) -> bool:
    """Whether the effect has happened (a done effect is never repeated)."""
    effect = find_effect(session, key)
    return effect is not None and effect.state == DONE


def effect_states(session: Session, case_id: str, card_version: int, kinds: Iterable[str]) -> dict[str, str]:
    """kind -> state of the case's side effects of these kinds for one card version."""
    keys = {effect_key(kind, case_id, card_version): kind for kind in kinds}
    rows = session.exec(select(SideEffect).where(col(SideEffect.key).in_(list(keys)))).all()
    return {keys[row.key]: row.state for row in rows}


def done_effect(key: str, *, case_id: str, kind: str, payload: dict[str, object]) -> SideEffect:
    """The ledger row of an effect that happened in the transaction that adds it."""
    return SideEffect(key=key, case_id=case_id, kind=kind, state=DONE, payload=payload, done_at=utcnow())


def ensure_effect(
    session: Session,
    case_id: str,
    card_version: int,
    kind: str,
    *,
    state: str = PENDING,
    payload: dict[str, object],
) -> None:
    """Record that an effect is owed (or, for a fee, has happened), unless it is recorded already."""
    key = effect_key(kind, case_id, card_version)
    if find_effect(session, key) is not None:
        return
    if state == DONE:
        session.add(done_effect(key, case_id=case_id, kind=kind, payload=payload))
    else:
        session.add(SideEffect(key=key, case_id=case_id, kind=kind, state=state, payload=payload))


# ------------------------------------------------------------------------------------- claiming


def compare_and_set(engine: Engine | None, statement: Update) -> bool:
    """Run a conditional UPDATE (its WHERE names the row as read) in a transaction of its own;
    committed and True when exactly that row still matched, rolled back and False otherwise."""
    with unit_of_work(engine) as uow:
        if not uow.claim(statement):
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


def _claim_effect(key: str, engine: Engine | None, reconcile_before: datetime | None) -> str | None:
    """pending -> writing for this process (or a lapsed claim taken over), committed at once.

    Compare-and-set on the state and owner read: of two claimants exactly one matches. Returns the
    owner token, or None when the effect is done, missing or someone else's to write."""
    now = utcnow()
    with unit_of_work(engine) as uow:
        effect = find_effect(uow.session, key)
    if effect is None or not takeable(effect, now, reconcile_before):
        return None
    owner = _owner_token()
    same_owner = (
        col(SideEffect.owner).is_(None) if effect.owner is None else col(SideEffect.owner) == effect.owner
    )
    claimed = compare_and_set(
        engine,
        update(SideEffect)
        .where(col(SideEffect.key) == key, col(SideEffect.state) == effect.state, same_owner)
        .values(state=WRITING, owner=owner, lease_until=now + EFFECT_LEASE),
    )
    if not claimed:
        return None
    if effect.state == WRITING:
        log.warning("effect %s: took over a lapsed claim", key)
    return owner


def hold_effect(key: str, engine: Engine | None, *, reconcile_before: datetime | None) -> str | None:
    """Claim the effect; a run (not reconcile) finding a live writer waits until that writer is done
    (None) or its claim lapses (then takes it over). `reconcile_before`: called by reconcile — take
    the effect only if it is pending since before then or its writer's claim has lapsed, and never
    wait."""
    deadline = time.monotonic() + EFFECT_LEASE.total_seconds() + 30
    while True:
        owner = _claim_effect(key, engine, reconcile_before)
        if owner is not None or reconcile_before is not None:
            return owner
        with unit_of_work(engine) as uow:
            effect = find_effect(uow.session, key)
        if effect is None or effect.state == DONE:
            return None
        if time.monotonic() > deadline:
            raise EffectHeld(f"effect {key} is held by {effect.owner} beyond its lease")
        time.sleep(_CLAIM_POLL_SECONDS)


def finish_effect(uow: UnitOfWork, key: str, owner: str) -> bool:
    """writing -> done, only while `owner` still holds the claim. On False the claim lapsed and
    another writer took the effect over: it records it, not us — the transaction is rolled back."""
    finished = uow.claim(
        update(SideEffect)
        .where(col(SideEffect.key) == key, col(SideEffect.state) == WRITING, col(SideEffect.owner) == owner)
        .values(state=DONE, done_at=utcnow(), lease_until=None)
    )
    if not finished:
        uow.rollback()
        log.warning("effect %s: claim lapsed while writing; left to the writer that took it over", key)
    return finished


# ------------------------------------------------------------------------------------- counters


def bump(session: Session, name: str) -> int:
    """Next value of a named counter; the row stays locked until the transaction ends.

    The row is created on first use with INSERT ... ON CONFLICT DO NOTHING (both databases), so two
    first users of a counter wait for each other instead of one failing on the primary key.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.exec(pg_insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.exec(sqlite_insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
    session.exec(update(Counter).where(col(Counter.name) == name).values(value=Counter.value + 1))
    return int(session.exec(select(Counter.value).where(Counter.name == name)).one())
