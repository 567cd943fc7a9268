"""Card issues: the numbered card of each case's card version, spooled and produced."""

from __future__ import annotations

from storage.repositories.base import Repository


class Cards(Repository):
    pass
