"""The effect ledger (side effects owed, claimed, done) and the counters that number cards and waybills."""

from __future__ import annotations

from storage.repositories.base import Repository


class Effects(Repository):
    pass


class Counters(Repository):
    pass
