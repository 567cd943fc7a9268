"""Review-page sessions and the audit of what each reviewer viewed."""

from __future__ import annotations

from storage.repositories.base import Repository


class ReviewSessions(Repository):
    pass
