"""Deliveries: how each produced card reaches the applicant (waybill or pickup code)."""

from __future__ import annotations

from storage.repositories.base import Repository


class Deliveries(Repository):
    pass
