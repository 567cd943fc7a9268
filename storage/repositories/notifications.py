"""Notifications: the outbox of SMS to applicants and notices to supervisors."""

from __future__ import annotations

from storage.repositories.base import Repository


class Notifications(Repository):
    pass
