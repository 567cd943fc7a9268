"""Repositories on the unit of work: every query the services make, written once, by table.

A repository works inside the unit of work's session (its transaction): it reads, adds and claims,
and never commits — the service decides when the work is done (`uow.commit()`). Services reach
them as `uow.cases`, `uow.documents`, … (storage/db.py); no service writes a query of its own.
"""

from storage.repositories.cards import Cards
from storage.repositories.cases import CaseNotFound, Cases
from storage.repositories.checks import Checks
from storage.repositories.deliveries import Deliveries
from storage.repositories.documents import Documents
from storage.repositories.effects import Counters, Effects
from storage.repositories.notifications import Notifications
from storage.repositories.replays import Replays
from storage.repositories.review_sessions import ReviewSessions
from storage.repositories.reviews import Reviews

__all__ = [
    "Cards",
    "CaseNotFound",
    "Cases",
    "Checks",
    "Counters",
    "Deliveries",
    "Documents",
    "Effects",
    "Notifications",
    "Replays",
    "ReviewSessions",
    "Reviews",
]
