"""Replays: an admin's re-runs of a case's flow."""

from __future__ import annotations

from storage.repositories.base import Repository


class Replays(Repository):
    pass
