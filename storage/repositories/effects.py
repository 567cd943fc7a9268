"""The effect ledger (side effects owed, claimed, done) and the counters that number cards and waybills."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import col, select, update

from models.tables import Counter, SideEffect, utcnow
from storage.repositories.base import Repository

# An effect's states: owed, claimed by a writer (owner + lease), happened.
PENDING = "pending"
WRITING = "writing"
DONE = "done"


def effect_key(kind: str, case_id: str, card_version: int) -> str:
    """The durable key of a side effect: case id + card version + effect kind."""
    return f"{kind.replace('_', '-')}:{case_id}:{card_version}"


def done_effect(key: str, *, case_id: str, kind: str, payload: dict[str, object]) -> SideEffect:
    """The ledger row of an effect that happened in the transaction that adds it."""
    return SideEffect(key=key, case_id=case_id, kind=kind, state=DONE, payload=payload, done_at=utcnow())


class Effects(Repository):
    def find(self, key: str) -> SideEffect | None:
        """The effect recorded under `key`, if any."""
        return self._session.exec(select(SideEffect).where(SideEffect.key == key)).first()

    def done(self, key: str) -> bool:
        """Whether the effect has happened (a done effect is never repeated)."""
        effect = self.find(key)
        return effect is not None and effect.state == DONE

    def states(self, case_id: str, card_version: int, kinds: Iterable[str]) -> dict[str, str]:
        """kind -> state of the case's side effects of these kinds for one card version."""
        keys = {effect_key(kind, case_id, card_version): kind for kind in kinds}
        rows = self._session.exec(select(SideEffect).where(col(SideEffect.key).in_(list(keys)))).all()
        return {keys[row.key]: row.state for row in rows}

    def ensure(
        self,
        case_id: str,
        card_version: int,
        kind: str,
        *,
        state: str = PENDING,
        payload: dict[str, object],
    ) -> None:
        """Record that an effect is owed (or, for a fee, has happened), unless it is recorded already."""
        key = effect_key(kind, case_id, card_version)
        if self.find(key) is not None:
            return
        if state == DONE:
            self._session.add(done_effect(key, case_id=case_id, kind=kind, payload=payload))
        else:
            self._session.add(SideEffect(key=key, case_id=case_id, kind=kind, state=state, payload=payload))

    def unfinished(self, kinds: Iterable[str]) -> list[SideEffect]:
        """Effects of these kinds not done yet (pending, or being written), oldest first: what
        reconcile looks at (it takes only those whose claim has lapsed: services/effects.takeable)."""
        return list(
            self._session.exec(
                select(SideEffect)
                .where(
                    col(SideEffect.state).in_([PENDING, WRITING]),
                    col(SideEffect.kind).in_(list(kinds)),
                )
                .order_by(col(SideEffect.id))
            )
        )

    # Claims (base.Repository._claim): of two writers racing for one effect exactly one matches.

    def claim(self, effect: SideEffect, owner: str, lease_until: datetime) -> bool:
        """Claim the effect for `owner` until `lease_until` (-> writing), if it is still in the state
        and held by the owner it was read with."""
        same_owner = (
            col(SideEffect.owner).is_(None) if effect.owner is None else col(SideEffect.owner) == effect.owner
        )
        return self._claim(
            update(SideEffect)
            .where(col(SideEffect.key) == effect.key, col(SideEffect.state) == effect.state, same_owner)
            .values(state=WRITING, owner=owner, lease_until=lease_until)
        )

    def finish(self, key: str, owner: str) -> bool:
        """writing -> done, only while `owner` still holds the claim."""
        return self._claim(
            update(SideEffect)
            .where(
                col(SideEffect.key) == key, col(SideEffect.state) == WRITING, col(SideEffect.owner) == owner
            )
            .values(state=DONE, done_at=utcnow(), lease_until=None)
        )


class Counters(Repository):
    def bump(self, name: str) -> int:
        """Next value of a named counter; the row stays locked until the transaction ends.

        The row is created on first use with INSERT ... ON CONFLICT DO NOTHING (both databases), so two
        first users of a counter wait for each other instead of one failing on the primary key.
        """
        if self._session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            self._session.execute(pg_insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            self._session.execute(sqlite_insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
        self._update(update(Counter).where(col(Counter.name) == name).values(value=Counter.value + 1))
        return int(self._session.exec(select(Counter.value).where(Counter.name == name)).one())
